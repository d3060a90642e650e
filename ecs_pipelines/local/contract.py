"""What the moto bridge and the controller exchange. No moto here.

The bridge hands new tasks, stop requests and ExecuteCommand calls to a ``LocalController``;
a controller refuses a call by raising ``RequestRejected`` with the ECS error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ecs_pipelines.ecs.common import EcsError

EXEC_NOT_ENABLED = (
    "The execute command failed because execute command was not enabled when the task was "
    "run or the execute command agent isn't running. Wait and try again or run a new task "
    "with execute command enabled and try again."
)


# Derives from the project's one error base; it stays here because the server turns it into an
# AWS error answer, and the core must never know the server's wire.
class RequestRejected(EcsError):
    """Raised by a controller to answer an API call with an ECS error."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class NewTask:
    """A task moto has just created, in ECS terms, for the controller to run."""

    task_arn: str
    cluster_arn: str
    region: str
    launch_type: str
    task_definition: dict[str, Any]
    overrides: dict[str, Any]
    enable_execute_command: bool
    availability_zone: str = ""
    # The task's elastic network interface (awsvpc): subnetId, privateIPv4Address, macAddress...
    network_interface: Mapping[str, str] = field(default_factory=dict)
    # The cluster's containerInsights setting is enabled or enhanced: the task's use is measured.
    container_insights: bool = False


@dataclass(frozen=True)
class ExecRequest:
    """An ExecuteCommand call, in ECS terms, for the controller to answer."""

    cluster_arn: str
    task_arn: str
    container: str | None
    command: str
    interactive: bool


class LocalController(Protocol):
    """What the embedded ECS does on top of moto: run, stop and exec into tasks."""

    def tasks_created(self, tasks: list[NewTask]) -> None: ...

    def stop_task(self, task_arn: str, reason: str) -> None: ...

    def forget_all_tasks(self) -> None: ...

    def execute_command(self, request: ExecRequest) -> dict[str, Any]: ...
