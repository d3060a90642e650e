"""What a container starts with (environment) and why it could not start (Docker's wording)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from ecs_pipelines.local.runtime.container_plan import ContainerSpec
from ecs_pipelines.local.runtime.task_state import TaskState


def cannot_start(reason: str) -> str:
    """A container ``reason`` as ECS reports a container the runtime could not start."""
    return f"CannotStartContainerError: {reason}"


def resolve_executable(spec: ContainerSpec) -> str | None:
    """Why ``spec`` cannot start (Docker's wording), or None when its executable is found."""
    if not spec.argv:
        return cannot_start(
            f'container "{spec.name}" has no entryPoint or command; the embedded ECS runs '
            "the container command as a host process and cannot run an image's default command"
        )
    if shutil.which(spec.argv[0], path=spec.environment.get("PATH")) is None:
        return cannot_start(f'exec: "{spec.argv[0]}": executable file not found in $PATH')
    return None


def spawn_failure(spec: ContainerSpec, error: BaseException | str) -> str:
    """The reason for a container whose process could not be created, whatever the cause.

    OSError from the kernel, ValueError for what no process can be given (a NUL byte in an
    argument or a variable, "=" in a variable name), or a reason the init process reported.
    """
    if isinstance(error, OSError) and error.strerror:
        detail = error.strerror
    else:
        detail = str(error) or type(error).__name__
    program = spec.argv[0] if spec.argv else spec.name
    return cannot_start(f'exec: "{program}": {detail}')


def container_environment(state: TaskState, spec: ContainerSpec) -> dict[str, str]:
    """A container's process environment; HOME is the task's own directory unless set, and
    the task definition's ``secrets`` come last, as the agent injects them."""
    env = {"HOME": state.cwd} if state.cwd else {}
    env.update(spec.environment)
    env.update(state.secret_environment.get(spec.name, {}))
    return env


def host_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The base environment of every container: the host PATH with this interpreter first.

    Putting ``sys.executable``'s directory first makes ``python`` in a task mean the server's
    interpreter, which has dagster-pipes installed.
    """
    bin_dir = str(Path(sys.executable).parent)
    host_path = os.environ.get("PATH", os.defpath)
    env = {"PATH": os.pathsep.join([bin_dir, *[p for p in host_path.split(os.pathsep) if p]])}
    env.update(extra or {})
    return env
