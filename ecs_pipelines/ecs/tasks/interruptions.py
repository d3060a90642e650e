"""Which stopped tasks were interrupted, through no fault of their own: one table of stop codes
and stopped reasons, each with its source, and the decision to launch a task again. Pure.

A task can fail in two ways. It can fail on its own: an essential container exits non-zero
(stopCode ``EssentialContainerExited``), and running the same code again is a retry of the
work, which is the business of the op's Dagster ``RetryPolicy``. Or the platform can end it:
Fargate Spot takes its capacity back (``SpotInterruption``), the host is retired
(``TerminationNotice``), or the task never started because the host could not set it up
(``TaskFailedToStart`` with ``ResourceInitializationError`` or a pull that failed for a
passing reason). Only the second kind is relaunched by ``relaunch_decision``, as a new
attempt of the same step attempt, up to ``interruption_relaunches`` times.

The two compose: a step relaunches interrupted tasks inside one Dagster step attempt; once a
task fails on its own (or the relaunches are spent), the step fails and its RetryPolicy, if
any, starts the next step attempt, which has relaunches of its own.

Stop codes and reasons follow the ECS Developer Guide, "Amazon ECS stopped task error codes"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html)
and the pages it links for each reason. A code or reason not in the table is the task's own
failure: relaunching a failure we do not understand could run a broken task many times.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecs_pipelines.ecs.common import StopCode
from ecs_pipelines.ecs.tasks.results import EcsTaskResult

STOP_CODES_DOC = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html"
)
SPOT_DOC = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html"
)
RETIREMENT_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html"
INIT_ERROR_DOC = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html"
)
PULL_ERROR_DOC = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html"
)
# A pull that failed because the image is not there or not ours will fail the same way again
# ("CannotPullContainer task errors": "manifest unknown", "not found", "access denied").
PERMANENT_PULL_MARKERS = ("not found", "manifest unknown", "access denied", "unauthorized")


@dataclass(frozen=True)
class InterruptionRule:
    """A stop code (and, when given, a stoppedReason prefix) that means the platform ended the
    task, what it means and where ECS documents it."""

    stop_code: str
    reason_prefix: str  # "": any reason
    meaning: str
    source: str


INTERRUPTIONS: tuple[InterruptionRule, ...] = (
    InterruptionRule(
        StopCode.SPOT_INTERRUPTION,
        "",
        "Fargate Spot took its capacity back (after a two-minute warning)",
        SPOT_DOC,
    ),
    InterruptionRule(
        StopCode.TERMINATION_NOTICE,
        "",
        "the task's host was retired or terminated (task maintenance)",
        RETIREMENT_DOC,
    ),
    InterruptionRule(
        StopCode.TASK_FAILED_TO_START,
        "ResourceInitializationError",
        "the host could not set the task up (network interface, secrets, log driver)",
        INIT_ERROR_DOC,
    ),
    InterruptionRule(
        StopCode.TASK_FAILED_TO_START,
        "CannotPullContainerError",
        "the image could not be pulled for a passing reason (network, registry throttling)",
        PULL_ERROR_DOC,
    ),
)


@dataclass(frozen=True)
class Relaunch:
    """A task to launch again: the one it replaces, why, and which relaunch this is."""

    predecessor_arn: str
    stop_code: str
    stopped_reason: str
    rule: InterruptionRule
    number: int  # 1 for the first relaunch of a task

    def message(self, allowed: int) -> str:
        return (
            f"ECS task {self.predecessor_arn} was interrupted ({self.stop_code}: "
            f"{self.stopped_reason}; {self.rule.meaning}); relaunching it "
            f"(relaunch {self.number} of {allowed}, interruption_relaunches; see "
            f"{self.rule.source})"
        )


def interruption_of(result: EcsTaskResult) -> InterruptionRule | None:
    """The rule by which the platform, not the task, ended ``result``; None for a success, a
    lost task, or a task that failed on its own."""
    if result.succeeded or result.lost or not result.stop_code:
        return None
    reason = result.stopped_reason or ""
    for rule in INTERRUPTIONS:
        if rule.stop_code != result.stop_code or not reason.startswith(rule.reason_prefix):
            continue
        if rule.reason_prefix == "CannotPullContainerError" and _permanent_pull(reason):
            return None
        return rule
    return None


def relaunch_decision(result: EcsTaskResult, *, relaunched: int, allowed: int) -> Relaunch | None:
    """A relaunch of ``result``'s task when it was interrupted and fewer than ``allowed``
    relaunches of it were made; None when its result stands."""
    rule = interruption_of(result)
    if rule is None or relaunched >= allowed:
        return None
    return Relaunch(
        result.task_arn,
        result.stop_code or "",
        result.stopped_reason or "",
        rule,
        relaunched + 1,
    )


def _permanent_pull(reason: str) -> bool:
    lowered = reason.lower()
    return any(marker in lowered for marker in PERMANENT_PULL_MARKERS)
