"""Writes into moto's models on behalf of the runner: task fields, log events, instance room.

Log events are held within ``log_retention``'s bounds: each write accounts for what it adds,
and drops the oldest events of a stream past its bound, or of every stream past the total.
What was dropped of each stream is kept beside moto (``dropped_events``) so that GetLogEvents
tokens keep their place (``log_reads``), and the server says once per stream that it drops.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from operator import attrgetter
from types import SimpleNamespace
from typing import Any
from weakref import WeakKeyDictionary

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto.logs.models import LogEvent, LogStream, logs_backends

from ecs_pipelines.ecs.common import TaskStatus
from ecs_pipelines.local.moto_bridge.state import (
    BACKEND_LOCK,
    Adopted,
    originals,
    registry,
    set_fields,
)
from ecs_pipelines.local.rules import (
    MIB,
    Age,
    Drop,
    LogLimits,
    StreamHold,
    event_bytes,
    events_bytes,
    head_to_drop,
    oldest_to_drop,
)


def update_task(task_arn: str, fields: dict[str, Any]) -> None:
    """Copy ECS fields (camelCase) onto moto's task object; moto serialises them as they are."""
    with BACKEND_LOCK:
        adopted = registry.by_arn.get(task_arn)
        if adopted is None:
            return
        task = adopted.task
        set_fields(task, fields)
        status = fields.get("lastStatus")
        cluster = adopted.backend.clusters.get(adopted.cluster_name)
        if (
            status == TaskStatus.RUNNING
            and not adopted.counted_running
            and not task.container_instance_arn
        ):
            # moto counts EC2 tasks at placement; count Fargate tasks when they run.
            adopted.counted_running = True
            if cluster is not None:
                cluster.running_tasks_count += 1
        if status == TaskStatus.STOPPED and not adopted.released:
            adopted.released = True
            _release(adopted, cluster)


def _release(adopted: Adopted, cluster: Any) -> None:
    task = adopted.task
    if task.container_instance_arn:
        instances = adopted.backend.container_instances.get(adopted.cluster_name, {})
        instance = instances.get(task.container_instance_arn.split("/")[-1])
        if instance is not None and task.resource_requirements:
            adopted.backend.update_container_instance_resources(
                instance, task.resource_requirements, removing=True
            )
        if cluster is not None:
            cluster.running_tasks_count -= 1
    elif adopted.counted_running and cluster is not None:
        cluster.running_tasks_count -= 1


_log = logging.getLogger(__name__)


class _Holds:
    """What the server holds of each log stream written here, and in all of them.

    Keyed by moto's stream objects, weakly: a stream deleted (DeleteLogStream, DeleteLogGroup,
    moto's reset) is forgotten with its events. ``total`` may still count such a stream until
    the next time it passes the bound, when it is summed afresh.
    """

    def __init__(self) -> None:
        self.limits = LogLimits()
        self.streams: WeakKeyDictionary[LogStream, StreamHold] = WeakKeyDictionary()
        self.total = 0

    def reset(self, limits: LogLimits) -> None:
        self.limits = limits
        self.streams.clear()
        self.total = 0


_holds = _Holds()


def limit_log_events(limits: LogLimits) -> None:
    """Hold task output within ``limits`` from now on, accounting afresh (for a fresh backend,
    before the first write)."""
    with BACKEND_LOCK:
        _holds.reset(limits)


def dropped_events(stream: LogStream) -> int:
    """How many of ``stream``'s oldest events were dropped to keep within the bounds."""
    hold = _holds.streams.get(stream)
    return hold.dropped_events if hold is not None else 0


def write_log_events(
    account_id: str, region: str, group: str, stream: str, events: list[dict[str, Any]]
) -> None:
    """Append events to a CloudWatch Logs stream, creating the group and stream as needed;
    drop the oldest events held when the stream, or all of them, pass their bound."""
    with BACKEND_LOCK:
        logs = logs_backends[account_id][region]
        if group not in logs.groups:
            logs.create_log_group(group, tags={})
        logs.ensure_log_stream(group, stream)
        if events:
            _untrack_log_events()
            logs.put_log_events(group, stream, events)
            _hold(logs.groups[group].streams[stream], events)


