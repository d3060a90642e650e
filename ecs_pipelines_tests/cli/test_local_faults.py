"""`make run` and `make ui` under ECS_PIPELINES_LOCAL_FAULTS: a server already running is
handed the plan, signed with its keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecs_pipelines.cli.target import local_ecs_running, target_from_env
from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_SECURITY_GROUP, DEMO_SUBNET
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import local_client


def test_a_running_server_is_handed_the_plan(
    local_ecs: LocalEcs, fault_plan: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the variable set, reusing the server at ECS_PIPELINES_ENDPOINT_URL sets its plan:
    the next RunTask meets no capacity, the one after starts."""
    monkeypatch.setenv("ECS_PIPELINES_ENDPOINT_URL", local_ecs.endpoint_url)
    monkeypatch.setenv("ECS_PIPELINES_LOCAL_FAULTS", "no-capacity:count=1")
    with local_ecs_running(target_from_env()) as running:
        assert running.endpoint_url == local_ecs.endpoint_url
    ecs = local_client(local_ecs, "ecs")
    request = {
        "cluster": DEMO_CLUSTER,
        "taskDefinition": "ecs-pipelines-python",
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": [DEMO_SUBNET],
                "securityGroups": [DEMO_SECURITY_GROUP],
            }
        },
        "overrides": {"containerOverrides": [{"name": "main", "command": ["true"]}]},
    }
    refused = ecs.run_task(**request)
    assert refused["tasks"] == [] and refused["failures"]
    assert len(ecs.run_task(**request)["tasks"]) == 1
