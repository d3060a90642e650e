"""A sensor tick on task state events: what it reads from its queue, what it describes, what
its cursor keeps, and when the messages it applied are deleted (exactly once).

A sensor has a queue of its own (one EventBridge rule target per consumer). Each tick:

1. Deletes the messages the previous tick applied (their receipt handles are in the cursor
   the tick was given: Dagster stored it, so what they did is kept for good).
2. Receives what the queue holds (up to ``max_messages``, within a share of the budget).
   Messages of tracked tasks, matched by the task's whole ARN (``task_identity``), give their
   newest state (by version, a stop first); a message naming a tracked task's id under
   another account, region or cluster is ignored, counted and deleted; any other message
   has nothing to apply and is deleted at once (a task the sensor starts tracking later is
   described when it starts, so no event of it is needed).
3. Describes groups just added and the sweep (at the first tick and every
   ``sweep_seconds``: every tracked group, 100 tasks a call, over as many ticks as the
   budget needs); and, to confirm them, the tasks an event says stopped (with the tasks of
   their groups that ended in an earlier tick, ``done``), batched in the same calls. An
   event decides nothing: ``tracking.tick`` decides from the descriptions, and a stop the
   description does not show is dropped and counted.
4. The next cursor carries the receipt handles of the messages whose states it holds (ended
   tasks: completions and ``done``); the messages of tasks whose confirmation the budget did
   not reach are handed back, to be read again next tick; the other messages of tracked
   tasks (a task still running, an unconfirmed stop) changed nothing it holds and are
   deleted at once.

A tick that dies before its cursor is stored deleted nothing it applied: the messages come
back after their visibility timeout and are applied again to the old cursor, and what a
completion stores is stored once (the caller's store is idempotent, or its run key is). A
redelivered message of a task already reported finds it untracked and is deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import family_revision
from ecs_pipelines.ecs.events import (
    BATCH,
    Scope,
    TaskEvent,
    TaskEventQueue,
    TaskMatcher,
    cluster_scope,
    newest_states,
    parse_task_event,
)
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.tracking.cursor import TaskGroup, TrackingState, task_digest
from ecs_pipelines.ecs.tracking.ticks import TaskDefinitionLookup, TickResult, tick

DEFAULT_SWEEP_SECONDS = 300.0
# A tick reads at most this many messages; the rest wait for the next tick. It also bounds
# the receipt handles a cursor carries.
MAX_MESSAGES_PER_TICK = 1000
# Share of a tick's budget spent receiving.
RECEIVE_SHARE = 0.25


@dataclass
class EventIntake:
    """What a tick read from its queue."""

    states: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # task ARN -> state
    receipts: dict[str, list[str]] = field(default_factory=dict)  # task ARN -> its messages
    dropped: list[str] = field(default_factory=list)  # messages with nothing to apply
    messages: int = 0
    failed: str | None = None  # why the queue could not be read (the tick polls instead)
    foreign: int = 0  # events naming a tracked task's id under another account/region/cluster


EventFilter = Callable[[TaskEvent], bool]


def client_region(client: EcsTaskClient) -> str | None:
    """The region the client's calls go to (what a task id alone does not say)."""
    return getattr(getattr(client.ecs, "meta", None), "region_name", None)


def group_matcher(groups: Sequence[TaskGroup], region: str | None) -> TaskMatcher:
    """The tracked tasks, each known by its ARN, its group's cluster and ``region``."""
    matcher = TaskMatcher()
    for group in groups:
        for arn in group.task_arns:
            matcher.add(arn, cluster=group.cluster, region=region)
    return matcher


def take_events(
    queue: TaskEventQueue,
    tracked: TaskMatcher,
    *,
    visibility_seconds: int,
    max_messages: int = MAX_MESSAGES_PER_TICK,
    time_left: Callable[[], float] = lambda: 1.0,
    adopt: EventFilter | None = None,
) -> EventIntake:
    """Receives until the queue is empty, ``max_messages`` are read or ``time_left()`` runs
    out; keeps the newest state of each ``tracked`` task (matched by identity), and of each
    other task whose event ``adopt`` accepts (a sensor that finds its tasks by their events:
    the task is then known by the ARN the event gives)."""
    intake = EventIntake()
    events: dict[str, list[TaskEvent]] = {}
    try:
        while intake.messages < max_messages and time_left() > 0:
            messages = queue.receive(
                wait_seconds=0,
                visibility_seconds=visibility_seconds,
                max_messages=min(BATCH, max_messages - intake.messages),
            )
            intake.messages += len(messages)
            for message in messages:
                event = parse_task_event(message.body)
                ref = _take(event, tracked, adopt, intake)
                if event is None or ref is None:
                    intake.dropped.append(message.receipt)
                    continue
                intake.receipts.setdefault(ref, []).append(message.receipt)
                events.setdefault(ref, []).append(event)
            if not messages:
                break
    except Exception as error:
        intake.failed = f"{type(error).__name__}: {_code(error)}"
    for ref, theirs in events.items():
        [newest] = newest_states(theirs).values()
        intake.states[ref] = newest.task
    return intake


def _take(
    event: TaskEvent | None, tracked: TaskMatcher, adopt: EventFilter | None, intake: EventIntake
) -> str | None:
    """The tracked task ``event`` is of (adopting it if ``adopt`` says so), or None."""
    if event is None:
        return None
    identity = event.identity
    match = tracked.match(identity, event.task_id)
    if match.foreign:
        intake.foreign += 1
        return None
    if match.ref is None and identity is not None and adopt is not None and adopt(event):
        tracked.add(event.task_arn)
        return event.task_arn
    return match.ref


