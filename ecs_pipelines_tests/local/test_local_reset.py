"""moto's reset (``POST /moto-api/reset``, signed by the server's own keys) stops every task
process and forgets every task."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from ecs_pipelines.cli.local_access import post_signed
from ecs_pipelines.local import DEMO_CLUSTER
from ecs_pipelines_tests.local.conftest import DedicatedServer
from ecs_pipelines_tests.local.local_ecs_tools import pids_from_log, process_gone, run_task
from ecs_pipelines_tests.support.polling import wait_until

SLEEPER = [
    "python",
    "-c",
    "import os, time; print('main', os.getpid(), flush=True); time.sleep(60)",
]


def test_reset_stops_every_task_and_forgets_it(dedicated_server: DedicatedServer) -> None:
    """After a reset the task's process is gone and a re-created cluster lists no old task;
    an unsigned reset is refused and changes nothing."""
    ecs, logs = dedicated_server.client("ecs"), dedicated_server.client("logs")
    task = run_task(ecs, command=SLEEPER)
    pid = pids_from_log(logs, task["taskArn"], "main")["main"]
    reset = f"{dedicated_server.endpoint_url}/moto-api/reset"

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(reset, method="POST"), timeout=10)
    assert refused.value.code == 403
    assert not process_gone(pid)
    status, _ = post_signed(reset, dedicated_server.credentials)
    assert status == 200

    wait_until(lambda: process_gone(pid), timeout=15, what=f"process {pid} to end")
    assert ecs.list_clusters()["clusterArns"] == []
    ecs.create_cluster(clusterName=DEMO_CLUSTER)
    assert ecs.list_tasks(cluster=DEMO_CLUSTER)["taskArns"] == []
    assert ecs.list_tasks(cluster=DEMO_CLUSTER, desiredStatus="STOPPED")["taskArns"] == []
    described = ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"]])
    assert described["failures"] == [{"arn": task["taskArn"], "reason": "MISSING"}]
    assert logs.describe_log_groups()["logGroups"] == []
