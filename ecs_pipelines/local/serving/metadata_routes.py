"""The task metadata endpoint v4 of every container, served by the embedded server itself.

``ECS_CONTAINER_METADATA_URI_V4`` is ``<endpoint>/_local/metadata/v4/<runtime id>``, so a
container reads ``${URI}`` (itself), ``${URI}/task``, ``${URI}/stats`` and ``${URI}/task/stats``
over plain HTTP, as on ECS; ``task_metadata`` renders the bodies, this module finds the task
and samples the processes (``/proc``) for the stats.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from ecs_pipelines.ecs.common import TaskStatus
from ecs_pipelines.local.runtime import ContainerState, TaskRunner, TaskState
from ecs_pipelines.local.serving.routes import Route, StartResponse, json_response
from ecs_pipelines.local.serving.task_metadata import (
    container_metadata,
    container_stats,
    task_metadata,
)

PREFIX = "/_local/metadata/v4/"
_TICK_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


class MetadataRoutes:
    """``GET /_local/metadata/v4/<runtime id>[/task][/stats|/task/stats]``."""

    def __init__(self, runner: TaskRunner) -> None:
        self._runner = runner

    def routes(self) -> list[Route]:
        return [Route(PREFIX, self.metadata)]

    def metadata(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path: str = environ.get("PATH_INFO", "")
        runtime_id, _, rest = path[len(PREFIX) :].partition("/")
        found = self._runner.find_container(runtime_id)
        if found is None:
            return json_response(
                start_response, "404 Not Found", {"message": "No container with this id."}
            )
        state, container = found
        # The rendering reads state the supervisor thread changes: take the same lock.
        with self._runner.lock:
            if rest == "":
                body: Any = container_metadata(state, container)
            elif rest == "task":
                body = task_metadata(state)
            elif rest == "stats":
                body = self._stats(state, container)
            elif rest == "task/stats":
                body = {c.spec.runtime_id: self._stats(state, c) for c in state.containers.values()}
            else:
                return json_response(
                    start_response, "404 Not Found", {"message": f"No route for {path}."}
                )
        return json_response(start_response, "200 OK", body)

    def _stats(self, state: TaskState, container: ContainerState) -> dict[str, Any] | None:
        if container.last_status != TaskStatus.RUNNING:
            return None  # Docker has no stats for a container that is not running
        pids = self._runner.container_pids(state.task_arn, container.spec.name)
        cpu_ns = memory = 0
        for pid in pids:
            ticks, pages = _process_usage(pid)
            cpu_ns += ticks * _TICK_NS
            memory += pages * _PAGE
        return container_stats(
            read=datetime.now(UTC),
            cpu_ns=cpu_ns,
            system_ns=_system_cpu_ns(),
            online_cpus=os.cpu_count() or 1,
            memory_bytes=memory,
            pids=len(pids),
        )


def _process_usage(pid: int) -> tuple[int, int]:
    """(utime + stime in clock ticks, resident pages) of a process; zeros once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12]), int(fields[21])
    except (OSError, IndexError, ValueError):
        return 0, 0


def _system_cpu_ns() -> int:
    try:
        with open("/proc/stat", "rb") as stat:
            first = stat.readline().split()
        return sum(int(value) for value in first[1:]) * _TICK_NS
    except (OSError, ValueError):
        return 0
