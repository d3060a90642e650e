"""The bound on task output the embedded ECS holds: sizes, limits, and what goes first."""

from __future__ import annotations

import pytest

from ecs_pipelines.local.rules import events_skipped, make_token, parse_token
from ecs_pipelines.local.rules.log_retention import (
    EVENT_OVERHEAD_BYTES,
    MIB,
    Drop,
    LogLimits,
    StreamHold,
    event_bytes,
    events_bytes,
    head_to_drop,
    oldest_to_drop,
)


def test_an_event_counts_its_utf8_bytes_and_what_holding_it_costs() -> None:
    """A message counts as its UTF-8 bytes (é is two) plus the cost of holding one event, one
    by one or a write's at once."""
    assert event_bytes("abc") == 3 + EVENT_OVERHEAD_BYTES
    assert event_bytes("é") == 2 + EVENT_OVERHEAD_BYTES
    assert EVENT_OVERHEAD_BYTES >= 26  # never less than CloudWatch counts per event
    assert events_bytes(["abc", "é", ""]) == event_bytes("abc") + event_bytes("é") + event_bytes("")


@pytest.mark.parametrize(
    ("stream_bytes", "total_bytes", "message"),
    [
        (MIB - 1, 8 * MIB, "stream_bytes must be at least 1048576"),
        (2 * MIB, MIB, "total_bytes must be at least stream_bytes (2097152), got 1048576"),
    ],
)
def test_limits_too_small_are_refused_naming_the_limit(
    stream_bytes: int, total_bytes: int, message: str
) -> None:
    """A bound below one largest event, or a total below the bound per stream, is refused with
    the field and the limit named."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LogLimits(stream_bytes=stream_bytes, total_bytes=total_bytes)


def test_defaults_hold_a_few_mib_per_stream_and_a_few_tens_in_all() -> None:
    """By default a stream holds 4 MiB and every stream together 32 MiB."""
    assert LogLimits() == LogLimits(stream_bytes=4 * MIB, total_bytes=32 * MIB)


def test_past_a_bound_dropping_goes_an_eighth_below_it() -> None:
    """Nothing is dropped within a bound; past it, enough to come an eighth below it, so a
    chatty stream is trimmed once per eighth written, not on every write."""
    limits = LogLimits(stream_bytes=8 * MIB, total_bytes=16 * MIB)
    assert limits.stream_excess(8 * MIB) == 0
    assert limits.stream_excess(8 * MIB + 1) == MIB + 1
    assert limits.total_excess(16 * MIB) == 0
    assert limits.total_excess(17 * MIB) == 3 * MIB


def test_a_stream_drops_the_fewest_oldest_events_that_cover_the_excess() -> None:
    """Oldest first, only as many events as it takes; every event when they hold less."""
    assert head_to_drop([10, 20, 30, 40], 25) == Drop(2, 30)
    assert head_to_drop([10, 20, 30, 40], 30) == Drop(2, 30)
    assert head_to_drop([10, 20], 100) == Drop(2, 30)
    assert head_to_drop([10, 20], 0) == Drop(0, 0)


def test_the_total_drops_the_oldest_events_of_every_stream_first() -> None:
    """Across streams the oldest events go first (by timestamp, then by order of writing),
    whichever stream holds them, until the excess is covered."""
    streams = {
        "stopped-long-ago": [((1_000, 1), 10), ((1_000, 2), 10)],
        "running": [((2_000, 5), 10), ((3_000, 7), 10)],
        "stopped-lately": [((1_500, 3), 10), ((2_000, 6), 10)],
    }
    assert oldest_to_drop(streams, 35) == {
        "stopped-long-ago": Drop(2, 20),
        "stopped-lately": Drop(1, 10),
        "running": Drop(1, 10),
    }
    assert oldest_to_drop(streams, 0) == {}


def test_a_stream_says_once_that_it_drops_and_keeps_count() -> None:
    """The first drop of a stream is flagged (the server says so once); every drop is counted,
    and what it holds never goes below zero."""
    hold = StreamHold(held_bytes=100)
    assert hold.record_drop(Drop(3, 60)) is True
    assert hold.record_drop(Drop(2, 60)) is False
    assert (hold.held_bytes, hold.dropped_events, hold.dropped_bytes) == (0, 5, 120)
    assert StreamHold().record_drop(Drop(0, 0)) is False


def test_tokens_name_a_direction_and_a_position() -> None:
    """A token reads back as the direction and position it was made of; any other text is not
    a token."""
    assert parse_token(make_token("f", 12)) == ("f", 12)
    assert parse_token(make_token("b", -1)) == ("b", -1)
    assert make_token("f", 12) == "f/" + "12".zfill(56)  # moto's shape
    assert parse_token("x/12") is None
    assert parse_token("f/twelve") is None


def test_a_forward_read_tells_how_many_dropped_events_it_passed_over() -> None:
    """From the head or from a kept token, the events between the place asked for and the
    events returned were dropped before the read came to them."""
    # From the head of a stream whose 40 oldest events were dropped: events 40..49 returned.
    assert events_skipped("", make_token("f", 49), 10) == 40
    # A kept token at 9 while events up to 39 were dropped: 40..49 returned.
    assert events_skipped(make_token("f", 9), make_token("f", 49), 10) == 30
    # Nothing dropped, nothing new.
    assert events_skipped(make_token("f", 49), make_token("f", 49), 0) == 0
    assert events_skipped("not a token", make_token("f", 49), 0) == 0
