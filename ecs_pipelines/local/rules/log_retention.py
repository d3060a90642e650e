"""How much task output the embedded ECS holds in memory, and what it drops first. Pure.

Every line a task prints becomes a CloudWatch Logs event that the server holds in memory, so
a chatty task would grow the server without end. What is held is bounded per log stream and
in total (``LogLimits``); past a bound the oldest events go first, as CloudWatch's retention
drops events by age:

- a write that takes a stream past ``stream_bytes`` drops that stream's oldest events;
- a write that takes every stream together past ``total_bytes`` drops the oldest events of
  all streams (those of long-stopped tasks first).

Dropping goes a slack below the bound (an eighth of it), so a chatty stream is trimmed once
per slack written rather than on every write.

An event counts as its message's UTF-8 bytes plus a fixed cost per event. CloudWatch counts
26 bytes per event ("the sum of all event messages in UTF-8, plus 26 bytes for each log
event", PutLogEvents quotas in the CloudWatch Logs API reference); holding one costs the
server more than that (moto's ``LogEvent`` object, its attributes and its slot in the stream's
list), and the server's memory is what this bounds, so ``EVENT_OVERHEAD_BYTES`` is that
measured cost.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

MIB = 1024 * 1024
DEFAULT_STREAM_BYTES = 4 * MIB
DEFAULT_TOTAL_BYTES = 32 * MIB
# Room for the largest event a task can write (200,000 characters, up to 800,000 UTF-8 bytes).
MIN_STREAM_BYTES = 1 * MIB

# PutLogEvents counts 26 bytes per event. Holding one in moto costs about 240 bytes beside the
# message's characters: 150 to 190 for a LogEvent with its attributes and its list slot
# (tracemalloc, CPython 3.11) and 49 for the string's header; a 10 s chatty task of 100-character
# lines grew the unbounded server by 335 bytes per line.
EVENT_OVERHEAD_BYTES = 240

# An event's place in the order of age: (timestamp in ms, a number that grows with each write).
Age = tuple[int, int]


def event_bytes(message: str) -> int:
    """What holding an event with ``message`` counts for."""
    return _utf8_bytes(message) + EVENT_OVERHEAD_BYTES


def events_bytes(messages: Collection[str]) -> int:
    """What holding events with ``messages`` counts for, in all (one pass over a write)."""
    return _utf8_bytes("".join(messages)) + EVENT_OVERHEAD_BYTES * len(messages)


def _utf8_bytes(text: str) -> int:
    # isascii() is a flag lookup in CPython: most lines are counted without encoding them.
    return len(text) if text.isascii() else len(text.encode("utf-8", errors="replace"))


@dataclass(frozen=True)
class LogLimits:
    """How many bytes of task output the server holds per log stream and in all streams."""

    stream_bytes: int = DEFAULT_STREAM_BYTES
    total_bytes: int = DEFAULT_TOTAL_BYTES

    def __post_init__(self) -> None:
        if self.stream_bytes < MIN_STREAM_BYTES:
            raise ValueError(
                f"stream_bytes must be at least {MIN_STREAM_BYTES} (1 MiB, room for the "
                f"largest event), got {self.stream_bytes}"
            )
        if self.total_bytes < self.stream_bytes:
            raise ValueError(
                f"total_bytes must be at least stream_bytes ({self.stream_bytes}), "
                f"got {self.total_bytes}"
            )

    def stream_excess(self, held: int) -> int:
        """Bytes a stream holding ``held`` must drop (0 while within its bound)."""
        return _excess(held, self.stream_bytes)

    def total_excess(self, held: int) -> int:
        """Bytes every stream together must drop when they hold ``held`` in all."""
        return _excess(held, self.total_bytes)


def _excess(held: int, bound: int) -> int:
    if held <= bound:
        return 0
    return held - (bound - bound // 8)


@dataclass(frozen=True)
class Drop:
    """The oldest ``events`` of a stream, ``bytes`` in all, to drop."""

    events: int
    bytes: int


def head_to_drop(sizes: Iterable[int], excess: int) -> Drop:
    """The fewest oldest events whose sizes (oldest first) add up to ``excess`` or more; all of
    them when they hold less."""
    events = dropped = 0
    if excess <= 0:
        return Drop(0, 0)
    for size in sizes:
        events += 1
        dropped += size
        if dropped >= excess:
            break
    return Drop(events, dropped)


def oldest_to_drop(streams: Mapping[K, Iterable[tuple[Age, int]]], excess: int) -> dict[K, Drop]:
    """The oldest events of all ``streams`` (each listing its events oldest first, as
    (age, size)) whose sizes add up to ``excess`` or more, as the head to drop per stream."""
    if excess <= 0:
        return {}
    keys = list(streams)
    merged = heapq.merge(*(_tagged(i, streams[key]) for i, key in enumerate(keys)))
    counts: dict[int, list[int]] = {}
    dropped = 0
    for _age, index, size in merged:
        count = counts.setdefault(index, [0, 0])
        count[0] += 1
        count[1] += size
        dropped += size
        if dropped >= excess:
            break
    return {keys[i]: Drop(events, size) for i, (events, size) in counts.items()}


def _tagged(index: int, events: Iterable[tuple[Age, int]]) -> Iterator[tuple[Age, int, int]]:
    return ((age, index, size) for age, size in events)


@dataclass
class StreamHold:
    """What the server holds of one stream, and what it dropped of it."""

    held_bytes: int = 0
    dropped_events: int = 0
    dropped_bytes: int = 0

    def record_drop(self, drop: Drop) -> bool:
        """Account for ``drop``; True when it is the stream's first (time to say so once)."""
        first = self.dropped_events == 0 and drop.events > 0
        self.held_bytes = max(0, self.held_bytes - drop.bytes)
        self.dropped_events += drop.events
        self.dropped_bytes += drop.bytes
        return first
