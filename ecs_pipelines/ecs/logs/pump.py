"""Handing the new CloudWatch lines of every watched task to a callback, once per watch round.

Two ways to read, one interface (``LogPump``):

- ``StreamTails``: one GetLogEvents tail per stream (``logs.LogTail``). Exact forward tokens,
  one call per stream per round.
- ``GroupTails``: the streams of a log group together, one FilterLogEvents call per 100
  streams per round (``log_groups.GroupTail``), backing off when throttled.

FilterLogEvents has a fifth of GetLogEvents' default rate per account and Region (5 against
25 transactions per second), so batching pays once a round reads at least five streams of a
group: ``pump_for`` picks the batched reader from ``batch_from`` tasks on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ecs_pipelines.ecs.common import TaskStatus
from ecs_pipelines.ecs.logs.groups import GroupTail
from ecs_pipelines.ecs.logs.reads import LogTail
from ecs_pipelines.ecs.logs.streams import LogStreamRef, log_stream_refs

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

LogLinesCallback = Callable[[str, str, list[str]], None]  # (task, container, new lines)

# From this many tasks on, a watcher reads their logs batched (see the module docstring).
BATCH_FROM_TASKS = 5


class LogPump(Protocol):
    def observe(self, ref: str, task: Mapping[str, Any], definition: Mapping[str, Any]) -> None:
        """Learns a task's streams from its state and task definition."""

    def read(self, refs: Iterable[str]) -> None:
        """Hands the new lines of these tasks to the callback."""

    def complete(self, ref: str, started: bool) -> bool:
        """False when some of the task's lines may be missing."""

    def drain(self, max_polls: int) -> bool:
        """Reads until every stream is quiet; False if lines may be missing."""

    @property
    def calls(self) -> int:
        """CloudWatch Logs calls made so far."""


class NoLogs:
    """Nobody wants the lines."""

    calls = 0

    def observe(self, ref: str, task: Mapping[str, Any], definition: Mapping[str, Any]) -> None:
        return None

    def read(self, refs: Iterable[str]) -> None:
        return None

    def complete(self, ref: str, started: bool) -> bool:
        return True

    def drain(self, max_polls: int) -> bool:
        return True


class StreamTails:
    """One GetLogEvents tail per stream."""

    def __init__(self, logs_client: CloudWatchLogsClient, on_lines: LogLinesCallback) -> None:
        self._client = logs_client
        self._on_lines = on_lines
        self._tails: dict[str, list[LogTail]] = {}
        self._calls = 0

    @property
    def calls(self) -> int:
        return self._calls

    def observe(self, ref: str, task: Mapping[str, Any], definition: Mapping[str, Any]) -> None:
        if ref not in self._tails:
            refs: list[LogStreamRef] = log_stream_refs(definition, task["taskArn"])
            # Few attempts per poll: the tail keeps its token and the next round resumes.
            self._tails[ref] = [LogTail(self._client, s, max_attempts=2) for s in refs]

    def read(self, refs: Iterable[str]) -> None:
        for ref in refs:
            for tail in self._tails.get(ref, []):
                self._poll(ref, tail)

    def _poll(self, ref: str, tail: LogTail) -> list[str]:
        self._calls += 1
        lines = tail.poll()
        if lines:
            self._on_lines(ref, tail.ref.container, lines)
        return lines

    def complete(self, ref: str, started: bool) -> bool:
        tails = self._tails.get(ref, [])
        return all(t.complete for t in tails) and not (
            started and any(not t.stream_found for t in tails)
        )

    def drain(self, max_polls: int) -> bool:
        for _ in range(max_polls):
            busy = False
            for ref, tails in self._tails.items():
                for tail in tails:
                    lines = self._poll(ref, tail)
                    busy = busy or bool(lines) or not tail.at_end
            if not busy:
                return all(t.complete for tails in self._tails.values() for t in tails)
        return False


def _container_started(task: Mapping[str, Any], name: str) -> bool:
    """Whether the container ran, so that the awslogs driver created its stream."""
    for container in task.get("containers") or []:
        if container.get("name") == name:
            return container.get("lastStatus") == TaskStatus.RUNNING or "exitCode" in container
    return False


class GroupTails:
    """The streams of each log group read together (FilterLogEvents, 100 streams a call)."""

    def __init__(self, logs_client: CloudWatchLogsClient, on_lines: LogLinesCallback) -> None:
        self._client = logs_client
        self._on_lines = on_lines
        self._groups: dict[str, GroupTail] = {}
        self._refs: dict[str, list[LogStreamRef]] = {}  # task -> its streams, once started
        self._owner: dict[tuple[str, str], tuple[str, str]] = {}  # (group, stream) -> task

    @property
    def calls(self) -> int:
        return sum(g.calls for g in self._groups.values())

    @property
    def throttled(self) -> int:
        return sum(g.throttled for g in self._groups.values())

    def observe(self, ref: str, task: Mapping[str, Any], definition: Mapping[str, Any]) -> None:
        known = self._refs.setdefault(ref, [])
        names = {(r.group, r.stream) for r in known}
        for stream in log_stream_refs(definition, task["taskArn"]):
            if (stream.group, stream.stream) in names:
                continue
            if not _container_started(task, stream.container):
                continue
            group = self._groups.get(stream.group)
            if group is None:
                group = self._groups[stream.group] = GroupTail(self._client, stream.group)
            group.add(stream.stream)
            known.append(stream)
            self._owner[(stream.group, stream.stream)] = (ref, stream.container)

    def read(self, refs: Iterable[str]) -> None:
        wanted: dict[str, list[str]] = {}
        for ref in refs:
            for stream in self._refs.get(ref, []):
                wanted.setdefault(stream.group, []).append(stream.stream)
        for group, streams in wanted.items():
            self._deliver(self._groups[group], self._groups[group].poll(streams))

    def _deliver(self, group: GroupTail, lines: Mapping[str, list[str]]) -> None:
        for stream, new in lines.items():
            ref, container = self._owner[(group.group, stream)]
            self._on_lines(ref, container, new)

    def complete(self, ref: str, started: bool) -> bool:
        streams = self._refs.get(ref, [])
        groups = {self._groups[s.group] for s in streams}
        found = all(self._groups[s.group].found(s.stream) for s in streams)
        return all(g.complete for g in groups) and not (started and not found)

    def drain(self, max_polls: int) -> bool:
        for _ in range(max_polls):
            busy = False
            for group in self._groups.values():
                lines = group.poll()
                self._deliver(group, lines)
                busy = busy or bool(lines) or group.reading or group.backing_off
            if not busy:
                return all(g.complete for g in self._groups.values())
        return False


def pump_for(
    tasks: int,
    logs_client: CloudWatchLogsClient | None,
    on_lines: LogLinesCallback | None,
    *,
    batch_from: int = BATCH_FROM_TASKS,
) -> LogPump:
    """The reader for a watch of ``tasks`` tasks: none, one tail per stream, or batched."""
    if logs_client is None or on_lines is None:
        return NoLogs()
    if tasks >= batch_from:
        return GroupTails(logs_client, on_lines)
    return StreamTails(logs_client, on_lines)
