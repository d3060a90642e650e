"""Pure: Container Insights' task performance events, written and read.

Per-task figures come from the performance log events ECS writes to
``/aws/ecs/containerinsights/<cluster>/performance`` when Container Insights is on (``enabled``
or ``enhanced``): one JSON event of ``"Type": "Task"`` per task per collection period (a minute
on AWS), with ``CpuUtilized`` (CPU units used, averaged over the period), ``CpuReserved``,
``MemoryUtilized`` and ``MemoryReserved`` (MiB), ``TaskId`` and ``StartedAt`` / ``Timestamp``
(epoch milliseconds). The ``ECS/ContainerInsights`` metrics carry a TaskId dimension only under
enhanced observability; the log events carry it at either level, so they are what is read.

The embedded ECS writes the same events (more often: a period of a second), so one reader
serves both. A period is the gap since the task's previous event (the first: since the task
started, at most ``MAX_PERIOD_SECONDS``), which holds for either cadence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecs_pipelines.ecs.common import TaskStatus
from ecs_pipelines.ecs.usage.billing import CPU_UNITS_PER_VCPU

PERFORMANCE_GROUP = "/aws/ecs/containerinsights/{cluster}/performance"
TASK_EVENT_TYPE = "Task"
MAX_PERIOD_SECONDS = 60.0
# A peak is taken over periods at least this long: over a shorter one (a task's last moments,
# between the last sample and its exit) it says more about the sampling than about the task.
MIN_PEAK_SECONDS = 1.0


def performance_group(cluster_name: str) -> str:
    return PERFORMANCE_GROUP.format(cluster=cluster_name)


@dataclass(frozen=True)
class TaskUsage:
    """What one task used, from its performance events."""

    task_id: str
    vcpu_seconds: float
    cpu_utilization_avg: float | None
    cpu_utilization_peak: float | None
    cpu_peak_units: float
    memory_peak_mib: float
    samples: int
    # Seconds the events cover (the sum of their periods).
    measured_seconds: float = 0.0
    # (epoch seconds at the end of the period, CPU units used, memory MiB), oldest first.
    series: tuple[tuple[float, float, float], ...] = ()


def task_event(
    *,
    task_id: str,
    cluster: str,
    family: str,
    launch_type: str,
    started_at_ms: int,
    timestamp_ms: int,
    cpu_units_used: float,
    cpu_reserved: float,
    memory_mib_used: float,
    memory_reserved: float,
) -> str:
    """One task event, shaped as ECS writes it (the fields read here, and a few around them)."""
    return json.dumps(
        {
            "Version": "0",
            "Type": TASK_EVENT_TYPE,
            "TaskId": task_id,
            "TaskDefinitionFamily": family,
            "ClusterName": cluster,
            "LaunchType": launch_type,
            "KnownStatus": TaskStatus.RUNNING.value,
            "StartedAt": started_at_ms,
            "Timestamp": timestamp_ms,
            "CpuUtilized": round(cpu_units_used, 4),
            "CpuReserved": cpu_reserved,
            "MemoryUtilized": round(memory_mib_used, 2),
            "MemoryReserved": memory_reserved,
        },
        separators=(",", ":"),
    )


def filter_pattern(task_ids: Iterable[str], *, limit: int = 1024) -> str:
    """FilterLogEvents' pattern for the task events of ``task_ids`` (only the type when the
    ids would pass the pattern's length limit: the reader keeps only the tasks it asked for)."""
    ids = sorted(set(task_ids))
    named = " || ".join(f'$.TaskId = "{each}"' for each in ids)
    pattern = f'{{ $.Type = "{TASK_EVENT_TYPE}" && ({named}) }}'
    return pattern if ids and len(pattern) <= limit else f'{{ $.Type = "{TASK_EVENT_TYPE}" }}'


def _number(event: Mapping[str, Any], key: str) -> float | None:
    value = event.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def parse_task_events(messages: Iterable[str], task_ids: Iterable[str]) -> dict[str, TaskUsage]:
    """Each asked-for task's usage from the messages of its performance group; other events,
    other types and messages that are not JSON are skipped."""
    wanted = set(task_ids)
    by_task: dict[str, list[Mapping[str, Any]]] = {}
    for message in messages:
        try:
            event = json.loads(message)
        except ValueError:
            continue
        if not isinstance(event, dict) or event.get("Type") != TASK_EVENT_TYPE:
            continue
        task = event.get("TaskId")
        if task in wanted and _number(event, "Timestamp") is not None:
            by_task.setdefault(str(task), []).append(event)
    return {task: usage_of(task, events) for task, events in by_task.items()}


def usage_of(task: str, events: list[Mapping[str, Any]]) -> TaskUsage:
    """One task's usage from its events (any order)."""
    events = sorted(events, key=lambda e: _number(e, "Timestamp") or 0.0)
    vcpu_seconds = period_total = 0.0
    memory_peak = 0.0
    # (CPU units used, CPU units reserved) of each period long enough to tell a peak.
    peaks: list[tuple[float, float | None]] = []
    series: list[tuple[float, float, float]] = []
    previous: float | None = None
    for event in events:
        stamp = (_number(event, "Timestamp") or 0.0) / 1000
        started = _number(event, "StartedAt")
        if previous is not None:
            period = stamp - previous
        elif started is not None:
            period = stamp - started / 1000
        else:
            period = MAX_PERIOD_SECONDS
        period = min(max(period, 0.0), MAX_PERIOD_SECONDS)
        previous = stamp
        used = _number(event, "CpuUtilized") or 0.0
        memory = _number(event, "MemoryUtilized") or 0.0
        reserved = _number(event, "CpuReserved")
        vcpu_seconds += used / CPU_UNITS_PER_VCPU * period
        period_total += period
        memory_peak = max(memory_peak, memory)
        if period >= MIN_PEAK_SECONDS:
            peaks.append((used, reserved))
        series.append((stamp, used, memory))
    reserved_units = next((r for r in (_number(e, "CpuReserved") for e in events) if r), None)
    average = None
    if reserved_units and period_total:
        average = vcpu_seconds * CPU_UNITS_PER_VCPU / (reserved_units * period_total)
    if not peaks and period_total:  # every period too short: the task's average is its peak
        peaks = [(vcpu_seconds * CPU_UNITS_PER_VCPU / period_total, reserved_units)]
    peak_units = max((used for used, _ in peaks), default=0.0)
    shares = [used / reserved for used, reserved in peaks if reserved]
    peak_share = max(shares) if shares else None
    return TaskUsage(
        task_id=task,
        vcpu_seconds=vcpu_seconds,
        cpu_utilization_avg=average,
        cpu_utilization_peak=peak_share,
        cpu_peak_units=peak_units,
        memory_peak_mib=memory_peak,
        samples=len(events),
        measured_seconds=period_total,
        series=tuple(series),
    )
