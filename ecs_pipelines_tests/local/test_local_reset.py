"""The embedded ECS's reset (``POST /_local/reset``) stops every task process and forgets
every task; only a request carrying its action header resets."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from ecs_pipelines.local import DEMO_CLUSTER
from ecs_pipelines.local.reset_route import RESET_PATH
from ecs_pipelines_tests.conftest import endpoint_client
from ecs_pipelines_tests.local.local_ecs_tools import (
    describe,
    pids_from_log,
    process_gone,
    reset_embedded_ecs,
    run_task,
    wait_for_status,
)
from ecs_pipelines_tests.support.polling import wait_until

SLEEPER = [
    "python",
    "-c",
    "import os, time; print('main', os.getpid(), flush=True); time.sleep(60)",
]


def test_reset_stops_every_task_and_forgets_it(dedicated_server: str) -> None:
    """After a reset the task's process is gone and a re-created cluster lists no old task."""
    ecs = endpoint_client(dedicated_server, "ecs")
    logs = endpoint_client(dedicated_server, "logs")
    task = run_task(ecs, command=SLEEPER)
    pid = pids_from_log(logs, task["taskArn"], "main")["main"]

    reset_embedded_ecs(dedicated_server)

    wait_until(lambda: process_gone(pid), timeout=15, what=f"process {pid} to end")
    assert ecs.list_clusters()["clusterArns"] == []
    ecs.create_cluster(clusterName=DEMO_CLUSTER)
    assert ecs.list_tasks(cluster=DEMO_CLUSTER)["taskArns"] == []
    assert ecs.list_tasks(cluster=DEMO_CLUSTER, desiredStatus="STOPPED")["taskArns"] == []
    described = ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"]])
    assert described["failures"] == [{"arn": task["taskArn"], "reason": "MISSING"}]
    assert logs.describe_log_groups()["logGroups"] == []


# Requests a web page could send (no custom header), and a GET.
REFUSED = [
    ("POST", {}, 403),
    ("POST", {"X-Ecs-Pipelines-Action": "something-else"}, 403),
    ("POST", {"Content-Type": "text/plain"}, 403),
    ("GET", {"X-Ecs-Pipelines-Action": "reset"}, 405),
]


def test_a_reset_without_its_action_header_resets_nothing(dedicated_server: str) -> None:
    """A reset request without the action header (what a web page can send), or a GET, is
    refused, and the running task keeps running."""
    ecs = endpoint_client(dedicated_server, "ecs")
    task = run_task(ecs, command=SLEEPER)
    wait_for_status(ecs, task["taskArn"], "RUNNING")
    for method, headers, status in REFUSED:
        request = urllib.request.Request(
            dedicated_server + RESET_PATH, method=method, headers=headers, data=b"reset"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == status, (method, headers)
    assert describe(ecs, task["taskArn"])["lastStatus"] == "RUNNING"
    ecs.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
