"""The embedded ECS's reset (``POST /_local/reset``) stops every task process and forgets
every task; only a request carrying its action header and signed with the server's own keys
resets."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from ecs_pipelines.cli.local_access import post_signed
from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines.local.serving import ACTION, ACTION_HEADER, RESET_PATH
from ecs_pipelines_tests.local.dedicated import DedicatedServer
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


def test_reset_stops_every_task_and_forgets_it(dedicated_server: DedicatedServer) -> None:
    """After a reset the task's process is gone and a re-created cluster lists no old task."""
    ecs, logs = dedicated_server.client("ecs"), dedicated_server.client("logs")
    task = run_task(ecs, command=SLEEPER)
    pid = pids_from_log(logs, task["taskArn"], "main")["main"]

    reset_embedded_ecs(dedicated_server.endpoint_url, dedicated_server.credentials)

    wait_until(lambda: process_gone(pid), timeout=15, what=f"process {pid} to end")
    assert ecs.list_clusters()["clusterArns"] == []
    ecs.create_cluster(clusterName=DEMO_CLUSTER)
    assert ecs.list_tasks(cluster=DEMO_CLUSTER)["taskArns"] == []
    assert ecs.list_tasks(cluster=DEMO_CLUSTER, desiredStatus="STOPPED")["taskArns"] == []
    described = ecs.describe_tasks(cluster=DEMO_CLUSTER, tasks=[task["taskArn"]])
    assert described["failures"] == [{"arn": task["taskArn"], "reason": "MISSING"}]
    assert logs.describe_log_groups()["logGroups"] == []


# Requests a web page could send (no custom header), a GET, and the header without a
# signature (another local user, or a page that could set headers, holds no key).
REFUSED = [
    ("POST", {}, 403),
    ("POST", {ACTION_HEADER: "something-else"}, 403),
    ("POST", {"Content-Type": "text/plain"}, 403),
    ("GET", {ACTION_HEADER: ACTION}, 405),
    ("POST", {ACTION_HEADER: ACTION}, 400),
]


def test_a_reset_without_its_header_or_signature_resets_nothing(
    dedicated_server: DedicatedServer,
) -> None:
    """A reset request without the action header (what a web page can send), a GET, or one
    with the header but unsigned is refused, and the running task keeps running."""
    ecs = dedicated_server.client("ecs")
    task = run_task(ecs, command=SLEEPER)
    wait_for_status(ecs, task["taskArn"], "RUNNING")
    url = dedicated_server.endpoint_url + RESET_PATH
    for method, headers, status in REFUSED:
        request = urllib.request.Request(url, method=method, headers=headers, data=b"reset")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == status, (method, headers)
    assert describe(ecs, task["taskArn"])["lastStatus"] == "RUNNING"
    ecs.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])


def test_a_reset_signed_by_a_task_is_refused(dedicated_server: DedicatedServer) -> None:
    """A reset signed with keys the server does not own as its user (a task's, or made-up
    ones) is refused: only the server's own keys act on the server itself."""
    from ecs_pipelines.local.auth import KeyPair

    made_up = KeyPair("AKIAEXAMPLEEXAMPLE00", "x" * 40)
    status, body = post_signed(
        dedicated_server.endpoint_url + RESET_PATH, made_up, headers={ACTION_HEADER: ACTION}
    )
    assert status in (400, 403), body
    assert dedicated_server.client("ecs").list_clusters()["clusterArns"] != []
