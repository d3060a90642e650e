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
