"""Why a step stops its tasks, and the stop itself: a failed sibling, a terminated run, a step
that ended early. Every stop goes through the one stop path (``ecs.tasks.stop_tasks``)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.ecs.tasks import EcsTaskClient, EcsTaskResult, interruption_of, stop_tasks

SIBLING_STOP_REASON = "Sibling task {task_id} failed in Dagster run {run_id}"
TERMINATED_STOP_REASON = "Dagster run {run_id} was terminated (step {step_key})"
ENDED_EARLY_STOP_REASON = "Dagster run {run_id} step {step_key} ended early: {kind}"


def stop_reason(error: BaseException, *, run_id: str, step_key: str) -> str:
    """The reason a step's tasks are stopped when ``error`` ends the step."""
    kind = type(error).__name__
    if kind in ("DagsterExecutionInterruptedError", "KeyboardInterrupt"):
        return TERMINATED_STOP_REASON.format(run_id=run_id, step_key=step_key)
    return ENDED_EARLY_STOP_REASON.format(run_id=run_id, step_key=step_key, kind=kind)


def siblings_to_stop(
    result: EcsTaskResult, arns: Sequence[str], *, run_id: str
) -> tuple[list[str], str] | None:
    """A failed task fails the step: its siblings (and why) to stop now rather than wait for
    them. None for a success, a lone task, or an interrupted one (it may be relaunched)."""
    if result.succeeded or len(arns) == 1 or interruption_of(result) is not None:
        return None
    reason = SIBLING_STOP_REASON.format(task_id=result.task_id, run_id=run_id)
    return [a for a in arns if task_id(a) != result.task_id], reason


def stop_and_say(
    client: EcsTaskClient, cluster: str, arns: Sequence[str], reason: str, log: Any
) -> None:
    """Best effort, in the launch's cluster; never raises over the error that caused it."""
    report = stop_tasks(client, cluster, arns, reason=reason)
    # Logging must not fail the cleanup either: a closing run may refuse new events.
    with suppress(Exception):
        for arn in report.stopped:
            log.warning(f"Stopped ECS task {arn}: {reason}")
        for problem in report.failed.values():
            log.warning(problem)