def listed_by(
    cluster: str, family: str | None, started_by: str | None, *, region: str | None = None
) -> EventFilter:
    """Whether an event is of a task that ListTasks with these filters would list: a task of
    the cluster (its name or ARN; ``region``, the client's, when a name does not say it),
    whose task definition family and startedBy match exactly (ListTasks matches both
    exactly; ECS API reference, ListTasks). What the sensor does not know of the cluster (its
    account, when it is given by name) the description of the task confirms (``tick``'s
    ``adopted``)."""
    wanted = cluster_scope(cluster, region)

    def matches(event: TaskEvent) -> bool:
        identity = event.identity
        if identity is None or identity.scope.cluster is None:
            return False
        if not _within(identity.scope, wanted):
            return False
        task = event.task
        if family is not None:
            revision = family_revision(str(task.get("taskDefinitionArn") or ""))
            if revision.rsplit(":", 1)[0] != family:
                return False
        return started_by is None or task.get("startedBy") == started_by

    return matches


def _within(scope: Scope, cluster: Scope) -> bool:
    return scope.agrees(cluster) and scope.cluster == cluster.cluster


def sweep_due(swept_at: int | None, now: int, sweep_seconds: float) -> bool:
    """Whether a sweep is due: none yet, or the last one ``sweep_seconds`` ago or more (a
    clock that went back counts as due)."""
    return swept_at is None or not 0 <= now - swept_at < sweep_seconds


def _code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", "") or error)


@dataclass(frozen=True)
class EventTick:
    """One tick's decisions, and what to keep and release once the caller has acted."""

    result: TickResult
    intake: EventIntake
    swept: tuple[TaskGroup, ...]  # the groups this tick's sweep was to describe
    sweep_left: int
    swept_at: int | None
    stale_receipts: tuple[str, ...]  # the previous tick's: to delete now

    def next_state(
        self, *, unrecorded: Sequence[TaskGroup] = (), after: int | None = None
    ) -> tuple[TrackingState, list[str], list[str]]:
        """The next cursor, the messages to delete now, and those to hand back at once.

        ``unrecorded``: completions the caller could not store; they stay tracked, and their
        messages are handed back so that the next tick decides them again."""
        result, intake = self.result, self.intake
        unrecorded_arns = {a for g in unrecorded for a in g.task_arns}
        kept = {a for c in result.completions for a in c.group.task_arns} - unrecorded_arns
        kept |= {a for g in result.ignored for a in g.task_arns}
        kept |= {a for g in result.pending for a in g.task_arns if task_digest(a) in result.done}
        # Stops whose confirmation the budget did not reach: read again next tick.
        unconfirmed_yet = {a for g in result.unvisited for a in g.task_arns} - kept
        deferred = [r for a in kept for r in intake.receipts.get(a, [])]
        handed_back = unrecorded_arns | unconfirmed_yet
        release = [r for a in handed_back for r in intake.receipts.get(a, [])]
        delete = list(intake.dropped) + [
            r for a, rs in intake.receipts.items() if a not in kept | handed_back for r in rs
        ]
        sweeping = set(self.swept)
        left = [g for g in result.unvisited if g in sweeping]
        rest = [g for g in result.pending if g not in set(left)]
        state = TrackingState(
            groups=(*left, *unrecorded, *rest),
            after=after,
            done=result.done,
            receipts=tuple(deferred),
            sweep_left=len(left),
            swept_at=self.swept_at,
        )
        return state, delete, release


def tick_with_events(
    client: EcsTaskClient,
    queue: TaskEventQueue,
    state: TrackingState,
    new: Sequence[TaskGroup],
    *,
    budget_seconds: float,
    sweep_seconds: float = DEFAULT_SWEEP_SECONDS,
    visibility_seconds: int,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
    task_definition: TaskDefinitionLookup | None = None,
    max_messages: int = MAX_MESSAGES_PER_TICK,
) -> EventTick:
    """Steps 1 to 3 of the module docstring over ``state``'s groups plus ``new`` ones. If the
    queue cannot be read, every group is described, as a polling tick would."""
    started = clock()
    stale = state.receipts
    if stale:
        try:
            queue.delete(stale)
        except Exception:  # they come back after their timeout: applying them is harmless
            stale = ()
    groups = [*state.groups, *new]
    intake = take_events(
        queue,
        group_matcher(groups, client_region(client)),
        visibility_seconds=visibility_seconds,
        max_messages=max_messages,
        time_left=lambda: budget_seconds * RECEIVE_SHARE - (clock() - started),
    )
    now = int(wall())
    sweep_left, swept_at = state.sweep_left, state.swept_at
    if intake.failed:
        # Without events every group is described: that is a sweep.
        sweep_left, swept_at = len(state.groups), now
    elif not sweep_left and sweep_due(swept_at, now, sweep_seconds):
        sweep_left, swept_at = len(state.groups), now
    swept = tuple(state.groups[:sweep_left])
    describe = None if intake.failed else {*swept, *new}
    result = tick(
        client,
        groups,
        budget_seconds=max(0.0, budget_seconds - (clock() - started)),
        clock=clock,
        task_definition=task_definition,
        grace={arn for g in new for arn in g.task_arns},
        known=intake.states,
        describe=describe,
        done=state.done,
    )
    return EventTick(result, intake, swept, sweep_left, swept_at, tuple(stale))
