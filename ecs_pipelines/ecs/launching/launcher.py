"""A launch: one RunTask of a plan, with a clientToken, all or nothing, waiting out no-capacity.

RunTask may start some of the tasks asked for and report ``failures`` for the rest; a half
launch leaves tasks nobody watches, so they are stopped (``tasks.stop_tasks``) before anything
else happens. When ECS says no for a reason that passes (no capacity, throttling, an EC2
instance short of CPU: ``capacity.py``), the launch is tried again after a jittered pause
("full jitter"), until it succeeds, the plan's ``capacity_retry_seconds`` are spent or the
caller's deadline passes. Each pause is told to ``on_wait`` once, before it starts.

Tokens. ECS documents one promise for a clientToken: "If you retry a request that completed
successfully using the same client token and the same parameters, the retry succeeds without
performing any further actions" (ECS API Reference, "Ensuring idempotency", and RunTask's
``clientToken``: "up to 64 ASCII characters... idempotent for 24 hours"). For a call that
failed, it promises nothing. A later call with the same token may be tried afresh, or may
replay the failure until the token expires. So:

- a call whose answer was lost (dropped connection, 5xx) is retried by the client's Retrier
  with the *same* token. If it had started tasks, the retry returns them.
- a call ECS answered with a refusal started nothing (any task it did start was stopped
  above), so the next attempt takes a *new* token, derived from the launch's token and the
  attempt number (``attempt_token``). A replayed failure cannot block it, and no task can
  start twice: each token started nothing or is never used again.

Attempt 0 keeps the launch's own token, so a resumed worker still finds the tasks of a launch
that succeeded the first time.

Fallback. A plan may name more capacity (``capacity_fallback``: ``fallback.py``): when its own
still refuses it once ``capacity_retry_seconds`` are spent, the next strategy is tried, with a
budget of its own, within the caller's deadline. ``on_fallback`` is told of each move, and
``launch_on_capacity`` says which capacity the tasks run on.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.common import Deadline, EcsLaunchError, current_deadline
from ecs_pipelines.ecs.launching.capacity import Refusal, error_refusal, failures_refusal
from ecs_pipelines.ecs.launching.fallback import CapacityStage, capacity_stages, stage_token
from ecs_pipelines.ecs.launching.plan import LaunchPlan
from ecs_pipelines.ecs.launching.tokens import derive_client_token
from ecs_pipelines.ecs.tasks import EcsTaskClient, stop_tasks

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import FailureTypeDef, RunTaskRequestTypeDef

PARTIAL_LAUNCH_REASON = "Launch incomplete: RunTask reported failures"
# Where a wait is said when the caller gives no ``on_wait`` (the resource's own calls).
_log = logging.getLogger("ecs_pipelines.launch")


def format_failures(failures: Sequence[FailureTypeDef]) -> str:
    parts = []
    for failure in failures:
        text = failure.get("reason", "unknown reason")
        if failure.get("detail"):
            text += f" ({failure['detail']})"
        if failure.get("arn"):
            text += f" for {failure['arn']}"
        parts.append(text)
    return "; ".join(parts)


def attempt_token(base: str, attempt: int) -> str:
    """The clientToken of attempt ``attempt`` (0 first) of a launch whose token is ``base``."""
    return base if attempt == 0 else derive_client_token(base, "capacity-attempt", str(attempt))


@dataclass(frozen=True)
class CapacityWait:
    """A pause of a launch that ECS refused for a passing reason, before its next attempt."""

    cluster: str
    task_definition: str
    attempt: int  # attempts made so far
    said: str  # ECS's answer
    meaning: str  # what the answer means (``capacity.py``)
    pause_seconds: float
    budget_left_seconds: float

    def message(self) -> str:
        return (
            f"RunTask on cluster {self.cluster} for {self.task_definition} was refused "
            f"({self.said}: {self.meaning}); attempt {self.attempt + 1} in "
            f"{self.pause_seconds:.1f} s ({self.budget_left_seconds:.0f} s left of "
            "capacity_retry_seconds)"
        )


WaitObserver = Callable[[CapacityWait], None]


@dataclass
class CapacityBackoff:
    """Pauses between attempts: uniform in [0, min(max_delay, base_delay * 2**n)]."""

    base_delay: float = 0.5
    max_delay: float = 20.0
    sleep: Callable[[float], object] = time.sleep
    rand: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic

    def pause(self, attempt: int) -> float:
        return self.rand() * min(self.max_delay, self.base_delay * 2.0**attempt)


@dataclass(frozen=True)
class CapacityFallback:
    """A launch moving on to its next capacity, its own having refused it for its budget."""

    cluster: str
    task_definition: str
    from_capacity: str
    to_capacity: str
    said: str  # ECS's last answer on ``from_capacity``

    def message(self) -> str:
        return (
            f"RunTask on cluster {self.cluster} for {self.task_definition} found no room on "
            f"{self.from_capacity} within capacity_retry_seconds ({self.said}); falling back "
            f"to {self.to_capacity} (capacity_fallback)"
        )


FallbackObserver = Callable[[CapacityFallback], None]


@dataclass(frozen=True)
class Launched:
    """The tasks of a launch and the capacity they run on."""

    task_arns: list[str]
    capacity: str
    passed_over: tuple[str, ...] = ()  # capacities that refused the launch first


def launch(
    client: EcsTaskClient,
    plan: LaunchPlan,
    *,
    on_wait: WaitObserver | None = None,
    deadline: Deadline | None = None,
    backoff: CapacityBackoff | None = None,
) -> list[str]:
    """RunTask with a clientToken; all or nothing (a partial launch is stopped); refusals
    that pass are retried within ``plan.capacity_retry_seconds`` and ``deadline``, on each
    capacity of the plan in turn."""
    return launch_on_capacity(
        client, plan, on_wait=on_wait, deadline=deadline, backoff=backoff
    ).task_arns


def launch_on_capacity(
    client: EcsTaskClient,
    plan: LaunchPlan,
    *,
    on_wait: WaitObserver | None = None,
    on_fallback: FallbackObserver | None = None,
    deadline: Deadline | None = None,
    backoff: CapacityBackoff | None = None,
) -> Launched:
    """``launch``, saying which capacity the tasks run on (``fallback.py``)."""
    backoff = backoff or CapacityBackoff()
    base = plan.client_token or client.token_factory()
    # The caller's deadline (an enclosing one included) bounds every stage.
    outer = current_deadline().earliest(deadline)
    stages = capacity_stages(plan)
    passed_over: list[str] = []
    for stage, following in zip(stages, [*stages[1:], None], strict=True):
        outcome = _on_stage(client, plan, stage, stage_token(base, stage), outer, backoff, on_wait)
        if isinstance(outcome, list):
            return Launched(outcome, stage.capacity, tuple(passed_over))
        refused, attempts = outcome
        if following is None or not refused.refusal.retryable or outer.expired():
            raise _given_up(refused, attempts, plan)
        passed_over.append(stage.capacity)
        moved = CapacityFallback(
            plan.cluster,
            plan.task_definition,
            stage.capacity,
            following.capacity,
            refused.refusal.said,
        )
        if on_fallback is not None:
            on_fallback(moved)
        else:
            _log.warning("%s", moved.message())
    raise AssertionError("a launch has at least its own capacity")  # pragma: no cover


def _on_stage(
    client: EcsTaskClient,
    plan: LaunchPlan,
    stage: CapacityStage,
    token: str,
    outer: Deadline,
    backoff: CapacityBackoff,
    on_wait: WaitObserver | None,
) -> list[str] | tuple[_Refused, int]:
    """Attempts on one capacity until one starts every task, the refusal is final or the
    stage's budget (the sooner of capacity_retry_seconds and ``outer``) is spent."""
    budget = Deadline.after(plan.capacity_retry_seconds, backoff.clock).earliest(outer)
    attempt = 0
    while True:
        request = stage.request.copy()
        request["clientToken"] = attempt_token(token, attempt)
        outcome = _attempt(client, plan, request)
        if not isinstance(outcome, _Refused):
            return outcome
        attempt += 1
        pause = backoff.pause(attempt - 1)
        left = budget.remaining() or 0.0
        if not outcome.refusal.retryable or pause >= left:
            return outcome, attempt
        wait = CapacityWait(
            plan.cluster,
            plan.task_definition,
            attempt,
            outcome.refusal.said,
            outcome.refusal.rule.meaning,
            pause,
            left - pause,
        )
        if on_wait is not None:
            on_wait(wait)
        else:
            _log.warning("%s", wait.message())
        backoff.sleep(pause)


