"""The fault plan and the cap on running tasks, where the bridge answers: RunTask and
DescribeTasks.

The plan (``local/rules/fault_plan``) is set when the server starts (``local serve --faults``)
and may be replaced while it runs (``POST /_local/faults``); ``set_fault_plan`` swaps it under
the backend lock, so that a call sees the old plan or the new one, never half of each.
"""

from __future__ import annotations

import warnings
from typing import Any

from moto.ecs.exceptions import ECSException

from ecs_pipelines.local.moto_bridge.state import BACKEND_LOCK, registry
from ecs_pipelines.local.rules import (
    RATE_EXCEEDED,
    FaultDecider,
    FaultPlan,
    LaunchTarget,
    check_max_running_tasks,
    no_capacity_failures,
    over_cap,
)

# botocore's ECS model declares no ThrottlingException shape (ECS throttles with the common
# error), so moto warns as it serialises one; the wire answer is right, the warning is noise.
warnings.filterwarnings(
    "ignore",
    message=r"Exception\(ECSException\) with code ThrottlingException does not match",
    category=UserWarning,
)


def set_fault_plan(plan: FaultPlan) -> None:
    """From now on, calls and new tasks follow ``plan`` (its counts and windows start now)."""
    with BACKEND_LOCK:
        registry.faults = FaultDecider(plan)


def fault_plan() -> FaultPlan:
    with BACKEND_LOCK:
        return registry.faults.plan


def set_max_running_tasks(cap: int) -> None:
    """RunTask answers no capacity past ``cap`` tasks not yet STOPPED."""
    with BACKEND_LOCK:
        registry.max_running_tasks = check_max_running_tasks(cap)


def throttled(api: str) -> None:
    """Raises the throttling answer when the plan throttles ``api`` now."""
    code = registry.faults.throttle(api)
    if code is not None:
        raise ECSException(code, RATE_EXCEEDED)


def no_room(target: LaunchTarget, count: int, instance_arn: str) -> list[dict[str, Any]]:
    """RunTask's ``failures`` when ``count`` tasks of ``target`` find no room (past the cap,
    or the plan says so); [] when they may start."""
    if over_cap(registry.running_task_count(), count, registry.max_running_tasks):
        return no_capacity_failures(count, fargate=target.fargate, instance_arn=instance_arn)
    reason = registry.faults.no_capacity(target)
    if reason is None:
        return []
    return no_capacity_failures(
        count, fargate=target.fargate, reason=reason, instance_arn=instance_arn
    )
