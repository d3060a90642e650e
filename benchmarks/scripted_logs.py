"""The scripted endpoint's CloudWatch Logs: each simulated task writes lines while it runs.

Task ``t`` writes ``line k`` at ``created + 0.1 + k * LINE_EVERY`` until it stops, to stream
``bench/main/<task id>`` of group ``/ecs/bench`` (a task definition with the awslogs driver
and stream prefix ``bench`` names it). GetLogEvents pages forward with ``f/<index>`` tokens and
answers ResourceNotFoundException before the task runs; FilterLogEvents takes up to 100
stream names (ResourceNotFoundException if one does not exist yet, as CloudWatch does), a
start time and a page token, and returns events sorted by timestamp with unique event ids.
Calls are counted with the ECS ones (``Logs_20140328.*``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from benchmarks.scripted_task_definitions import ApiError

LOGS_TARGET = "Logs_20140328."
GROUP = "/ecs/bench"
PREFIX = "bench"
LINE_EVERY = 0.2
PAGE = 10_000


class _Task(Protocol):
    arn: str
    created_at: float
    stop_at: float


def stream_of(task_arn: str) -> str:
    return f"{PREFIX}/main/{task_arn.rsplit('/', 1)[-1]}"


def _lines(task: _Task, now: float) -> list[tuple[int, int]]:
    """(timestamp ms, k) of every line written by ``now``."""
    end = min(now, task.stop_at)
    found, k = [], 0
    while task.created_at + 0.1 + k * LINE_EVERY <= end:
        found.append((int((task.created_at + 0.1 + k * LINE_EVERY) * 1000), k))
        k += 1
    return found


class ScriptedLogs:
    """CloudWatch Logs reads over the endpoint's tasks (``lookup``: stream name -> task)."""

    def __init__(self, lookup: Callable[[str], _Task | None]) -> None:
        self._lookup = lookup

    def handler(self, operation: str) -> Callable[[dict[str, Any], float], dict[str, Any]] | None:
        found: Callable[[dict[str, Any], float], dict[str, Any]] | None = getattr(
            self, f"_op_{operation}", None
        )
        return found

    def _task(self, stream: str, now: float) -> _Task:
        task = self._lookup(stream)
        if task is None or now < task.created_at + 0.05:
            raise ApiError("ResourceNotFoundException", "The specified log stream does not exist.")
        return task

    def _op_GetLogEvents(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        task = self._task(body["logStreamName"], now)
        start = int(str(body.get("nextToken") or "f/0").split("/")[1])
        lines = _lines(task, now)[start : start + PAGE]
        events = [{"timestamp": t, "message": f"line {k}", "ingestionTime": t} for t, k in lines]
        token = f"f/{start + len(lines)}"
        return {"events": events, "nextForwardToken": token, "nextBackwardToken": "b/0"}

    def _op_FilterLogEvents(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        names = list(body.get("logStreamNames") or [])
        if len(names) > 100:
            raise ApiError("InvalidParameterException", "logStreamNames: at most 100")
        start = int(body.get("startTime") or 0)
        events = []
        for name in names:
            task = self._task(name, now)
            events += [
                {
                    "logStreamName": name,
                    "timestamp": t,
                    "message": f"line {k}",
                    "eventId": f"{name}:{k}",
                    "ingestionTime": t,
                }
                for t, k in _lines(task, now)
                if t >= start
            ]
        events.sort(key=lambda e: (e["timestamp"], e["eventId"]))
        offset = int(str(body.get("nextToken") or "p/0").split("/")[1])
        page = events[offset : offset + PAGE]
        answer: dict[str, Any] = {"events": page}
        if offset + PAGE < len(events):
            answer["nextToken"] = f"p/{offset + PAGE}"
        return answer
