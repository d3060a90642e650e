"""The lifecycle of one task as ECS reports it, kept apart from processes and from moto.

The runner drives the transitions; ``ecs_fields()`` renders the DescribeTasks view that the
bridge copies onto moto's task object. Transitions are idempotent where ECS is: the first stop
reason wins, a stopped task stays stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecs_pipelines.ecs.common import StopCode, TaskStatus
from ecs_pipelines.local.runtime.container_order import Progress
from ecs_pipelines.local.runtime.container_plan import ContainerSpec, TaskLaunch
from ecs_pipelines.local.runtime.health_checks import UNKNOWN, task_health

ESSENTIAL_EXITED = (StopCode.ESSENTIAL_CONTAINER_EXITED, "Essential container in task exited")
FAILED_TO_START = StopCode.TASK_FAILED_TO_START
USER_INITIATED = StopCode.USER_INITIATED
DEFAULT_STOP_REASON = "Task stopped by user"
EXEC_AGENT = "ExecuteCommandAgent"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ContainerState:
    """One container: PENDING -> RUNNING -> STOPPED, with its exit code or start failure."""

    spec: ContainerSpec
    last_status: str = TaskStatus.PENDING
    exit_code: int | None = None
    reason: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # UNKNOWN until the first health check result; None for a container without a check.
    health: str | None = None
    health_since: datetime | None = None
    health_output: str = ""

    def __post_init__(self) -> None:
        if self.spec.health_check is not None:
            self.health = UNKNOWN

    @property
    def done(self) -> bool:
        return self.last_status == TaskStatus.STOPPED

    @property
    def progress(self) -> Progress:
        return Progress(
            started=self.started_at is not None,
            ended=self.done,
            exit_code=self.exit_code,
            health=self.health,
        )


@dataclass
class TaskState:
    """One task's ECS-visible state. Mutated only under the backend lock."""

    launch: TaskLaunch
    created_at: datetime = field(default_factory=utcnow)
    last_status: str = TaskStatus.PROVISIONING
    desired_status: str = TaskStatus.RUNNING
    started_at: datetime | None = None
    pull_started_at: datetime | None = None
    pull_stopped_at: datetime | None = None
    stopping_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    cwd: str | None = None
    # Container name -> its task-definition ``secrets``, resolved at start (never published).
    secret_environment: dict[str, dict[str, str]] = field(default_factory=dict)
    # Forgotten by a reset of the embedded ECS: stopped, and no longer published or logged.
    forgotten: bool = False
    containers: dict[str, ContainerState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.containers:
            self.containers = {c.name: ContainerState(c) for c in self.launch.containers}

    @property
    def task_arn(self) -> str:
        return self.launch.task_arn

    @property
    def stopping(self) -> bool:
        return self.desired_status == TaskStatus.STOPPED

    @property
    def stopped(self) -> bool:
        return self.last_status == TaskStatus.STOPPED

    def mark_pending(self) -> None:
        if self.last_status == TaskStatus.PROVISIONING:
            self.last_status = TaskStatus.PENDING
            self.pull_started_at = utcnow()

    def container_started(self, name: str) -> None:
        now = utcnow()
        self.pull_stopped_at = self.pull_stopped_at or now
        container = self.containers[name]
        container.last_status = TaskStatus.RUNNING
        container.started_at = now

    def mark_running(self) -> None:
        """RUNNING once no container waits to start any more: a task whose containers wait on
        their dependencies (dependsOn) stays PENDING until they have started or given up."""
        if self.stopping or self.last_status not in (TaskStatus.PROVISIONING, TaskStatus.PENDING):
            return
        if any(c.last_status == TaskStatus.PENDING for c in self.containers.values()):
            return
        self.last_status = TaskStatus.RUNNING
        self.started_at = utcnow()

    def container_health(self, name: str, status: str, output: str) -> bool:
        """Record a health check result; True when the status changed."""
        container = self.containers[name]
        container.health_output = output
        if container.health == status:
            return False
        container.health = status
        container.health_since = utcnow()
        return True

    @property
    def health_status(self) -> str:
        return task_health(c.health for c in self.containers.values() if c.spec.essential)

    def begin_stop(self, stop_code: str, reason: str) -> bool:
        """Ask the task to stop; False when it was already stopping (first reason wins)."""
        if self.stopping or self.stopped:
            return False
        self.desired_status = TaskStatus.STOPPED
        self.stopping_at = utcnow()
        self.stop_code = stop_code
        self.stopped_reason = reason
        return True

    def mark_stopping(self) -> None:
        if self.last_status in (
            TaskStatus.RUNNING,
            TaskStatus.DEACTIVATING,
            TaskStatus.PENDING,
            TaskStatus.PROVISIONING,
        ):
            self.last_status = TaskStatus.STOPPING

    def container_exited(self, name: str, exit_code: int) -> None:
        container = self.containers[name]
        container.last_status = TaskStatus.STOPPED
        container.exit_code = exit_code
        container.finished_at = utcnow()

    def container_failed_to_start(self, name: str, reason: str) -> None:
        container = self.containers[name]
        container.last_status = TaskStatus.STOPPED
        container.reason = reason
        container.exit_code = None

    @property
    def all_containers_done(self) -> bool:
        return all(c.done for c in self.containers.values())

    def finish(self) -> None:
        """All containers are gone and their logs are written: the task is STOPPED."""
        now = utcnow()
        self.desired_status = TaskStatus.STOPPED
        self.stopping_at = self.stopping_at or now
        self.last_status = TaskStatus.STOPPED
        self.stopped_at = now
        for container in self.containers.values():
            container.last_status = TaskStatus.STOPPED

    def exec_agent_status(self, container: ContainerState) -> str:
        if self.launch.task_role_arn is None or container.last_status == TaskStatus.STOPPED:
            return TaskStatus.STOPPED
        if container.last_status == TaskStatus.RUNNING and self.last_status == TaskStatus.RUNNING:
            return TaskStatus.RUNNING
        return TaskStatus.PENDING

    def exec_agent_running(self, container: ContainerState) -> bool:
        return (
            self.launch.enable_execute_command
            and self.exec_agent_status(container) == TaskStatus.RUNNING
        )

    def ecs_fields(self) -> dict[str, Any]:
        """The dynamic part of the DescribeTasks view (camelCase field -> value)."""
        fields: dict[str, Any] = {
            "lastStatus": self.last_status,
            "desiredStatus": self.desired_status,
            "createdAt": self.created_at,
            "enableExecuteCommand": self.launch.enable_execute_command,
            "healthStatus": self.health_status,
            "containers": [self._container_fields(c) for c in self.containers.values()],
        }
        optional = {
            "pullStartedAt": self.pull_started_at,
            "pullStoppedAt": self.pull_stopped_at,
            "startedAt": self.started_at,
            "connectivityAt": self.started_at,
            "stoppingAt": self.stopping_at,
            "stoppedAt": self.stopped_at,
            "executionStoppedAt": self.stopped_at,
            "stopCode": self.stop_code,
            "stoppedReason": self.stopped_reason,
        }
        fields.update(optional)
        # The task's size as RunTask's overrides left it (ECS reports the overridden one).
        if self.launch.cpu:
            fields["cpu"] = str(self.launch.cpu)
        if self.launch.memory:
            fields["memory"] = str(self.launch.memory)
        fields["connectivity"] = "CONNECTED" if self.started_at else None
        return fields

    def _container_fields(self, container: ContainerState) -> dict[str, Any]:
        spec = container.spec
        fields: dict[str, Any] = {
            "containerArn": spec.container_arn,
            "taskArn": self.task_arn,
            "name": spec.name,
            "image": spec.image,
            "runtimeId": spec.runtime_id,
            "lastStatus": container.last_status,
            "networkBindings": [],
            "networkInterfaces": [],
            "healthStatus": container.health or UNKNOWN,
            "cpu": str(spec.cpu),
        }
        if spec.memory is not None:
            fields["memory"] = str(spec.memory)
        if container.exit_code is not None:
            fields["exitCode"] = container.exit_code
        if container.reason:
            fields["reason"] = container.reason
        if self.launch.enable_execute_command:
            agent: dict[str, Any] = {
                "name": EXEC_AGENT,
                "lastStatus": self.exec_agent_status(container),
            }
            if container.started_at:
                agent["lastStartedAt"] = container.started_at
            if self.launch.task_role_arn is None:
                agent["reason"] = "ECS Exec needs a task role: the task definition has none"
            fields["managedAgents"] = [agent]
        return fields
