"""A fault plan's decisions, call by call: deterministic for a seeded plan. No moto here.

The decider keeps what a decision depends on: how often each fault fired, the time since the
plan was set (an injected clock) and one random stream seeded from the plan. A rate is drawn
only for a call the fault applies to, inside its window, and before its count is used up. The
same plan, given the same calls in the same order, therefore makes the same decisions. The
caller serialises calls (the embedded ECS holds its backend lock).

It also holds the answers ECS gives for each fault, so that the embedded ECS answers in ECS's
words: the Fargate capacity message and the EC2 ``RESOURCE:CPU`` of "API failure reasons"
(ECS Developer Guide), and the stop codes and stopped-reason prefixes of "Amazon ECS stopped
task error messages" (``SpotInterruption``, ``TaskFailedToStart`` with
``CannotPullContainerError:`` or ``ResourceInitializationError:``).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable

from ecs_pipelines.ecs.common import StopCode
from ecs_pipelines.local.contract import NO_TASK_FAULTS, TaskFaults
from ecs_pipelines.local.rules.fault_plan import (
    INIT_ERROR,
    NO_CAPACITY,
    PULL_ERROR,
    SPOT_RECLAIM,
    THROTTLE,
    Fault,
    FaultPlan,
    LaunchTarget,
)

FARGATE_NO_CAPACITY = (
    "Capacity is unavailable at this time. Please try again later or in a different "
    "availability zone"
)
EC2_NO_CAPACITY = "RESOURCE:CPU"
RATE_EXCEEDED = "Rate exceeded"
SPOT_INTERRUPTION = StopCode.SPOT_INTERRUPTION
SPOT_STOPPED_REASON = "Your Spot Task was interrupted."
_INJECTED = "(injected by the embedded ECS's fault plan)"


def no_capacity_reason(fault: Fault, launch: LaunchTarget) -> str:
    """The failure reason RunTask answers for ``fault`` on ``launch``."""
    if fault.reason is not None:
        return fault.reason
    return FARGATE_NO_CAPACITY if launch.fargate else EC2_NO_CAPACITY


def start_failure_reason(fault: Fault, image: str) -> str:
    """The stoppedReason of a task that fails to start by ``fault``, as ECS words it."""
    if fault.kind == PULL_ERROR:
        return (
            f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {image}: not found {_INJECTED}"
        )
    return (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution "
        f"resource retrieval failed: unable to retrieve secret from asm {_INJECTED}"
    )


class FaultDecider:
    """Decides, call after call, which faults of ``plan`` fire."""

    def __init__(self, plan: FaultPlan, clock: Callable[[], float] = time.monotonic) -> None:
        self.plan = plan
        self._clock = clock
        self._set_at = clock()
        self._random = random.Random(plan.seed)
        self._fired: Counter[int] = Counter()

    def _fires(self, index: int, fault: Fault) -> bool:
        elapsed = self._clock() - self._set_at
        if elapsed < fault.start_seconds:
            return False
        if fault.end_seconds is not None and elapsed >= fault.end_seconds:
            return False
        if fault.count is not None and self._fired[index] >= fault.count:
            return False
        if fault.rate is not None and self._random.random() >= fault.rate:
            return False
        self._fired[index] += 1
        return True

    def throttle(self, api: str) -> str | None:
        """The error code ``api`` answers now (its message is ``RATE_EXCEEDED``), or None."""
        for index, fault in self.plan.of_kind(THROTTLE):
            if fault.api == api and self._fires(index, fault):
                return fault.code
        return None

    def no_capacity(self, launch: LaunchTarget) -> str | None:
        """The failure reason RunTask answers instead of starting tasks, or None."""
        for index, fault in self.plan.of_kind(NO_CAPACITY):
            if fault.applies_to(launch) and self._fires(index, fault):
                return no_capacity_reason(fault, launch)
        return None

    def task_faults(self, launch: LaunchTarget, image: str) -> TaskFaults:
        """What happens to one task of ``launch`` whose first container runs ``image``."""
        for index, fault in self.plan.of_kind(PULL_ERROR, INIT_ERROR):
            if fault.applies_to(launch) and self._fires(index, fault):
                return TaskFaults(start_failure=start_failure_reason(fault, image))
        for index, fault in self.plan.of_kind(SPOT_RECLAIM):
            if fault.applies_to(launch) and self._fires(index, fault):
                return TaskFaults(
                    reclaim_after_seconds=fault.after_seconds,
                    reclaim_warning_seconds=fault.warning_seconds,
                )
        return NO_TASK_FAULTS
