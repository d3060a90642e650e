"""The decision of a sensor tick, as one pure object (``TickDecision``): from the cursor's
state and what the tick learned this time, which groups to describe, which are quiet and which
are new; once they are described, the verdicts, the next cursor, and which queue messages to
delete, hand back or keep. No client, no Dagster, no clock (the time is handed in):
``runner.run_tick`` does the I/O around it.

Two kinds of sensors tick through it (``TickRules``):

- **named groups** (the detached-asset sensor): the caller names the groups it starts to track
  (its launch records). Polling, every group is described each tick. On task state events, a
  sweep describes every tracked group every ``sweep_seconds`` (over as many ticks as the budget
  needs: ``sweep_left``, the head of the cursor's groups), and events tell the rest.
- **a watch** (``ClusterWatch``, the completion sensor): the sensor finds its tasks itself,
  each a group of its own, in a sweep's ListTasks (every tick when polling, else every
  ``sweep_seconds``) and by their events. A task it handled is remembered (``seen``, by
  digest) while ListTasks still lists it, so that it is not found again.

The rules, each with a unit test in ``test_tick_decision``:

1. **New**: a group the caller names, or a task the sweep lists or an event tells of, that is
   neither tracked nor remembered. At a watch's first tick, tasks already STOPPED are history
   (remembered, never reported) unless ``include_history``.
2. **Described whole**: every group when a tick of named groups has no events to go by (no
   queue, or one that could not be read); a new group, unless the sweep lists all its tasks
   RUNNING and no tag filter needs its description; a tracked group the sweep does not list
   RUNNING (watch) or that is in the describe sweep's share (named groups).
3. **Told**: a task an event says stopped is described, with the tasks of its group an earlier
   tick found ended (``done``), and decided from its description (an event is a hint);
   a task known only from its events (adopted) is described before it is tracked, with no
   grace (a new task ECS lists gets one tick of grace for MISSING).
4. **Quiet**: any other group (known running and not told of) is not described and stays
   tracked.
5. **After the describe** (``review``): the verdicts; groups the budget did not reach come
   first next time, and a task known only from its events that it did not reach is not
   tracked (its events are read again); completions and ignored groups are handled.
6. **Messages**: those of tasks whose ends the next cursor holds (handled, or ``done``) are kept
   in it and deleted by the tick that reads it back (it was stored, then); those of tasks not
   reached or whose completion the caller could not store are handed back (read again next
   tick); every other message is deleted at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from ecs_pipelines.ecs.tracking.cursor import TaskGroup, TrackingState, task_digest
from ecs_pipelines.ecs.tracking.event_intake import DEFAULT_SWEEP_SECONDS, EventIntake, sweep_due
from ecs_pipelines.ecs.tracking.review import (
    Definitions,
    Described,
    Review,
    TaskFilter,
    TickResult,
)

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskTypeDef


@dataclass(frozen=True)
class ClusterWatch:
    """The tasks a sensor finds itself: those ListTasks gives for ``cluster`` (a name or an
    ARN) with these filters; a family and a startedBy match exactly, as ListTasks matches."""

    cluster: str
    family: str | None = None
    started_by: str | None = None


@dataclass(frozen=True)
class Listing:
    """What a sweep's ListTasks gave: the watched tasks ECS lists RUNNING, and STOPPED."""

    running: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()

    @property
    def found(self) -> tuple[str, ...]:
        return (*self.stopped, *self.running)


@dataclass(frozen=True)
class TickRules:
    """How a sensor learns of its tasks (the module docstring): named groups (no ``watch``)
    or a watch; ``accept``, a filter only a description can apply (tags); ``include_history``:
    a watch reports the tasks already STOPPED at its first tick."""

    watch: ClusterWatch | None = None
    accept: TaskFilter | None = None
    include_history: bool = False
    sweep_seconds: float = DEFAULT_SWEEP_SECONDS


def sweep_begins(
    rules: TickRules, state: TrackingState, now: int, events: EventIntake | None
) -> bool:
    """Whether a tick begins a sweep: always without events to go by (no queue, or one that
    could not be read); else when one is due (``sweep_due``), unless a describe sweep of named
    groups is still under way."""
    if events is None or events.failed:
        return True
    if rules.watch is None and state.sweep_left:
        return False
    return sweep_due(state.swept_at, now, rules.sweep_seconds)


