"""What a finished (or lost) ECS task amounts to, as handed to callers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.common import MISSING, Redactor, masked_task, task_id

if TYPE_CHECKING:
    from ecs_pipelines.ecs.tasks.status import TaskVerdict


@dataclass(frozen=True)
class EcsTaskResult:
    """The outcome of one ECS task once it has STOPPED (or ECS no longer knows it).

    ``task`` is the described task with every environment override value masked: a result is
    stored (an op's output, a sensor's report), and RunTask overrides may carry secrets.
    """

    task_arn: str
    last_status: str
    stop_code: str | None
    stopped_reason: str | None
    exit_codes: Mapping[str, int | None]
    succeeded: bool
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    reason: str = ""
    task_definition_arn: str | None = None
    cluster_arn: str | None = None
    log_lines_complete: bool = True
    task: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def task_id(self) -> str:
        return task_id(self.task_arn)

    @property
    def lost(self) -> bool:
        """True when ECS answered MISSING for the task: its outcome is unknown, so it failed."""
        return self.last_status == MISSING

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.stopped_at is None:
            return None
        return (self.stopped_at - self.started_at).total_seconds()

    def masked(self, redactor: Redactor) -> EcsTaskResult:
        """This result with every secret ``redactor`` knows masked in its texts and its task,
        ready to render. ``reason`` joins the stop reason and container reasons as they are
        (``status.py``: no quoting or escaping), so masking it masks those values."""
        if not redactor:
            return self
        return dataclasses.replace(
            self,
            reason=redactor(self.reason),
            stopped_reason=None if self.stopped_reason is None else redactor(self.stopped_reason),
            task=redactor.data(dict(self.task)),
        )

    def summary(self) -> str:
        codes = ", ".join(f"{name}={code}" for name, code in sorted(self.exit_codes.items()))
        state = "succeeded" if self.succeeded else "failed"
        return f"{self.task_id} {state}: {self.reason} [exit codes: {codes or 'none'}]"


def result_from_task(
    task: Mapping[str, Any], verdict: TaskVerdict, *, logs_complete: bool = True
) -> EcsTaskResult:
    """The result of a described task that the status decision called finished."""
    from ecs_pipelines.ecs.tasks.status import Outcome

    return EcsTaskResult(
        task_arn=task["taskArn"],
        last_status=verdict.last_status,
        stop_code=verdict.stop_code,
        stopped_reason=verdict.stopped_reason,
        exit_codes=dict(verdict.exit_codes),
        succeeded=verdict.outcome is Outcome.SUCCEEDED,
        started_at=task.get("startedAt"),
        stopped_at=task.get("stoppedAt"),
        reason=verdict.reason,
        task_definition_arn=task.get("taskDefinitionArn"),
        cluster_arn=task.get("clusterArn"),
        log_lines_complete=logs_complete,
        task=masked_task(task),
    )


def lost_result(task_arn: str, reason: str) -> EcsTaskResult:
    """The result of a task DescribeTasks no longer knows: failed, outcome unknown."""
    return EcsTaskResult(
        task_arn=task_arn,
        last_status=MISSING,
        stop_code=None,
        stopped_reason=None,
        exit_codes={},
        succeeded=False,
        reason=f"ECS does not know this task ({reason}): its outcome cannot be told",
    )
