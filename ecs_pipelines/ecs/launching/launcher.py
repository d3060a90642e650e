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


def launch(
    client: EcsTaskClient,
    plan: LaunchPlan,
    *,
    on_wait: WaitObserver | None = None,
    deadline: Deadline | None = None,
    backoff: CapacityBackoff | None = None,
) -> list[str]:
    """RunTask with a clientToken; all or nothing (a partial launch is stopped); refusals
    that pass are retried within ``plan.capacity_retry_seconds`` and ``deadline``."""
    backoff = backoff or CapacityBackoff()
    base = plan.client_token or client.token_factory()
    # The sooner of the budget and the caller's deadline (an enclosing one included).
    budget = Deadline.after(plan.capacity_retry_seconds, backoff.clock)
    budget = budget.earliest(current_deadline().earliest(deadline))
    attempt = 0
    while True:
        request = plan.request.copy()
        request["clientToken"] = attempt_token(base, attempt)
        outcome = _attempt(client, plan, request)
        if not isinstance(outcome, _Refused):
            return outcome
        attempt += 1
        pause = backoff.pause(attempt - 1)
        left = budget.remaining() or 0.0
        if not outcome.refusal.retryable or pause >= left:
            raise _given_up(outcome, attempt, plan)
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
