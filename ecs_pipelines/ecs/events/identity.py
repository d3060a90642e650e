"""Which task an ARN names, and which of the caller's tasks an event names: pure.

ECS names a task by its id or its ARN, ``arn:<partition>:ecs:<region>:<account>:task/<cluster>/
<id>`` (or the older ``arn:...:task/<id>``, without the cluster), and a cluster by its name or
``arn:<partition>:ecs:<region>:<account>:cluster/<name>`` (ECS API reference, "Amazon Resource
Names"). A task state event names its task by ARN, and its cluster by ``clusterArn``.

A task id is unique, so ECS's own events would be matched by id alone. But a queue receives
whatever its policy lets in, and an event naming a task's id under another account, region or
cluster is not that task's event (a copy, a test message, a forgery): it must neither decide
the task nor move its version. So an event is matched by everything known of the task: the same
id, and no part (partition, region, account, cluster) known to both sides that differs. A task
the caller knows only by id, or by an older-format ARN, is matched by what is known of it: the
cluster it is waited for in and the client's region, then its whole ARN once DescribeTasks has
given it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """Where a task or cluster lives, each part None when not known."""

    partition: str | None = None
    region: str | None = None
    account: str | None = None
    cluster: str | None = None

    def _parts(self) -> tuple[str | None, ...]:
        return (self.partition, self.region, self.account, self.cluster)

    def agrees(self, other: Scope) -> bool:
        """No part known to both differs."""
        pairs = zip(self._parts(), other._parts(), strict=True)
        return all(a is None or b is None or a == b for a, b in pairs)

    def knowing(self, other: Scope) -> Scope:
        """This scope with the parts only ``other`` knows filled in."""
        return Scope(
            self.partition or other.partition,
            self.region or other.region,
            self.account or other.account,
            self.cluster or other.cluster,
        )


@dataclass(frozen=True)
class TaskIdentity:
    """A task's id and as much as is known of where it lives."""

    task_id: str
    scope: Scope = Scope()

    def agrees(self, other: TaskIdentity) -> bool:
        """The same id, and no known part of their scopes differs."""
        return self.task_id == other.task_id and self.scope.agrees(other.scope)


def _arn_parts(text: str, kind: str) -> tuple[Scope, str] | None:
    """(the scope an ECS ARN of resource ``kind`` gives, the rest of its resource path)."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "ecs":
        return None
    resource_kind, _, path = parts[5].partition("/")
    if resource_kind != kind or not path:
        return None
    return Scope(parts[1] or None, parts[3] or None, parts[4] or None), path


def cluster_scope(cluster: str | None, region: str | None = None) -> Scope:
    """Where a cluster (a name or an ARN) lives; ``region`` (the client's) when it says not."""
    if not cluster:
        return Scope(region=region)
    found = _arn_parts(cluster, "cluster")
    if found is None:
        return Scope(region=region, cluster=cluster)
    scope, name = found
    return Scope(scope.partition, scope.region or region, scope.account, name)


def task_identity(
    task: str, *, cluster: str | None = None, region: str | None = None
) -> TaskIdentity:
    """What ``task`` (an id, or a task ARN of either format) says of its task; ``cluster`` (a
    name or ARN) and ``region`` fill in the parts it does not say."""
    context = cluster_scope(cluster, region)
    found = _arn_parts(task, "task")
    if found is None:
        return TaskIdentity(task.rsplit("/", 1)[-1], context)
    scope, path = found
    cluster_name, _, task_id = path.rpartition("/")
    own = Scope(scope.partition, scope.region, scope.account, cluster_name or None)
    return TaskIdentity(task_id, own.knowing(context))


@dataclass(frozen=True)
class EventMatch:
    """Whose event it is: one of the caller's tasks (``ref``), a task of the caller's id
    elsewhere (``foreign``), or neither (another consumer's task)."""

    ref: str | None = None
    foreign: bool = False


class TaskMatcher:
    """The caller's tasks (by the reference the caller uses: id or ARN), matched to events by
    identity (see the module docstring)."""

    def __init__(
        self, refs: Iterable[str] = (), *, cluster: str | None = None, region: str | None = None
    ) -> None:
        self._by_id: dict[str, tuple[str, TaskIdentity]] = {}
        for ref in refs:
            self.add(ref, cluster=cluster, region=region)

    def add(self, ref: str, *, cluster: str | None = None, region: str | None = None) -> None:
        identity = task_identity(ref, cluster=cluster, region=region)
        self._by_id[identity.task_id] = (ref, identity)

    def learn(self, ref: str, task_arn: str) -> None:
        """``ref`` is the task ``task_arn`` names (DescribeTasks answered it): what the answer
        says of it is known from now on, what it does not say stays as known."""
        task_id = task_identity(ref).task_id
        found = self._by_id.get(task_id)
        if found is None or found[0] != ref:
            return
        described = task_identity(task_arn)
        if described.task_id == task_id:
            scope = described.scope.knowing(found[1].scope)
            self._by_id[task_id] = (ref, TaskIdentity(task_id, scope))

    def match(self, event: TaskIdentity | None, task_id: str) -> EventMatch:
        """Whose event names ``task_id`` with ``event``'s identity (None: the event contradicts
        itself, so it is no task's)."""
        found = self._by_id.get(task_id)
        if found is None:
            return EventMatch()
        ref, identity = found
        if event is None or not identity.agrees(event):
            return EventMatch(foreign=True)
        return EventMatch(ref=ref)
