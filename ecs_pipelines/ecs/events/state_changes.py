"""ECS task state change events, as EventBridge delivers them to an SQS queue: pure decisions.

ECS sends an "ECS Task State Change" event to EventBridge each time a task changes (ECS
developer guide, "Amazon ECS task state change events"); a rule can put them on an SQS queue,
whose message body is then the whole EventBridge envelope::

    {"version": "0", "id": ..., "detail-type": "ECS Task State Change", "source": "aws.ecs",
     "account": ..., "time": ..., "region": ..., "resources": [task ARN],
     "detail": {<nearly a DescribeTasks task>, "version": 4, "updatedAt": ...}}

``detail`` has a DescribeTasks task's fields, with timestamps as ISO strings and without the
task's health and tags. Its ``version`` grows with each change of the task; ECS sends events
at least once and not necessarily in order ("Handling Amazon ECS events": "Events with a
higher version property number should be treated as occurring later"), so a state is applied
only when its version is newer than the one already known, and a duplicate or a late event
changes nothing. DescribeTasks reports the same ``version``, so a description and an event
compare directly.

An event is a hint, not a fact (anyone the queue's policy lets in can send one):

- it is matched to a task by the task's whole identity (``task_identity``), and its version
  is compared only with that task's own states, so an event naming the task's id under
  another account, region or cluster neither decides the task nor moves its version;
- a stop (STOPPED) from an event is never applied: it says which tasks to describe, and the
  description decides (``TaskVersions``, ``stop_hint``). A stop of any version is such a hint
  (a stopped task never runs again, so a late stop is still its end); other states may be
  applied, since they decide nothing;
- what was ignored is counted (``Ignored``) and said once, never shown.

Nothing here reads a queue (``task_event_queue`` does) or logs an event: its detail carries
the task's overrides, and overrides may carry secrets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from ecs_pipelines.ecs.common import TaskStatus, task_id
from ecs_pipelines.ecs.events.identity import TaskIdentity, cluster_scope, task_identity

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskTypeDef

DETAIL_TYPE = "ECS Task State Change"
SOURCE = "aws.ecs"

# The detail's timestamps (ISO strings in events, datetimes from boto3's DescribeTasks).
TASK_TIMESTAMPS = (
    "createdAt",
    "connectivityAt",
    "pullStartedAt",
    "pullStoppedAt",
    "startedAt",
    "stoppingAt",
    "stoppedAt",
    "executionStoppedAt",
    "updatedAt",
)


@dataclass(frozen=True)
class TaskEvent:
    """One task state change: the task as DescribeTasks would show it, and its version."""

    task_arn: str
    version: int | None
    task: TaskTypeDef = field(repr=False)  # holds overrides: never shown

    @property
    def task_id(self) -> str:
        return task_id(self.task_arn)

    @property
    def identity(self) -> TaskIdentity | None:
        """The task the event names: its ARN's parts, and its cluster ARN's where the task ARN
        (older format) does not say; None when the two contradict each other, as no event of
        ECS does."""
        own = task_identity(self.task_arn)
        cluster = cluster_scope(str(self.task.get("clusterArn") or "") or None)
        if not own.scope.agrees(cluster):
            return None
        return TaskIdentity(own.task_id, own.scope.knowing(cluster))


def stop_hint(task: Mapping[str, Any]) -> bool:
    """Whether a task state (an event's) says the task stopped: a hint to describe it."""
    return task.get("lastStatus") == TaskStatus.STOPPED


def _when(value: Any) -> Any:
    """An event's ISO timestamp as the datetime boto3 gives for DescribeTasks."""
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return value  # left as sent: the decision never reads it, results show it


def _version(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def as_described_task(detail: Mapping[str, Any]) -> TaskTypeDef:
    """An event's ``detail`` as a DescribeTasks task: timestamps become datetimes."""
    task = dict(detail)
    for name in TASK_TIMESTAMPS:
        if name in task:
            task[name] = _when(task[name])
    containers = []
    for container in task.get("containers") or []:
        if isinstance(container, Mapping):
            container = dict(container)
            agents = container.get("managedAgents")
            if isinstance(agents, list):
                container["managedAgents"] = [
                    {**a, "lastStartedAt": _when(a.get("lastStartedAt"))}
                    if isinstance(a, Mapping) and "lastStartedAt" in a
                    else a
                    for a in agents
                ]
            containers.append(container)
    if "containers" in task:
        task["containers"] = containers
    # The detail of an "ECS Task State Change" is DescribeTasks' task, timestamps aside.
    return cast("TaskTypeDef", task)


def parse_task_event(body: str | bytes) -> TaskEvent | None:
    """The task state change an SQS message body holds; None for anything else.

    A queue may receive other events (another rule, a test message, a malformed body): they
    are not task states, and the caller decides what to do with their messages.
    """
    try:
        envelope = json.loads(body)
    except ValueError:
        return None
    if not isinstance(envelope, Mapping):
        return None
    if envelope.get("detail-type") != DETAIL_TYPE or envelope.get("source") != SOURCE:
        return None
    detail = envelope.get("detail")
    if not isinstance(detail, Mapping):
        return None
    arn = detail.get("taskArn")
    if not isinstance(arn, str) or not arn:
        return None
    return TaskEvent(arn, _version(detail.get("version")), as_described_task(detail))


def is_newer(version: int | None, known: int | None, *, described: bool = False) -> bool:
    """Whether a state of ``version`` moves a task known at ``known`` forward.

    A state without a version (an endpoint that does not report one) is taken as it comes;
    once a version is known, only a greater one is news: an event of the same version is a
    duplicate. A description (``described``) of the same version is taken too: it is the task
    as it is now, and an endpoint that never raises the version still moves forward."""
    if known is None or version is None:
        return True
    return version >= known if described else version > known


class TaskVersions:
    """The newest version applied per task (by the caller's reference, to which only the
    task's own events are matched): states are applied only forward.

    An event's stop is never applied (``stop_hint``: the caller describes the task), so no
    event's version, however large, can hide the task's end; a described stop is always
    applied: DescribeTasks is the truth, whatever versions events claimed."""

    def __init__(self) -> None:
        self._versions: dict[str, int] = {}

    def apply(self, ref: str, task: Mapping[str, Any], *, described: bool = False) -> bool:
        """True when ``task`` (an event's, or DescribeTasks' when ``described``) is news for
        the task ``ref``; its version is then the task's known version."""
        version = _version(task.get("version"))
        if stop_hint(task):
            if not described:
                return False
        elif not is_newer(version, self._versions.get(ref), described=described):
            return False
        if version is not None:
            self._versions[ref] = version
        return True


def newest_states(events: Iterable[TaskEvent]) -> dict[str, TaskEvent]:
    """The newest event of each task among ``events`` (task ARN -> event), a stop before any
    other state: a stopped task never runs again, so a stop of a lower version (a late one,
    or one whose newer rival is forged) is still the hint to describe it."""
    newest: dict[str, TaskEvent] = {}
    for event in events:
        known = newest.get(event.task_arn)
        if known is None:
            newest[event.task_arn] = event
            continue
        stopped, was_stopped = stop_hint(event.task), stop_hint(known.task)
        if stopped != was_stopped:
            if stopped:
                newest[event.task_arn] = event
        elif is_newer(event.version, known.version):
            newest[event.task_arn] = event
    return newest


class Ignored(StrEnum):
    """Why a task state event was ignored."""

    FOREIGN = "foreign"  # the task's id under another account, region or cluster
    UNCONFIRMED = "unconfirmed"  # a stop (or a task) DescribeTasks did not bear out


_WHY = {
    Ignored.FOREIGN: "naming the task under another account, region or cluster",
    Ignored.UNCONFIRMED: (
        "that DescribeTasks did not confirm (a stop it does not show, or a task it does not "
        "know in the cluster)"
    ),
}


def ignored_summary(counts: Mapping[Ignored, int]) -> str | None:
    """The one line that says how many events were ignored and why (never what they held:
    an event's detail carries the task's overrides); None when none was."""
    total = sum(counts.values())
    if not total:
        return None
    reasons = "; ".join(f"{counts[why]} {_WHY[why]}" for why in Ignored if counts.get(why))
    return f"{total} task state event(s) ignored: {reasons}"
