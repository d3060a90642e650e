"""Pure: a task's bill and use side by side, and a step's tasks summed, in plain numbers.

Whatever shows them (a step's metadata, the run log, the CLI) reads these: one set of names
and one rule for each sum. Memory figures of a step add its tasks' (they run side by side);
the average CPU utilisation is the step's vCPU-seconds used over the vCPU-seconds its tasks
reserved while they were measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.ecs.usage.billing import TaskCost
from ecs_pipelines.ecs.usage.performance import TaskUsage


@dataclass(frozen=True)
class TaskFigures:
    """One task: its bill, and its use when Container Insights had it."""

    cost: TaskCost
    usage: TaskUsage | None

    @property
    def task_id(self) -> str:
        return task_id(self.cost.task_arn)

    def detail(self) -> dict[str, object]:
        """The per-task numbers (JSON-ready)."""
        reservation = self.cost.reservation
        detail: dict[str, object] = {
            "capacity": reservation.capacity.value,
            "architecture": reservation.architecture.value,
            "cpu": reservation.cpu_units,
            "memory_mib": reservation.memory_mib,
            "billed_seconds": self.cost.billed_seconds,
            "vcpu_seconds_reserved": round(self.cost.vcpu_seconds_reserved, 3),
            "cost_usd": None if self.cost.cost_usd is None else round(self.cost.cost_usd, 8),
        }
        if self.usage is not None:
            detail.update(
                vcpu_seconds_used=round(self.usage.vcpu_seconds, 3),
                cpu_utilization_avg=_round(self.usage.cpu_utilization_avg),
                cpu_utilization_peak=_round(self.usage.cpu_utilization_peak),
                memory_peak_mib=round(self.usage.memory_peak_mib, 1),
            )
        return detail

    def line(self) -> str:
        """One line for the run log."""
        cost, reservation = self.cost, self.cost.reservation
        price = "no price" if cost.cost_usd is None else f"${cost.cost_usd:.6f}"
        text = (
            f"ECS task {self.task_id}: {reservation.capacity.value} "
            f"{reservation.architecture.value} cpu {reservation.cpu_units} / memory "
            f"{reservation.memory_mib} MiB, billed {cost.billed_seconds} s, {price}"
        )
        if self.usage is not None:
            average = self.usage.cpu_utilization_avg
            share = "" if average is None else f" (avg {average:.0%} of its cpu)"
            text += (
                f"; used {self.usage.vcpu_seconds:.2f} vCPU-s{share}, memory peak "
                f"{self.usage.memory_peak_mib:.0f} MiB"
            )
        return text


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(frozen=True)
class StepFigures:
    """A step's tasks summed; None where no task had the figure."""

    tasks: tuple[TaskFigures, ...]
    cost_usd: float | None
    billed_seconds: int
    vcpu_seconds_reserved: float
    memory_reserved_mib: int
    vcpu_seconds_used: float | None
    cpu_utilization_avg: float | None
    memory_peak_mib: float | None

    def details(self) -> Mapping[str, Mapping[str, object]]:
        return {figures.task_id: figures.detail() for figures in self.tasks}


def step_figures(tasks: Sequence[TaskFigures]) -> StepFigures:
    """The step's sums: a cost only when every task has one."""
    costs = [t.cost.cost_usd for t in tasks]
    measured = [t for t in tasks if t.usage is not None]
    used = sum(t.usage.vcpu_seconds for t in measured if t.usage is not None)
    reserved_measured = sum(
        t.cost.reservation.vcpu * t.usage.measured_seconds for t in measured if t.usage is not None
    )
    return StepFigures(
        tasks=tuple(tasks),
        cost_usd=None if not costs or None in costs else sum(c for c in costs if c is not None),
        billed_seconds=sum(t.cost.billed_seconds for t in tasks),
        vcpu_seconds_reserved=sum(t.cost.vcpu_seconds_reserved for t in tasks),
        memory_reserved_mib=sum(t.cost.reservation.memory_mib for t in tasks),
        vcpu_seconds_used=used if measured else None,
        cpu_utilization_avg=used / reserved_measured if reserved_measured else None,
        memory_peak_mib=(
            sum(t.usage.memory_peak_mib for t in measured if t.usage is not None)
            if measured
            else None
        ),
    )
