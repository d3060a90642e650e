"""What a container runs, resolved from the task definition and RunTask overrides (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_pipelines.local.contract import NewTask
from ecs_pipelines.local.runtime import TaskState
from ecs_pipelines.local.runtime.container_plan import (
    DEFAULT_STOP_TIMEOUT_SECONDS,
    build_task_launch,
    docker_style_exit_code,
)

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/demo/0123abcd"
CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/demo"


def _definition(**container: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "main", "image": "img", "command": ["run", "it"]}
    base.update(container)
    return {"family": "f", "containerDefinitions": [base]}


def _launch(definition: dict[str, Any], overrides: dict[str, Any] | None = None) -> Any:
    task = NewTask(
        task_arn=TASK_ARN,
        cluster_arn=CLUSTER_ARN,
        region="us-east-1",
        launch_type="FARGATE",
        task_definition=definition,
        overrides=overrides or {},
        enable_execute_command=False,
    )
    return build_task_launch(task, base_environment={"PATH": "/bin", "A": "base"})


@pytest.mark.parametrize(("returncode", "expected"), [(0, 0), (3, 3), (-15, 143), (-9, 137)])
def test_exit_codes_follow_docker(returncode: int, expected: int) -> None:
    """Killed by signal N reports 128 + N, as Docker does; normal exits pass through."""
    assert docker_style_exit_code(returncode) == expected


def test_command_override_replaces_command_and_keeps_entry_point() -> None:
    """An override command replaces the command; the entryPoint stays in front."""
    launch = _launch(
        _definition(entryPoint=["tini", "--"]),
        {"containerOverrides": [{"name": "main", "command": ["other"]}]},
    )
    assert launch.containers[0].argv == ("tini", "--", "other")


def test_environment_precedence() -> None:
    """Base environment < container definition < override."""
    launch = _launch(
        _definition(environment=[{"name": "A", "value": "def"}, {"name": "B", "value": "def"}]),
        {"containerOverrides": [{"name": "main", "environment": [{"name": "B", "value": "ovr"}]}]},
    )
    assert dict(launch.containers[0].environment) == {"PATH": "/bin", "A": "def", "B": "ovr"}


def test_awslogs_stream_and_defaults() -> None:
    """Stream is prefix/container/task-id; stopTimeout defaults to 30 s, essential to true."""
    options = {"awslogs-group": "/g", "awslogs-stream-prefix": "ecs"}
    launch = _launch(_definition(logConfiguration={"logDriver": "awslogs", "options": options}))
    container = launch.containers[0]
    assert container.log is not None
    assert (container.log.group, container.log.stream) == ("/g", "ecs/main/0123abcd")
    assert container.log.account_id == "123456789012"
    assert container.stop_timeout == DEFAULT_STOP_TIMEOUT_SECONDS
    assert container.essential is True


def test_first_stop_reason_wins() -> None:
    """Once a task is stopping, a later stop request does not change its stopCode or reason."""
    state = TaskState(_launch(_definition()))
    assert state.begin_stop("EssentialContainerExited", "Essential container in task exited")
    assert not state.begin_stop("UserInitiated", "late")
    assert state.ecs_fields()["stopCode"] == "EssentialContainerExited"
