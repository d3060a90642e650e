"""Pure: Fargate's valid task sizes, and the smaller one a task that used little would fit.

A hint, never a change: the step reports it when, over each of its recent runs, the task used
less than a threshold of what it reserved, and a smaller valid size holds the most it used plus
headroom. Valid sizes (cpu units -> memory MiB) are Fargate's table for Linux tasks
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from ecs_pipelines.ecs.usage.billing import CPU_UNITS_PER_VCPU, Reservation, cost_for
from ecs_pipelines.ecs.usage.prices import UnitPrices

# cpu units -> (lowest memory MiB, highest, step).
FARGATE_SIZES: dict[int, tuple[int, int, int]] = {
    256: (512, 512, 1),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}
_QUARTER_VCPU_MEMORY = (512, 1024, 2048)
DEFAULT_THRESHOLD = 0.5
DEFAULT_HEADROOM = 1.25
MIN_RUNS = 3


def valid_sizes() -> Iterator[tuple[int, int]]:
    """Every valid (cpu units, memory MiB), smallest first."""
    for cpu, (low, high, step) in FARGATE_SIZES.items():
        memories = _QUARTER_VCPU_MEMORY if cpu == 256 else range(low, high + 1, step)
        for memory in memories:
            yield cpu, memory


@dataclass(frozen=True)
class RunUsage:
    """What one run of the task used at most, and how long it was billed."""

    memory_peak_mib: float
    cpu_peak_units: float
    billed_seconds: int


@dataclass(frozen=True)
class SizeHint:
    """A smaller valid size, and what it would have saved per run on average."""

    cpu_units: int
    memory_mib: int
    saving_usd_per_run: float | None
    saving_fraction: float | None
    runs: int

    def text(self, current: Reservation) -> str:
        saving = ""
        if self.saving_usd_per_run is not None and self.saving_fraction is not None:
            saving = (
                f", saving about ${self.saving_usd_per_run:.6f} per run "
                f"({self.saving_fraction:.0%})"
            )
        return (
            f"Over its last {self.runs} runs this task used under its reservation of "
            f"cpu {current.cpu_units} / memory {current.memory_mib} MiB; the smaller Fargate "
            f"size cpu {self.cpu_units} / memory {self.memory_mib} MiB fits what it used"
            f"{saving}."
        )


def smallest_fitting(cpu_units: float, memory_mib: float) -> tuple[int, int] | None:
    """The cheapest valid size with at least ``cpu_units`` and ``memory_mib``."""
    fitting = [(c, m) for c, m in valid_sizes() if c >= cpu_units and m >= memory_mib]
    return min(fitting, key=_relative_price, default=None)


def _relative_price(size: tuple[int, int]) -> float:
    # A vCPU-hour costs about nine GiB-hours on Fargate, in every Region and architecture.
    return size[0] / CPU_UNITS_PER_VCPU * 9.1 + size[1] / 1024


def size_hint(
    reservation: Reservation,
    runs: Sequence[RunUsage],
    *,
    prices: UnitPrices | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    headroom: float = DEFAULT_HEADROOM,
    min_runs: int = MIN_RUNS,
) -> SizeHint | None:
    """A smaller size when each of at least ``min_runs`` runs used under ``threshold`` of the
    reserved memory or CPU, and the most any run used, times ``headroom``, fits one."""
    if len(runs) < min_runs or not reservation.cpu_units or not reservation.memory_mib:
        return None
    memory_peak = max(run.memory_peak_mib for run in runs)
    cpu_peak = max(run.cpu_peak_units for run in runs)
    under_memory = memory_peak < threshold * reservation.memory_mib
    under_cpu = cpu_peak < threshold * reservation.cpu_units
    if not (under_memory or under_cpu):
        return None
    size = smallest_fitting(
        max(cpu_peak * headroom, CPU_UNITS_PER_VCPU / 4), memory_peak * headroom
    )
    current = (reservation.cpu_units, reservation.memory_mib)
    if size is None or size == current:
        return None
    if size[0] > current[0] or size[1] > current[1]:
        return None
    smaller = replace(reservation, cpu_units=size[0], memory_mib=size[1])
    saving = fraction = None
    if prices is not None:
        seconds = sum(run.billed_seconds for run in runs) / len(runs)
        before = cost_for(reservation, round(seconds), prices)
        after = cost_for(smaller, round(seconds), prices)
        saving = before - after
        fraction = saving / before if before else None
    return SizeHint(
        cpu_units=size[0],
        memory_mib=size[1],
        saving_usd_per_run=saving,
        saving_fraction=fraction,
        runs=len(runs),
    )
