"""A wait on task state events keeps counts of its sweeps, not a record that grows with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecs_pipelines.ecs.events import TaskMatcher
from ecs_pipelines.ecs.waiting.event_rounds import EventRounds, EventSettings


class _SilentQueue:
    """A task event queue that never has a message (every round sweeps or describes)."""

    def receive(self, *, wait_seconds: float, visibility_seconds: int) -> list[Any]:
        return []

    def delete(self, receipts: Sequence[str]) -> None:
        raise AssertionError("nothing to delete")

    def hold(self, receipts: Sequence[str], seconds: int) -> None:
        raise AssertionError("nothing to hold")


def test_a_long_wait_counts_its_sweeps() -> None:
    """A wait of a thousand sweeps over 150 pending tasks counts them (and the DescribeTasks
    calls of 100 tasks they take) in two numbers, however long it goes on."""
    settings = EventSettings(sweep_seconds=300.0, silence_seconds=10_000_000.0)
    now = [0.0]
    refs = [f"task-{n}" for n in range(150)]
    described: list[int] = []
    rounds = EventRounds(
        _SilentQueue(),  # type: ignore[arg-type]
        settings,
        refs=refs,
        matcher=TaskMatcher(refs, cluster="default", region="us-east-1"),
        describe=lambda pending: described.append(len(pending)) or {},
        observe=lambda ref, task: None,
        clock=lambda: now[0],
        sleep=lambda seconds: None,
    )
    pending = dict.fromkeys(refs)
    for _ in range(1000):
        rounds.round(pending.keys())
        now[0] += settings.sweep_seconds
    assert described == [150] * 1000
    assert not any(isinstance(v, list | dict) and len(v) >= 1000 for v in vars(rounds).values())
    assert (rounds.sweeps, rounds.sweep_calls) == (1000, 2000)