@dataclass(frozen=True)
class _Refused:
    """An attempt ECS refused: why, and the error to raise if no attempt follows."""

    refusal: Refusal
    error: BaseException


def _attempt(
    client: EcsTaskClient, plan: LaunchPlan, request: RunTaskRequestTypeDef
) -> list[str] | _Refused:
    """One RunTask: the task ARNs when every task started, else the refusal."""
    try:
        response = client.run_task(request)
    except ClientError as refused:
        refusal = error_refusal(refused)
        if refusal is None:  # not an answer from ECS: nothing to decide a retry on
            raise
        return _Refused(refusal, refused)
    arns = [task["taskArn"] for task in response.get("tasks", [])]
    failures = response.get("failures", [])
    if not failures and len(arns) == plan.count:
        return arns
    # A half-launched request leaves tasks nobody watches: stop them before anything else.
    stop_tasks(client, plan.cluster, arns, reason=PARTIAL_LAUNCH_REASON)
    detail = format_failures(failures) or f"{len(arns)} of {plan.count} tasks started"
    error = EcsLaunchError(
        f"RunTask on cluster {plan.cluster} for {plan.task_definition} failed: {detail}",
        failures=list(failures),
        task_arns=arns,
    )
    return _Refused(failures_refusal(failures), error)


def _given_up(refused: _Refused, attempts: int, plan: LaunchPlan) -> BaseException:
    refusal, error = refused.refusal, refused.error
    if refusal.retryable:
        error.add_note(
            f"Gave up after {attempts} attempt(s): capacity_retry_seconds="
            f"{plan.capacity_retry_seconds:g} (or the caller's deadline) ran out "
            f"({refusal.rule.meaning}; see {refusal.rule.source})"
        )
    return error
