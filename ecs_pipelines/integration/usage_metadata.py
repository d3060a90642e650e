"""Pure: a step's cost and use as Dagster metadata, under the ``ecs/`` keys the asset page
plots over materialisations, and what earlier materialisations recorded, read back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import MetadataValue

from ecs_pipelines.ecs.usage import RunUsage, StepFigures

COST = "ecs/cost_usd"
BILLED_SECONDS = "ecs/billed_seconds"
VCPU_SECONDS_RESERVED = "ecs/vcpu_seconds_reserved"
VCPU_SECONDS_USED = "ecs/vcpu_seconds_used"
CPU_UTILIZATION_AVG = "ecs/cpu_utilization_avg"
CPU_PEAK_UNITS = "ecs/cpu_peak_units"
MEMORY_PEAK = "ecs/memory_peak_mib"
MEMORY_RESERVED = "ecs/memory_reserved_mib"
PER_TASK = "ecs/usage_by_task"
PRICES = "ecs/prices"
USAGE_NOTE = "ecs/usage_note"
RIGHT_SIZING = "ecs/right_sizing"


def usage_metadata(
    figures: StepFigures, *, prices_source: str | None, notes: list[str]
) -> dict[str, Any]:
    """The step's sums, each task's detail, where the prices came from, and what could not
    be measured (once per step)."""
    metadata: dict[str, Any] = {
        BILLED_SECONDS: MetadataValue.int(figures.billed_seconds),
        VCPU_SECONDS_RESERVED: MetadataValue.float(round(figures.vcpu_seconds_reserved, 3)),
        MEMORY_RESERVED: MetadataValue.int(figures.memory_reserved_mib),
        PER_TASK: MetadataValue.json(dict(figures.details())),
    }
    if figures.cost_usd is not None:
        metadata[COST] = MetadataValue.float(round(figures.cost_usd, 8))
    if prices_source:
        metadata[PRICES] = MetadataValue.text(prices_source)
    if figures.memory_peak_mib is not None:
        metadata[MEMORY_PEAK] = MetadataValue.float(round(figures.memory_peak_mib, 1))
    if figures.vcpu_seconds_used is not None:
        metadata[VCPU_SECONDS_USED] = MetadataValue.float(round(figures.vcpu_seconds_used, 3))
    if figures.cpu_utilization_avg is not None:
        metadata[CPU_UTILIZATION_AVG] = MetadataValue.float(round(figures.cpu_utilization_avg, 4))
    peaks = [t.usage.cpu_peak_units for t in figures.tasks if t.usage is not None]
    if peaks:
        metadata[CPU_PEAK_UNITS] = MetadataValue.float(round(max(peaks), 1))
    if notes:
        metadata[USAGE_NOTE] = MetadataValue.text("\n".join(notes))
    return metadata


def recorded_run(metadata: Mapping[str, Any]) -> RunUsage | None:
    """What an earlier materialisation of a one-task step recorded, or None without it."""

    def number(key: str) -> float | None:
        item = metadata.get(key)
        value = getattr(item, "value", item)
        return float(value) if isinstance(value, int | float) else None

    memory, cpu, seconds = number(MEMORY_PEAK), number(CPU_PEAK_UNITS), number(BILLED_SECONDS)
    if memory is None or cpu is None or seconds is None:
        return None
    return RunUsage(memory_peak_mib=memory, cpu_peak_units=cpu, billed_seconds=int(seconds))
