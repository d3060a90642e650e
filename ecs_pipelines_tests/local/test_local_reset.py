"""moto's reset (``POST /moto-api/reset``) stops every task process and forgets every task."""

from __future__ import annotations

import urllib.request
from typing import Any

import boto3

from ecs_pipelines.local import DEMO_CLUSTER
from ecs_pipelines.local.seed import DUMMY_CREDENTIALS
from ecs_pipelines_tests.local.local_ecs_tools import pids_from_log, process_gone, run_task
from ecs_pipelines_tests.support.polling import wait_until

SLEEPER = [
    "python",
    "-c",
    "import os, time; print('main', os.getpid(), flush=True); time.sleep(60)",
]


def test_reset_stops_every_task_and_forgets_it(dedicated_server: str) -> None:
    """After a reset the task's process is gone and a re-created cluster lists no old task."""
    kwargs: dict[str, Any] = {"endpoint_url": dedicated_server, "region_name": "us-east-1"}
    ecs = boto3.client("ecs", **kwargs, **DUMMY_CREDENTIALS)
    logs = boto3.client("logs", **kwargs, **DUMMY_CREDENTIALS)
    task = run_task(ecs, command=SLEEPER)
    pid = pids_from_log(logs, task["taskArn"], "main")["main"]

    request = urllib.request.Request(f"{dedicated_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200

    wait_until(lambda: process_gone(pid), timeout=15, what=f"process {pid} to end")
    assert ecs.list_clusters()["clusterArns"] == []
    ecs.create_cluster(clusterName=DEMO_CLUSTER)
    assert ecs.list_tasks(cluster=DEMO_CLUSTER)["taskArns"] == []
    assert ecs.list_tasks(cluster=DEMO_CLUSTER, desiredStatus="STOPPED")["taskArns"] == []
    described = ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"]])
    assert described["failures"] == [{"arn": task["taskArn"], "reason": "MISSING"}]
    assert logs.describe_log_groups()["logGroups"] == []
