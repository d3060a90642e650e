"""Container Insights on the embedded ECS: each task's CPU and memory, measured from its
processes, read back through CloudWatch Logs as on AWS, and its cost by Fargate's rule."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.ecs.usage import PriceTable, read_usage, task_cost
from ecs_pipelines_tests.local.local_ecs_tools import run_task, unique, wait_for_status
from ecs_pipelines_tests.support.polling import wait_until

# Holds about 300 MiB (written, so resident) and burns about 2 CPU-seconds.
HEAVY = (
    "import time\n"
    "block = b'x' * (300 * 1024 * 1024)\n"
    "start = time.process_time()\n"
    "while time.process_time() - start < 2.0:\n"
    "    pass\n"
    "print(len(block))\n"
)


def test_a_tasks_memory_peak_and_cpu_seconds_are_read_back(
    ecs_client: Any, logs_client: Any
) -> None:
    """A task holding ~300 MiB and burning ~2 CPU-seconds reads back within 20% and 25%, in
    one call after it stopped, and costs the formula for its size and billed minute."""
    task = run_task(ecs_client, command=["python", "-c", HEAVY])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED", timeout=60)
    assert stopped["containers"][0]["exitCode"] == 0

    read = read_usage(
        logs_client,
        DEMO_CLUSTER,
        [task_id(task["taskArn"])],
        start=stopped["createdAt"],
        end=stopped["stoppedAt"],
    )

    usage = read.usage[task_id(task["taskArn"])]
    assert read.calls == 1 and read.insights_off is None
    assert usage.memory_peak_mib == pytest.approx(300, rel=0.20)
    assert usage.vcpu_seconds == pytest.approx(2.0, rel=0.25)
    cost = task_cost(stopped, region="us-east-1", prices=PriceTable())
    assert cost.billed_seconds == 60  # Fargate's one-minute minimum
    assert cost.cost_usd == pytest.approx(60 * (0.25 * 0.04048 + 0.5 * 0.004445) / 3600)


def test_a_cluster_without_container_insights_says_how_to_turn_it_on(
    ecs_client: Any, logs_client: Any
) -> None:
    """Tasks of a cluster with Container Insights off write no events; the read says so."""
    cluster = unique("quiet")
    ecs_client.create_cluster(
        clusterName=cluster, settings=[{"name": "containerInsights", "value": "disabled"}]
    )
    task = run_task(ecs_client, command=["python", "-c", "pass"], cluster=cluster)

    def stopped_task() -> dict[str, Any] | None:
        described = ecs_client.describe_tasks(cluster=cluster, tasks=[task["taskArn"]])
        found: dict[str, Any] = described["tasks"][0]
        return found if found["lastStatus"] == "STOPPED" else None

    stopped = wait_until(stopped_task, timeout=30, what="the task to stop")

    read = read_usage(
        logs_client,
        cluster,
        [task_id(task["taskArn"])],
        start=stopped["createdAt"],
        end=stopped["stoppedAt"],
    )

    assert read.usage == {}
    assert read.insights_off is not None
    assert f"--cluster {cluster} --settings name=containerInsights,value=enhanced" in (
        read.insights_off
    )