class Settlement(NamedTuple):
    """What a tick leaves: the next cursor's state, the messages to delete now, and those to
    hand back at once (visible again, read by the next tick)."""

    state: TrackingState
    delete: list[str]
    release: list[str]


@dataclass(frozen=True)
class TickDecision:
    """One tick's decision (the module docstring). ``now``: wall clock, epoch seconds;
    ``events``: what the tick read from its queue (None: it has none, it polls);
    ``listing``: the sweep's ListTasks, given exactly when a watch sweeps (``sweep_begins``);
    ``new``: the groups the caller names; ``first``: the sensor has no cursor yet."""

    rules: TickRules
    state: TrackingState
    now: int
    events: EventIntake | None = None
    listing: Listing | None = None
    new: Sequence[TaskGroup] = ()
    first: bool = False

    def __post_init__(self) -> None:
        lists = self.rules.watch is not None and self.sweeping
        if lists != (self.listing is not None):
            raise ValueError("a watch lists its cluster at each sweep, and only then")
        if self.rules.watch is not None and self.new:
            raise ValueError("a watch finds its groups: it is given none")

    # --- before the describe ---------------------------------------------------------------

    @cached_property
    def sweeping(self) -> bool:
        """Whether this tick begins a sweep."""
        return sweep_begins(self.rules, self.state, self.now, self.events)

    @cached_property
    def sweep_left(self) -> int:
        """How many tracked groups, from the head, the describe sweep of named groups on
        events still has to describe (a watch sweeps by ListTasks, a poll describes all)."""
        if self.rules.watch is not None or self.events is None:
            return 0
        return len(self.state.groups) if self.sweeping else self.state.sweep_left

    @cached_property
    def seen(self) -> frozenset[bytes]:
        """Digests of the tasks a watch remembers as handled, its first tick's history
        included."""
        if self.rules.watch is None:
            return frozenset()
        seen = set(self.state.seen)
        if self.first and self.listing is not None and not self.rules.include_history:
            seen |= {task_digest(arn) for arn in self.listing.stopped}
        return frozenset(seen)

    @property
    def heard(self) -> Mapping[str, TaskTypeDef]:
        """Task ARN -> newest state its events tell (hints)."""
        return self.events.states if self.events is not None else {}

    @cached_property
    def new_groups(self) -> tuple[TaskGroup, ...]:
        """Groups this tick starts to track (rule 1), after the tracked ones."""
        watch = self.rules.watch
        if watch is None:
            tracked = set(self.state.groups)
            return tuple(g for g in self.new if g not in tracked)  # a step may record twice
        tracked_arns = {arn for g in self.state.groups for arn in g.task_arns}
        found = self.listing.found if self.listing is not None else ()
        return tuple(
            TaskGroup(watch.cluster, (arn,))
            for arn in dict.fromkeys([*found, *self.heard])
            if arn not in tracked_arns and task_digest(arn) not in self.seen
        )

    @cached_property
    def adopted(self) -> frozenset[str]:
        """New tasks known only from their events (rule 3)."""
        if self.rules.watch is None:
            return frozenset()
        listed = set(self.listing.found) if self.listing is not None else set()
        return frozenset(a for g in self.new_groups for a in g.task_arns if a not in listed)

    @cached_property
    def groups(self) -> tuple[TaskGroup, ...]:
        """Every group of the tick in visiting order: the tracked ones, then the new ones."""
        return (*self.state.groups, *self.new_groups)

    @cached_property
    def described_whole(self) -> frozenset[TaskGroup]:
        """Groups every task of which is described (rule 2)."""
        if self.rules.watch is None and (self.events is None or self.events.failed):
            return frozenset(self.groups)
        new = {g for g in self.new_groups if self.rules.accept is not None or not self._listed(g)}
        if self.rules.watch is None:
            tracked = set(self.state.groups[: self.sweep_left])
        elif self.listing is None:
            tracked = set()  # between a watch's sweeps, only events tell of tracked tasks
        else:
            tracked = {g for g in self.state.groups if not self._listed(g)}
        return frozenset(new | tracked)

    def _listed(self, group: TaskGroup) -> bool:
        """Whether the sweep lists every task of ``group`` RUNNING."""
        return all(arn in self._listed_running for arn in group.task_arns)

    @cached_property
    def _listed_running(self) -> frozenset[str]:
        return frozenset(self.listing.running) if self.listing is not None else frozenset()

    @cached_property
    def review(self) -> Review:
        """The groups in visiting order, what each needs described, and how they are judged."""
        new_tasks = {arn for g in self.new_groups for arn in g.task_arns}
        return Review.of(
            self.groups,
            whole=self.described_whole,
            known=self.heard,
            done=self.state.done,
            adopted=self.adopted,
            grace=new_tasks - self.adopted,
            accept=self.rules.accept,
        )

    @property
    def quiet(self) -> tuple[TaskGroup, ...]:
        """Groups with nothing to describe: known running and not told of (rule 4)."""
        return tuple(g for g in self.groups if g not in self.review.needed)

    @property
    def describing(self) -> int:
        """How many groups have tasks to describe."""
        return len(self.review.needed)

    def to_describe(self) -> list[tuple[str, str]]:
        """(cluster, task ARN) of every task to describe, in visiting order."""
        return self.review.to_describe()

    # --- after the describe ----------------------------------------------------------------

    def definitions_to_read(self, described: Described) -> list[str]:
        return self.review.definitions_to_read(described)

    def conclude(self, described: Described, definitions: Definitions) -> TickResult:
        """The verdicts (rule 5) from DescribeTasks' answers and the task definitions."""
        return self.review.conclude(described, definitions)

    def next_state(
        self,
        result: TickResult,
        *,
        unrecorded: Collection[TaskGroup] = (),
        after: int | None = None,
    ) -> Settlement:
        """The next cursor and the messages to delete and hand back (rules 5 and 6).

        ``unrecorded``: completions the caller could not store; they stay tracked, first in
        line, and their messages are handed back so that the next tick decides them again.
        ``after``: the caller's read position."""
        polling = self.events is None
        events = self.events or EventIntake()
        unrecorded_arns = {arn for g in unrecorded for arn in g.task_arns}
        not_stored = set(unrecorded)
        stored = [c.group for c in result.completions if c.group not in not_stored]
        handled = [*stored, *result.ignored]
        kept = {a for c in result.completions for a in c.group.task_arns} - unrecorded_arns
        kept |= {arn for g in result.ignored for arn in g.task_arns}
        kept |= {a for g in result.pending for a in g.task_arns if task_digest(a) in result.done}
        # Stops whose confirmation the budget did not reach: read again next tick.
        unreached = {arn for g in result.unvisited for arn in g.task_arns} - kept
        handed_back = unrecorded_arns | unreached
        receipts = events.receipts.items()
        state = TrackingState(
            groups=self._next_groups(result, unrecorded),
            after=after,
            seen=self._next_seen(handled),
            # A poll describes every task of every group: it has no ended tasks to remember.
            done=frozenset() if polling else result.done,
            receipts=tuple(r for arn, rs in receipts if arn in kept for r in rs),
            sweep_left=sum(1 for g in result.unvisited if g in self._swept),
            swept_at=self.now if self.sweeping and not polling else self.state.swept_at,
        )
        release = [r for arn, rs in receipts if arn in handed_back for r in rs]
        delete = [*events.dropped]
        delete += [r for arn, rs in receipts if arn not in kept | handed_back for r in rs]
        return Settlement(state, delete, release)

    @cached_property
    def _swept(self) -> frozenset[TaskGroup]:
        return frozenset(self.state.groups[: self.sweep_left])

    def _next_groups(
        self, result: TickResult, unrecorded: Collection[TaskGroup]
    ) -> tuple[TaskGroup, ...]:
        """The sweep's unreached share first (the sweep goes on from there), then what the
        caller could not store, then the rest in visiting order; a task known only from its
        events is tracked once described."""
        left = [g for g in result.unvisited if g in self._swept]
        not_yet = {g for g in result.unvisited if any(a in self.adopted for a in g.task_arns)}
        skip = set(left) | not_yet
        rest = [g for g in result.pending if g not in skip]
        return (*left, *unrecorded, *rest)

    def _next_seen(self, handled: Sequence[TaskGroup]) -> frozenset[bytes]:
        """What a watch remembers: its handled tasks, only while ECS still lists them (bounded
        by ECS's memory of stopped tasks)."""
        if self.rules.watch is None:
            return frozenset()
        seen = set(self.seen) | {task_digest(arn) for g in handled for arn in g.task_arns}
        if self.listing is not None:
            seen &= {task_digest(arn) for arn in self.listing.found}
        return frozenset(seen)
