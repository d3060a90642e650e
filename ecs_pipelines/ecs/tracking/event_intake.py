"""What a sensor tick reads from its queue of task state events, and which events it takes.

A sensor has a queue of its own (one EventBridge rule target per consumer). A tick receives
what the queue holds (up to ``max_messages``, within a share of its budget). Messages of
tracked tasks, matched by the task's whole ARN (``task_identity``), give their newest state
(by version, a stop first); a message naming a tracked task's id under another account,
region or cluster is ignored, counted and deleted; a watch (the completion sensor) adopts the
events of untracked tasks that ListTasks would list (``listed_by``); any other message has
nothing to apply and is deleted at once (a task the sensor starts tracking later is described
when it starts, so no event of it is needed).

What the states decide, and when their messages are deleted (exactly once), is the tick's
decision (``decision``); ``runner`` reads the queue and deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
from ecs_pipelines.ecs.tracking.cursor import TaskGroup
from ecs_pipelines.ecs.tracking.review import described_task

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskTypeDef

DEFAULT_SWEEP_SECONDS = 300.0
# A tick reads at most this many messages; the rest wait for the next tick. It also bounds
# the receipt handles a cursor carries.
MAX_MESSAGES_PER_TICK = 1000
# Share of a tick's budget spent receiving.
RECEIVE_SHARE = 0.25


@dataclass
class EventIntake:
    """What a tick read from its queue."""

    states: dict[str, TaskTypeDef] = field(default_factory=dict)  # task ARN -> newest state
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
        intake.states[ref] = described_task(newest.task)
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
