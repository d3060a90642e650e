"""The I/O around a sensor tick's decision (``decision.TickDecision``), in the order a tick
does it:

1. deletes the messages the previous tick applied (their receipt handles are in the cursor
   the tick was given: it was stored, so what they did is kept for good);
2. receives what its queue holds (``event_intake.take_events``), if it has one;
3. lists the watched cluster (ListTasks, RUNNING and STOPPED) when a watch sweeps;
4. describes what the decision names (``ticks.run_review``: DescribeTasks in batches of 100
   within the budget) and reads the task definitions the verdicts need.

The caller then acts on the verdicts (stores completions, requests runs), asks the tick for
its ``next_state`` (the cursor and the messages to delete and hand back), and settles the
queue. A tick that dies before its cursor is stored deleted nothing it applied: the messages
come back after their visibility timeout and are applied again to the old cursor, and what a
completion stores is stored once (the caller's store is idempotent, or its run key is).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from ecs_pipelines.ecs.common import TaskStatus
from ecs_pipelines.ecs.events import TaskEventQueue
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.tracking.cursor import TaskGroup, TrackingState, task_digest
from ecs_pipelines.ecs.tracking.decision import (
    ClusterWatch,
    Listing,
    Settlement,
    TickDecision,
    TickRules,
    sweep_begins,
)
from ecs_pipelines.ecs.tracking.event_intake import (
    DEFAULT_SWEEP_SECONDS,
    MAX_MESSAGES_PER_TICK,
    RECEIVE_SHARE,
    EventFilter,
    EventIntake,
    client_region,
    group_matcher,
    listed_by,
    take_events,
)
from ecs_pipelines.ecs.tracking.review import TickResult
from ecs_pipelines.ecs.tracking.ticks import TaskDefinitionLookup, run_review


@dataclass(frozen=True)
class SensorTick:
    """One tick, decided and described, and what to keep and release once the caller has
    acted on its verdicts."""

    decision: TickDecision
    result: TickResult
    stale_receipts: tuple[str, ...] = ()  # the previous tick's messages, deleted by this one
    queue_error: str | None = None  # why they could not be (they come back: harmless)

    @property
    def intake(self) -> EventIntake:
        return self.decision.events or EventIntake()

    def next_state(
        self, *, unrecorded: Collection[TaskGroup] = (), after: int | None = None
    ) -> Settlement:
        """The next cursor, the messages to delete now, and those to hand back at once
        (``TickDecision.next_state``)."""
        return self.decision.next_state(self.result, unrecorded=unrecorded, after=after)


def list_watched(client: EcsTaskClient, watch: ClusterWatch) -> Listing:
    """The ARNs ListTasks gives for the watched cluster's RUNNING and STOPPED tasks."""
    running, stopped = (
        tuple(
            client.list_task_arns(
                watch.cluster,
                family=watch.family,
                started_by=watch.started_by,
                desired_status=status,
            )
        )
        for status in (TaskStatus.RUNNING, TaskStatus.STOPPED)
    )
    return Listing(running, stopped)


def _adopter(rules: TickRules, state: TrackingState, region: str | None) -> EventFilter | None:
    """A watch takes the events of the tasks ListTasks would list that it does not remember."""
    watch = rules.watch
    if watch is None:
        return None
    matches = listed_by(watch.cluster, watch.family, watch.started_by, region=region)
    return lambda event: task_digest(event.task_arn) not in state.seen and matches(event)


def _delete_stale(
    queue: TaskEventQueue | None, receipts: tuple[str, ...]
) -> tuple[tuple[str, ...], str | None]:
    if queue is None or not receipts:
        return (), None
    try:
        queue.delete(receipts)
    except Exception as error:  # they come back after their timeout: applying them is harmless
        return (), f"{type(error).__name__}: {error}"
    return receipts, None


def run_tick(
    client: EcsTaskClient,
    rules: TickRules,
    state: TrackingState,
    *,
    budget_seconds: float,
    queue: TaskEventQueue | None = None,
    visibility_seconds: int = 0,
    new: Sequence[TaskGroup] = (),
    first: bool = False,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
    task_definition: TaskDefinitionLookup | None = None,
    max_messages: int = MAX_MESSAGES_PER_TICK,
) -> SensorTick:
    """One tick over ``state`` (the module docstring): ``new``, the groups the caller names;
    ``first``, the sensor has no cursor yet; ``queue``, its own queue of task state events
    (None: it polls), received with ``visibility_seconds``; ``budget_seconds`` bounds the
    receiving (a share) and the describing."""
    started = clock()
    stale, queue_error = _delete_stale(queue, state.receipts)
    events = None
    if queue is not None:
        region = client_region(client)
        events = take_events(
            queue,
            group_matcher([*state.groups, *new], region),
            visibility_seconds=visibility_seconds,
            max_messages=max_messages,
            time_left=lambda: budget_seconds * RECEIVE_SHARE - (clock() - started),
            adopt=_adopter(rules, state, region),
        )
    now = int(wall())
    listing = None
    if rules.watch is not None and sweep_begins(rules, state, now, events):
        listing = list_watched(client, rules.watch)
    decision = TickDecision(
        rules, state, now, events=events, listing=listing, new=tuple(new), first=first
    )
    result = run_review(
        client,
        decision.review,
        budget_seconds=max(0.0, budget_seconds - (clock() - started)),
        clock=clock,
        task_definition=task_definition,
    )
    return SensorTick(decision, result, stale, queue_error)


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
) -> SensorTick:
    """A tick of named groups (the detached sensor's) on ``queue``: ``state``'s groups plus
    ``new`` ones. If the queue cannot be read, every group is described, as a polling tick
    would."""
    return run_tick(
        client,
        TickRules(sweep_seconds=sweep_seconds),
        state,
        budget_seconds=budget_seconds,
        queue=queue,
        visibility_seconds=visibility_seconds,
        new=new,
        clock=clock,
        wall=wall,
        task_definition=task_definition,
        max_messages=max_messages,
    )
