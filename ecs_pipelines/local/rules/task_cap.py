"""The embedded ECS's cap on running tasks, answered as ECS answers a launch it has no room
for. Pure.

Tasks are host processes: past some number the host, not ECS, would give out. Beyond the cap,
RunTask starts nothing and reports one failure per task asked for, as ECS does when capacity
runs out: Fargate's "Capacity is unavailable at this time..." or, on EC2, ``RESOURCE:CPU``
naming the container instance ("API failure reasons", ECS Developer Guide). The default is
generous (``TASKS_PER_CPU`` per host CPU), so that a test suite never meets it.
"""

from __future__ import annotations

import os
from typing import Any

from ecs_pipelines.local.rules.fault_decider import EC2_NO_CAPACITY, FARGATE_NO_CAPACITY

TASKS_PER_CPU = 32


def default_max_running_tasks() -> int:
    """The cap when none is given: ``TASKS_PER_CPU`` per CPU of this host."""
    return TASKS_PER_CPU * (os.cpu_count() or 1)


def check_max_running_tasks(value: int) -> int:
    """A cap of at least one task."""
    if value < 1:
        raise ValueError(f"max_running_tasks: must be at least 1, got {value}")
    return value


def over_cap(running: int, count: int, cap: int) -> bool:
    """Whether starting ``count`` more tasks beside ``running`` ones passes the cap."""
    return running + count > cap


def no_capacity_failures(
    count: int, *, fargate: bool, reason: str | None = None, instance_arn: str = ""
) -> list[dict[str, Any]]:
    """RunTask's ``failures`` for ``count`` tasks that found no capacity (``reason``, or the
    one ECS gives on Fargate or EC2)."""
    said = reason or (FARGATE_NO_CAPACITY if fargate else EC2_NO_CAPACITY)
    failure: dict[str, Any] = {"reason": said}
    if not fargate and instance_arn:
        failure["arn"] = instance_arn
    return [dict(failure) for _ in range(count)]
