"""What the moto bridge and the controller exchange. No moto here.

The bridge hands new tasks, stop requests and ExecuteCommand calls to a ``LocalController``;
a controller refuses a call by raising ``RequestRejected`` with the ECS error code. The
credentials STS AssumeRole issues go to a ``CredentialsRegistry`` (the server's key store).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
class TaskFaults:
    """What a fault plan does to one new task: fail its start, or reclaim it as Spot."""

    start_failure: str | None = None  # the stoppedReason of a task that fails to start
    reclaim_after_seconds: float | None = None  # since it was launched
    reclaim_warning_seconds: float = 0.0  # SIGTERM to SIGKILL


NO_TASK_FAULTS = TaskFaults()


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
    faults: TaskFaults = NO_TASK_FAULTS


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


class CredentialsRegistry(Protocol):
    """Where the credentials STS AssumeRole issues are registered, so that requests signed
    with them verify (``local.auth.AccessKeyStore``)."""

    def assumed_role_seconds(self, requested: int) -> int:
        """The lifetime to issue when ``requested`` seconds are asked."""
        ...

    def register_assumed_role(
        self,
        *,
        access_key_id: str,
        secret_access_key: str,
        session_token: str,
        expires_at: datetime,
        role_arn: str,
        principal: str,
        account_id: str,
    ) -> object: ...
