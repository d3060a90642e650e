"""A wait on task state events keeps counts of its sweeps, not a record that grows with it; a
lost stop costs at most the silence bound; others' messages on a shared queue reach them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ecs_pipelines.ecs.events import QueueMessage, TaskMatcher
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


class _ScriptedQueue:
    """A task event queue answering one scripted batch per receive; records what is done."""

    def __init__(self, batches: list[list[QueueMessage]]) -> None:
        self.batches = batches
        self.deleted: list[str] = []
        self.held: list[str] = []

    def receive(self, *, wait_seconds: float, visibility_seconds: int) -> list[QueueMessage]:
        return self.batches.pop(0) if self.batches else []

    def delete(self, receipts: Sequence[str]) -> None:
        self.deleted += receipts

    def hold(self, receipts: Sequence[str], seconds: int) -> None:
        self.held += receipts


ARN = "arn:aws:ecs:us-east-1:123456789012:task/default/"


def event_message(task_id: str, status: str, *, receive_count: int = 1, age: float = 0.0) -> Any:
    detail = {
        "taskArn": ARN + task_id,
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/default",
        "lastStatus": status,
        "desiredStatus": "RUNNING",
        "version": 2,
    }
    body = json.dumps(
        {
            "detail-type": "ECS Task State Change",
            "source": "aws.ecs",
            "account": "123456789012",
            "region": "us-east-1",
            "detail": detail,
        }
    )
    return QueueMessage(f"m-{task_id}-{status}", f"r-{task_id}", body, receive_count, age)


def rounds_over(queue: Any, refs: list[str], now: list[float], described: list[list[str]]) -> Any:
    settings = EventSettings(sweep_seconds=10_000.0, silence_seconds=60.0)
    return EventRounds(
        queue,
        settings,
        refs=refs,
        matcher=TaskMatcher(refs, cluster="default", region="us-east-1"),
        describe=lambda pending: described.append(list(pending)) or {},
        observe=lambda ref, task: None,
        clock=lambda: now[0],
        sleep=lambda seconds: None,
    )


def test_a_task_whose_stop_event_is_lost_is_described_after_the_silence_bound() -> None:
    """A task heard from once (RUNNING) whose later events never come is described once the
    silence bound has passed since its last event, not only at the next sweep."""
    ref = ARN + "a" * 32
    now, described = [0.0], []
    queue = _ScriptedQueue([[event_message("a" * 32, "RUNNING")]])
    rounds = rounds_over(queue, [ref], now, described)
    pending = dict.fromkeys([ref])
    rounds.round(pending.keys())  # the first sweep, then the RUNNING event
    assert described == [[ref]]
    now[0] = 59.0
    rounds.round(pending.keys())
    assert described == [[ref]]
    now[0] = 61.0
    rounds.round(pending.keys())
    assert described == [[ref], [ref]]


def test_another_consumers_message_is_not_dropped_while_young() -> None:
    """On a queue many waits share, a message received many times by others is handed back
    while younger than the silence bound (its owner may not have seen it yet), and dropped
    once older."""
    mine = ARN + "b" * 32
    now, described = [0.0], []
    young = event_message("c" * 32, "STOPPED", receive_count=9, age=5.0)
    old = event_message("d" * 32, "STOPPED", receive_count=9, age=61.0)
    queue = _ScriptedQueue([[young, old]])
    rounds = rounds_over(queue, [mine], now, described)
    rounds.round(dict.fromkeys([mine]).keys())
    assert queue.held == [young.receipt]
    assert queue.deleted == [old.receipt]


def test_on_a_busy_shared_queue_a_silent_task_is_described_at_the_shared_bound() -> None:
    """Once others' messages come through the queue, a pending task with no event of its own
    is described after the shared bound (5 s), not the 60 s one: its events may be in other
    consumers' hands; 60 s after the last of theirs, the long bound applies again."""
    mine = ARN + "e" * 32
    now, described = [0.0], []
    others = [event_message(c * 32, "RUNNING") for c in "fg"]
    queue = _ScriptedQueue([[], [others[0]], [], [others[1]]])
    rounds = rounds_over(queue, [mine], now, described)
    pending = dict.fromkeys([mine])
    rounds.round(pending.keys())  # the first sweep; nothing received
    now[0] = 4.0
    rounds.round(pending.keys())  # others' message: the queue is shared and busy
    assert described == [[mine]] and queue.held == [others[0].receipt]
    assert rounds._due_in() == 1.0  # the long poll ends when the shared bound is due
    now[0] = 5.5
    rounds.round(pending.keys())
    assert described == [[mine], [mine]]
    now[0] = 9.0
    rounds.round(pending.keys())  # others' again, at 9 s
    now[0] = 68.0  # 59 s after: still busy, so every 5 s
    rounds.round(pending.keys())
    assert len(described) == 3
    now[0] = 70.0  # 61 s after the last of theirs: the long bound again
    rounds.round(pending.keys())
    assert len(described) == 3
    now[0] = 128.5
    rounds.round(pending.keys())
    assert len(described) == 4
