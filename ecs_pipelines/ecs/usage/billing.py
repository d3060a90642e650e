"""Pure: what a stopped task reserved, how long it was billed, and what that cost.

Fargate bills a task for the vCPU, memory and ephemeral storage it reserved (not what it used)
"from the time you start to download your container image until the Amazon ECS Task
terminates, rounded up to the nearest second", with "a minimum charge of 1 minute" (Linux;
https://aws.amazon.com/fargate/pricing/). In DescribeTasks' words: from ``pullStartedAt`` to
``stoppedAt``; a task that never began pulling is not billed. Storage is billed past the 20 GiB
every task gets. Tasks on EC2 (or external) instances are paid for by the instance: they get
their reserved vCPU-seconds and GiB-seconds, and a cost only at prices the user gives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecs_pipelines.ecs.usage.prices import Architecture, Capacity, PriceTable, UnitPrices

FARGATE_MINIMUM_SECONDS = 60
FREE_STORAGE_GIB = 20
CPU_UNITS_PER_VCPU = 1024
MIB_PER_GIB = 1024
_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Reservation:
    """What a task reserved and where it ran."""

    cpu_units: int
    memory_mib: int
    storage_gib: float
    capacity: Capacity
    architecture: Architecture

    @property
    def vcpu(self) -> float:
        return self.cpu_units / CPU_UNITS_PER_VCPU

    @property
    def memory_gib(self) -> float:
        return self.memory_mib / MIB_PER_GIB

    @property
    def extra_storage_gib(self) -> float:
        return max(0.0, self.storage_gib - FREE_STORAGE_GIB)


@dataclass(frozen=True)
class TaskCost:
    """One task's bill: the seconds billed, what was reserved over them, and the USD cost
    (None when no price applies: EC2 without the user's prices, a Region without prices)."""

    task_arn: str
    reservation: Reservation
    billed_seconds: int
    vcpu_seconds_reserved: float
    gib_seconds_reserved: float
    cost_usd: float | None
    prices_source: str | None


def capacity_of(task: Mapping[str, Any]) -> Capacity:
    """FARGATE_SPOT from the task's capacity provider, FARGATE from its launch type (or
    provider), else EC2 (EC2, EXTERNAL and EC2 capacity providers)."""
    provider = str(task.get("capacityProviderName") or "")
    if provider == "FARGATE_SPOT":
        return Capacity.FARGATE_SPOT
    if provider == "FARGATE" or task.get("launchType") == "FARGATE":
        return Capacity.FARGATE
    return Capacity.EC2


def architecture_of(task: Mapping[str, Any], default: Architecture) -> Architecture:
    """The task's ``ecs.cpu-architecture`` attribute (Fargate sets it), else ``default`` (the
    task definition's runtimePlatform)."""
    for attribute in task.get("attributes") or ():
        if attribute.get("name") == "ecs.cpu-architecture":
            value = str(attribute.get("value", "")).lower()
            return Architecture.ARM64 if value in ("arm64", "aarch64") else Architecture.X86_64
    return default


def _int(value: Any) -> int:
    try:
        return int(str(value).strip() or 0)
    except ValueError:
        return 0


def reservation_of(
    task: Mapping[str, Any], *, default_architecture: Architecture = Architecture.X86_64
) -> Reservation:
    """A described task's reservation: task-level cpu and memory, or (EC2 tasks without them)
    the sum of its containers' cpu and memory (hard limit, else reservation)."""
    cpu, memory = _int(task.get("cpu")), _int(task.get("memory"))
    containers = task.get("containers") or ()
    if not cpu:
        cpu = sum(_int(c.get("cpu")) for c in containers)
    if not memory:
        memory = sum(_int(c.get("memory") or c.get("memoryReservation")) for c in containers)
    storage = (task.get("ephemeralStorage") or {}).get("sizeInGiB") or FREE_STORAGE_GIB
    return Reservation(
        cpu_units=cpu,
        memory_mib=memory,
        storage_gib=float(storage),
        capacity=capacity_of(task),
        architecture=architecture_of(task, default_architecture),
    )


def billed_seconds(task: Mapping[str, Any], capacity: Capacity) -> int:
    """Fargate: whole seconds from pullStartedAt to stoppedAt, at least 60; 0 when the task
    never began pulling. EC2: whole seconds from startedAt (else pullStartedAt) to stoppedAt."""
    stopped = task.get("stoppedAt")
    if capacity is Capacity.EC2:
        start = task.get("startedAt") or task.get("pullStartedAt")
        minimum = 0
    else:
        start = task.get("pullStartedAt")
        minimum = FARGATE_MINIMUM_SECONDS
    if not isinstance(start, datetime) or not isinstance(stopped, datetime):
        return 0
    return max(minimum, math.ceil((stopped - start).total_seconds()))


def cost_for(reservation: Reservation, seconds: int, prices: UnitPrices) -> float:
    """The formula: seconds x (vCPU x vCPU price + GiB x GiB price + extra storage GiB x
    storage price), prices per hour."""
    hourly = (
        reservation.vcpu * prices.vcpu_hour
        + reservation.memory_gib * prices.gib_hour
        + reservation.extra_storage_gib * prices.storage_gib_hour
    )
    return seconds * hourly / _SECONDS_PER_HOUR


def task_cost(
    task: Mapping[str, Any],
    *,
    region: str,
    prices: PriceTable,
    default_architecture: Architecture = Architecture.X86_64,
) -> TaskCost:
    """The bill of one described (stopped) task."""
    reservation = reservation_of(task, default_architecture=default_architecture)
    seconds = billed_seconds(task, reservation.capacity)
    unit = prices.get(region, reservation.capacity, reservation.architecture)
    return TaskCost(
        task_arn=str(task.get("taskArn", "")),
        reservation=reservation,
        billed_seconds=seconds,
        vcpu_seconds_reserved=reservation.vcpu * seconds,
        gib_seconds_reserved=reservation.memory_gib * seconds,
        cost_usd=None if unit is None else cost_for(reservation, seconds, unit),
        prices_source=None if unit is None else prices.source,
    )
