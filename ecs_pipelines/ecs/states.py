"""The words ECS uses for a task's lifecycle, as enums rather than string literals.

Sources: "Task lifecycle" in the ECS developer guide (lastStatus and desiredStatus values) and
the ``stopCode`` enum of botocore's ECS service model.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """A task's ``lastStatus`` (and ``desiredStatus``: RUNNING, PENDING or STOPPED)."""

    PROVISIONING = "PROVISIONING"
    PENDING = "PENDING"
    ACTIVATING = "ACTIVATING"
    RUNNING = "RUNNING"
    DEACTIVATING = "DEACTIVATING"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"


class StopCode(StrEnum):
    """Why a task stopped (``stopCode``)."""

    TASK_FAILED_TO_START = "TaskFailedToStart"
    ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
    USER_INITIATED = "UserInitiated"
    SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"
    SPOT_INTERRUPTION = "SpotInterruption"
    TERMINATION_NOTICE = "TerminationNotice"


# What the project reports for a task DescribeTasks no longer knows (not an ECS status).
MISSING = "MISSING"


def is_stopped(task_or_status: object) -> bool:
    """True for a described task (or a lastStatus) that reached STOPPED."""
    status = (
        task_or_status.get("lastStatus") if isinstance(task_or_status, dict) else task_or_status
    )
    return status == TaskStatus.STOPPED


def is_stopping(task: dict[str, object]) -> bool:
    """True once a stop was asked for or reached (desiredStatus or lastStatus STOPPED)."""
    return TaskStatus.STOPPED in (task.get("desiredStatus"), task.get("lastStatus"))
