"""Reading many streams of one log group at once: FilterLogEvents with up to 100 stream names.

A step tailing 100 tasks would make 100 GetLogEvents calls per round; ``GroupTail`` makes one
FilterLogEvents call per 100 streams of a log group (plus a page for each further 10,000
events or 1 MB). FilterLogEvents has no per-stream token, so where each stream has been read
up to is kept here:

- each stream has a watermark, the newest event timestamp read from it, and the ids of the
  events read at or after the start of the last query (``eventId`` is unique per event);
- a round asks for events from the oldest watermark of its streams, but never from further
  back than ``lookback_seconds`` before the newest event of the group: a stream that is quiet
  does not make every round re-read the others' history. Events come back "sorted by event
  timestamp, the timestamp when the event was ingested by CloudWatch Logs, and the ID of the
  PutLogEvents request" (FilterLogEvents API reference); an event already read (same id) is
  skipped, so no line is handed out twice; a line is missed only if CloudWatch ingests it more
  than ``lookback_seconds`` after a newer line of the same group was read (the awslogs driver
  flushes every 5 s).

FilterLogEvents has a much lower default rate than GetLogEvents (5 transactions per second per
account and Region; AWS knowledge center, "How do I determine throttling in my CloudWatch
logs?"), shared by every reader of the account. A throttled round is therefore not retried on
the spot: the group waits an interval that doubles with each throttled round (to
``max_backoff_seconds``) and shrinks again as calls succeed, and the next allowed round resumes
from the same position (a page token is kept), so nothing is lost or repeated meanwhile.

FilterLogEvents answers ResourceNotFoundException when a named stream does not exist yet (the
awslogs driver creates a stream when its container starts): streams are added once their
container has started, and a stream never read from is, after such an answer, asked for on
its own (a few per round) until it appears, so one missing stream does not hold up the rest.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.ecs.common import (
    THROTTLING_CODES,
    DeadlinePassed,
    install_deadline_timeouts,
    is_retryable,
)
from ecs_pipelines.ecs.logs.reads import _line

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import (
        FilteredLogEventTypeDef,
        FilterLogEventsRequestTypeDef,
        FilterLogEventsResponseTypeDef,
    )

logger = logging.getLogger(__name__)

MAX_STREAMS_PER_CALL = 100  # FilterLogEvents takes at most 100 logStreamNames
LOOKBACK_SECONDS = 15.0
MAX_PAGES_PER_ROUND = 20
PROBES_PER_ROUND = 5
BASE_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class _Stream:
    name: str
    watermark: int | None = None  # newest event timestamp read (ms)
    seen: dict[str, int] = field(default_factory=dict)  # event id -> timestamp (ms)
    found: bool = False  # an event was read, or a call naming it succeeded
    probing: bool = False  # asked for alone until found


@dataclass
class _Query:
    """A query in progress: its streams, start and page token survive a throttled round."""

    names: list[str]
    start: int
    token: str | None = None


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return type(error).__name__


class GroupTail:
    """Incremental reader of many streams of one log group; ``poll`` returns new lines per
    stream, none twice. ``complete`` is False once a read failed for a reason other than
    throttling or a missing stream (the next poll resumes where it stopped)."""

    def __init__(
        self,
        logs_client: CloudWatchLogsClient,
        group: str,
        *,
        lookback_seconds: float = LOOKBACK_SECONDS,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.group = group
        self.complete = True
        self.error: str | None = None
        self.calls = 0
        self.throttled = 0
        self._client = install_deadline_timeouts(logs_client)
        self._lookback_ms = int(lookback_seconds * 1000)
        self._max_backoff = max_backoff_seconds
        self._clock = clock
        self._jitter = jitter
        self._streams: dict[str, _Stream] = {}
        self._newest: int | None = None
        self._queries: dict[tuple[str, ...], _Query] = {}
        self._backoff = 0.0
        self._resume_at = 0.0

    # --- streams --------------------------------------------------------------------------

    def add(self, stream: str) -> None:
        self._streams.setdefault(stream, _Stream(stream))

    def found(self, stream: str) -> bool:
        known = self._streams.get(stream)
        return known is not None and known.found

    @property
    def backing_off(self) -> bool:
        return self._clock() < self._resume_at

    # --- reading --------------------------------------------------------------------------

    def poll(self, streams: Collection[str] | None = None) -> dict[str, list[str]]:
        """New lines of ``streams`` (default: all added), by stream, in the order read."""
        names = self._streams if streams is None else streams
        wanted = [s for s in names if s in self._streams]
        lines: dict[str, list[str]] = {}
        if not wanted or self.backing_off:
            return lines
        self.complete, self.error = True, None
        batched = [s for s in wanted if not self._streams[s].probing]
        probes = [s for s in wanted if self._streams[s].probing][:PROBES_PER_ROUND]
        size = MAX_STREAMS_PER_CALL
        queries = [batched[i : i + size] for i in range(0, len(batched), size)]
        queries += [[probe] for probe in probes]
        # A query whose streams changed (a task added or done) starts afresh from watermarks.
        keys = {tuple(q) for q in queries}
        self._queries = {k: q for k, q in self._queries.items() if k in keys}
        for names_ in queries:
            if not self._read(names_, lines):
                break  # throttled: every query waits for the backoff
        return lines

    def _read(self, names: list[str], lines: dict[str, list[str]]) -> bool:
        """One query (all its pages this round); False when throttled."""
        key = tuple(names)
        query = self._queries.get(key) or _Query(names, self._start(names))
        self._queries[key] = query
        for _ in range(MAX_PAGES_PER_ROUND):
            try:
                page = self._page(query)
            except (ClientError, BotoCoreError, DeadlinePassed) as error:
                return self._failed(query, error)
            self._succeeded()
            for stream in query.names:
                self._streams[stream].found = True
                self._streams[stream].probing = False
            for event in page.get("events", []):
                self._take(event, lines)
            query.token = page.get("nextToken")
            if not query.token:
                del self._queries[key]
                self._prune(query)
                return True
        return True  # more pages: the next round carries on with the kept token

    def _page(self, query: _Query) -> FilterLogEventsResponseTypeDef:
        self.calls += 1
        request: FilterLogEventsRequestTypeDef = {
            "logGroupName": self.group,
            "logStreamNames": query.names,
            "startTime": query.start,
        }
        if query.token:
            request["nextToken"] = query.token
        return self._client.filter_log_events(**request)

    def _start(self, names: list[str]) -> int:
        marks = [self._streams[n].watermark for n in names]
        oldest = 0 if any(m is None for m in marks) else min(m for m in marks if m is not None)
        floor = 0 if self._newest is None else self._newest - self._lookback_ms
        return max(0, oldest, floor)

    def _take(self, event: FilteredLogEventTypeDef, lines: dict[str, list[str]]) -> None:
        stream = self._streams.get(str(event.get("logStreamName", "")))
        event_id, timestamp = str(event.get("eventId", "")), int(event.get("timestamp", 0))
        if stream is None or event_id in stream.seen:
            return
        stream.seen[event_id] = timestamp
        stream.found = True
        stream.watermark = max(stream.watermark or timestamp, timestamp)
        self._newest = max(self._newest or timestamp, timestamp)
        lines.setdefault(stream.name, []).append(_line(str(event.get("message", ""))))

    def _prune(self, query: _Query) -> None:
        """Ids older than any later query can start are never met again."""
        floor = min(query.start, 0 if self._newest is None else self._newest - self._lookback_ms)
        for name in query.names:
            stream = self._streams[name]
            stream.seen = {i: t for i, t in stream.seen.items() if t >= floor}

    # --- failures -------------------------------------------------------------------------

    def _failed(self, query: _Query, error: Exception) -> bool:
        code = _code(error)
        if code in THROTTLING_CODES or (is_retryable(error) and not isinstance(error, ClientError)):
            # Throttled, or a dropped connection: wait, keep the position, lose nothing.
            self.throttled += 1
            self._backoff = min(self._max_backoff, max(BASE_BACKOFF_SECONDS, self._backoff * 2))
            self._resume_at = self._clock() + self._backoff * (0.5 + self._jitter() / 2)
            return False
        self._queries.pop(tuple(query.names), None)
        if code == "ResourceNotFoundException":
            # A named stream does not exist (yet): those never read from are asked for alone.
            for name in query.names:
                self._streams[name].probing = not self._streams[name].found
            return True
        self.complete = False
        self.error = f"{code} reading {self.group}"
        logger.warning("log read incomplete: %s", self.error)
        return True

    def _succeeded(self) -> None:
        self._backoff = self._backoff / 2 if self._backoff > BASE_BACKOFF_SECONDS else 0.0

    @property
    def reading(self) -> bool:
        """True while a query has pages left (the next poll carries on)."""
        return bool(self._queries)

    def streams(self) -> Iterator[str]:
        return iter(self._streams)
