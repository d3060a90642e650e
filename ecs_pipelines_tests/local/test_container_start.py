"""What a container starts with and why it could not start, decided without starting it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ecs_pipelines.local.runtime.container_plan import ContainerSpec, TaskLaunch
from ecs_pipelines.local.runtime.container_start import (
    container_environment,
    host_environment,
    resolve_executable,
    spawn_failure,
)
from ecs_pipelines.local.runtime.task_state import TaskState


def spec(*argv: str, **environment: str) -> ContainerSpec:
    return ContainerSpec(
        name="main",
        container_arn="arn:aws:ecs:us-east-1:123456789012:container/demo/0123abcd/main",
        runtime_id="runtime",
        image="img",
        argv=argv,
        environment=environment,
        essential=True,
        stop_timeout=2.0,
        log=None,
    )


def task_of(container: ContainerSpec) -> TaskState:
    return TaskState(
        TaskLaunch(
            task_arn="arn:aws:ecs:us-east-1:123456789012:task/demo/0123abcd",
            cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/demo",
            region="us-east-1",
            containers=(container,),
            enable_execute_command=False,
            task_role_arn=None,
        )
    )


def test_an_executable_is_looked_up_on_the_containers_own_path(tmp_path: Path) -> None:
    """The command's executable is found on the container's PATH, or the container cannot
    start with Docker's wording."""
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert resolve_executable(spec("tool", PATH=str(tmp_path))) is None
    assert resolve_executable(spec(str(tool))) is None
    assert resolve_executable(spec("tool", PATH="/nonexistent")) == (
        'CannotStartContainerError: exec: "tool": executable file not found in $PATH'
    )


def test_a_container_without_a_command_cannot_start() -> None:
    """No entryPoint and no command: the container cannot start, and the reason says why."""
    reason = resolve_executable(spec())
    assert reason is not None
    assert reason.startswith('CannotStartContainerError: container "main" has no entryPoint')


def test_a_spawn_failure_is_worded_as_docker_words_an_exec_failure() -> None:
    """The system's reason for an OSError, the message otherwise, the type when there is none."""
    missing = FileNotFoundError(2, "No such file or directory", "/no/such/interpreter")
    assert spawn_failure(spec("tool"), missing) == (
        'CannotStartContainerError: exec: "tool": No such file or directory'
    )
    assert spawn_failure(spec("tool"), ValueError("embedded null byte")) == (
        'CannotStartContainerError: exec: "tool": embedded null byte'
    )
    assert spawn_failure(spec("tool"), ValueError()) == (
        'CannotStartContainerError: exec: "tool": ValueError'
    )
    assert spawn_failure(spec(), "reported by init") == (
        'CannotStartContainerError: exec: "main": reported by init'
    )


def test_home_is_the_tasks_directory_and_secrets_come_last() -> None:
    """HOME is the task's directory unless the container sets it; secrets override the rest."""
    container = spec("tool", PATH="/bin", TOKEN="from-environment")
    state = task_of(container)
    state.cwd = "/tmp/task-dir"
    state.secret_environment = {"main": {"TOKEN": "from-secrets"}}
    assert container_environment(state, container) == {
        "HOME": "/tmp/task-dir",
        "PATH": "/bin",
        "TOKEN": "from-secrets",
    }
    own_home = spec("tool", HOME="/home/app")
    assert container_environment(task_of(own_home), own_home) == {"HOME": "/home/app"}


def test_the_host_path_starts_with_this_interpreter() -> None:
    """``python`` in a task is the server's interpreter: its directory leads the host PATH."""
    env = host_environment({"EXTRA": "1"})
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["EXTRA"] == "1"