def _untrack_log_events() -> None:
    """moto keeps every model object it creates in its class's ``instances_tracked`` (for its
    dashboard, /moto-api/data.json), which would keep every event ever written, dropped or not:
    a list that keeps nothing stands in for it (again after moto's reset, which makes it a
    list afresh)."""
    # moto's metaclass sets the attribute, out of mypy's sight.
    if not isinstance(LogEvent.instances_tracked, deque):  # type: ignore[attr-defined]
        LogEvent.instances_tracked = deque(maxlen=0)  # type: ignore[attr-defined]


def _hold(stream: LogStream, events: list[dict[str, Any]]) -> None:
    holds, limits = _holds, _holds.limits
    hold = holds.streams.setdefault(stream, StreamHold())
    added = events_bytes([event["message"] for event in events])
    hold.held_bytes += added
    holds.total += added
    excess = limits.stream_excess(hold.held_bytes)
    if excess:
        _sort_by_age(stream)
        drop = head_to_drop(map(event_bytes, map(_message, stream.events)), excess)
        _drop_head(stream, drop, f"it holds more than {_mib(limits.stream_bytes)} (per stream)")
    if limits.total_excess(holds.total):
        holds.total = sum(h.held_bytes for h in holds.streams.values())
        excess = limits.total_excess(holds.total)
        if excess:
            held = [s for s, h in holds.streams.items() if h.held_bytes and s.events]
            for each in held:
                _sort_by_age(each)
            plan = oldest_to_drop({s: _ages_and_sizes(s) for s in held}, excess)
            why = f"all task output held passed {_mib(limits.total_bytes)} (in total)"
            for each, drop in plan.items():
                _drop_head(each, drop, why)


def _sort_by_age(stream: LogStream) -> None:
    # Oldest first, as GetLogEvents orders them (stable: same timestamp, order of writing); the
    # list is in that order already unless the clock stepped back, which timsort checks in
    # one pass.
    stream.events.sort(key=_timestamp)


_timestamp = attrgetter("timestamp")
_message = attrgetter("message")


def _ages_and_sizes(stream: LogStream) -> Iterator[tuple[Age, int]]:
    return (((e.timestamp, e.event_id), event_bytes(e.message)) for e in stream.events)


def _drop_head(stream: LogStream, drop: Drop, why: str) -> None:
    if not drop.events:
        return
    dropped = stream.events[: drop.events]
    del stream.events[: drop.events]
    # moto counts storedBytes as message characters; take off what it counted.
    stream.stored_bytes -= sum(map(len, map(_message, dropped)))
    _holds.total -= drop.bytes
    if _holds.streams[stream].record_drop(drop):
        _log.warning(
            "Log stream %s / %s: dropping its oldest events, %s; readers carry on from the "
            "oldest event still held",
            stream.log_group.name,
            stream.log_stream_name,
            why,
        )


def _mib(size: int) -> str:
    return f"{size / MIB:g} MiB"


def make_container_instances_roomy(
    region: str, *, cpu: int, memory: int, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Give every (fake) container instance of the region room for many concurrent EC2 tasks:
    its tasks are host processes, the host's room is theirs."""
    with BACKEND_LOCK:
        backend = ecs_backends[account_id][region]
        instances = backend.container_instances.values()
        for instance in (i for cluster in instances for i in cluster.values()):
            for resources in (instance.registered_resources, instance.remaining_resources):
                for resource in resources:
                    if resource.get("name") == "CPU":
                        resource["integerValue"] = cpu
                    elif resource.get("name") == "MEMORY":
                        resource["integerValue"] = memory


def resource_requirements(task_definition: Any) -> dict[str, Any]:
    """moto's placement arithmetic, tolerant of Fargate-style definitions.

    moto adds up container ``memory`` and fails on containers that leave it to the task level
    (valid ECS). Missing values count as 0 and the task-level cpu/memory fill in.
    """
    containers = [
        {**c, "memory": c.get("memory") or c.get("memoryReservation") or 0}
        for c in task_definition.container_definitions
    ]
    original = originals[(EC2ContainerServiceBackend, "_calculate_task_resource_requirements")]
    result: dict[str, Any] = original.__func__(SimpleNamespace(container_definitions=containers))
    if not result["CPU"] and getattr(task_definition, "cpu", None):
        result["CPU"] = int(task_definition.cpu)
    if not result["MEMORY"] and getattr(task_definition, "memory", None):
        result["MEMORY"] = int(task_definition.memory)
    return result
