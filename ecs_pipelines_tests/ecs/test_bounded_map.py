"""The bounded map behind the task-definition caches: it keeps at most its bound, drops the
least recently used, and says so."""

from __future__ import annotations

import logging

import pytest

from ecs_pipelines.ecs.common import BoundedMap


def test_past_its_bound_the_least_recently_used_entry_is_dropped() -> None:
    """A map of 2 keeps the two entries used last; a read counts as a use."""
    cache: BoundedMap[str, int] = BoundedMap("test map", 2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2 and cache.dropped == 1


def test_the_first_drop_is_a_warning_and_later_ones_are_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The log names the map, its bound and the dropped key once as a warning, then at debug."""
    cache: BoundedMap[str, int] = BoundedMap("test map", 1)
    with caplog.at_level(logging.DEBUG, logger="ecs_pipelines.ecs.common.bounded_map"):
        for index, key in enumerate("abcd"):
            cache.put(key, index)
    levels = [record.levelno for record in caplog.records]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert "test map holds at most 1 entries" in caplog.records[0].getMessage()
    assert "(a)" in caplog.records[0].getMessage()
    assert cache.dropped == 3


def test_keys_that_are_nobodys_business_are_not_named(caplog: pytest.LogCaptureFixture) -> None:
    """A map of credentials-bearing keys drops them without printing them."""
    cache: BoundedMap[tuple[str, str], int] = BoundedMap("targets", 1, name_keys=False)
    with caplog.at_level(logging.DEBUG, logger="ecs_pipelines.ecs.common.bounded_map"):
        cache.put(("endpoint", "AKIAEXAMPLEKEY"), 1)
        cache.put(("endpoint", "AKIAOTHERKEY"), 2)
    assert caplog.records and "AKIA" not in caplog.text


def test_add_keeps_the_first_value_and_says_whether_it_was_new() -> None:
    """``add`` is a bounded set's insert: True the first time only."""
    seen: BoundedMap[str, bool] = BoundedMap("seen", 10)
    assert seen.add("x", True) is True
    assert seen.add("x", True) is False


def test_a_bound_below_one_is_refused() -> None:
    """A map that could hold nothing is a mistake, named at construction."""
    with pytest.raises(ValueError, match="the bound must be at least 1, got 0"):
        BoundedMap("empty", 0)
