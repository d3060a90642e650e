"""Tracking ECS tasks across sensor ticks: the time-boxed describe of a tick.

A sensor keeps its whole state in its cursor (``cursor``: the tasks it still tracks, grouped
by launch, where it has read up to, and which listed tasks it has already handled), so that a
restarted daemon resumes exactly where the last committed tick ended: nothing is lost and
nothing is reported twice. ``tick`` describes the tasks a ``review.Review`` names in batches
of 100; it stops before the batch that would overrun its time budget and puts the groups it
did not reach first in line for the next tick, so no task starves. The verdicts are the
review's (pure); this module is the I/O: an injected EcsTaskClient, and time from an injected
clock (a benchmark drives both).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.tasks import DESCRIBE_BATCH, EcsTaskClient
from ecs_pipelines.ecs.tracking.cursor import TaskGroup, TrackingState, task_digest
from ecs_pipelines.ecs.tracking.review import (
    Described,
    GroupCompletion,
    Review,
    TaskFilter,
    TickResult,
    described_task,
)

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskDefinitionTypeDef, TaskTypeDef

__all__ = [
    "DEFAULT_BUDGET_SECONDS",
    "GroupCompletion",
    "TaskGroup",
    "TickResult",
    "TrackingState",
    "task_digest",
    "tick",
]

# Dagster fails a sensor evaluation after 60 s; 40 s leaves room for the reads and the
# bookkeeping around the tick and for one slow DescribeTasks call past the estimate.
DEFAULT_BUDGET_SECONDS = 40.0

# Task definition ARN -> the definition, as a client or a sensor's cache hands it (a plain
# mapping of DescribeTaskDefinition's shape; ``_definition`` gives it its wire type).
TaskDefinitionLookup: TypeAlias = Callable[[str], Mapping[str, Any] | None]


def _definition(definition: Mapping[str, Any] | None) -> TaskDefinitionTypeDef | None:
    return None if definition is None else cast("TaskDefinitionTypeDef", definition)


def _safe_lookup(lookup: TaskDefinitionLookup) -> TaskDefinitionLookup:
    """A task definition that cannot be read (deleted) leaves every container essential."""

    def read(arn: str) -> Mapping[str, Any] | None:
        try:
            return lookup(arn)
        except ClientError:
            return None

    return read


def _batches(tasks: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Consecutive (cluster, task) pairs of one cluster, 100 at a time: ceil(n/100) calls for
    n tasks. A task named twice (shared by two groups) is described once."""
    batches: list[tuple[str, list[str]]] = []
    queued: set[tuple[str, str]] = set()
    for cluster, arn in tasks:
        if (cluster, arn) in queued:
            continue
        queued.add((cluster, arn))
        last = batches[-1] if batches else None
        if last is None or last[0] != cluster or len(last[1]) >= DESCRIBE_BATCH:
            batches.append((cluster, []))
        batches[-1][1].append(arn)
    return batches


def describe_within(
    client: EcsTaskClient,
    tasks: Iterable[tuple[str, str]],
    *,
    budget_seconds: float,
    clock: Callable[[], float],
) -> Described:
    """DescribeTasks of (cluster, task ARN) pairs in batches of 100. Before each batch it stops
    if the time spent plus the slowest batch so far would pass the budget (the first batch
    always runs, so every tick makes progress)."""
    start = clock()
    found: dict[str, TaskTypeDef] = {}
    missing: dict[str, str] = {}
    calls, slowest, stopped_early = 0, 0.0, False
    for cluster, batch in _batches(tasks):
        now = clock()
        if calls and (now - start) + slowest > budget_seconds:
            stopped_early = True
            break
        answer = client.describe(cluster, batch)
        calls += 1
        slowest = max(slowest, clock() - now)
        found.update((arn, described_task(task)) for arn, task in answer.tasks.items())
        missing.update(answer.missing)
    return Described(found, missing, calls, stopped_early, clock() - start)


def run_review(
    client: EcsTaskClient,
    review: Review,
    *,
    budget_seconds: float,
    clock: Callable[[], float] = time.monotonic,
    task_definition: TaskDefinitionLookup | None = None,
) -> TickResult:
    """Describes what ``review`` needs (``describe_within``), reads the task definitions it
    names (``task_definition``, by default the client's cached DescribeTaskDefinition), and
    returns its verdicts."""
    start = clock()
    lookup = _safe_lookup(task_definition or client.task_definition)
    described = describe_within(
        client, review.to_describe(), budget_seconds=budget_seconds, clock=clock
    )
    definitions = {arn: _definition(lookup(arn)) for arn in review.definitions_to_read(described)}
    described = dataclasses.replace(described, elapsed_seconds=clock() - start)
    return review.conclude(described, definitions)


def tick(
    client: EcsTaskClient,
    groups: Sequence[TaskGroup],
    *,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    task_definition: TaskDefinitionLookup | None = None,
    accept: TaskFilter | None = None,
    grace: Collection[str] = frozenset(),
    known: Mapping[str, TaskTypeDef] | None = None,
    describe: Collection[TaskGroup] | None = None,
    done: Collection[bytes] = frozenset(),
    adopted: Collection[str] = frozenset(),
) -> TickResult:
    """Describes ``groups`` (DescribeTasks in batches of 100) and decides what finished
    (``review``'s rules).

    - ``budget_seconds``: ``describe_within``'s; groups it did not reach come first in
      ``pending``.
    - ``task_definition``: ARN -> task definition (essential containers); defaults to the
      client's cached DescribeTaskDefinition.
    - ``accept``: a described task it returns False for is dropped (``ignored``), not reported.
    - ``grace``: task ARNs just added; ECS may not know them yet (eventual consistency right
      after RunTask), so MISSING keeps them pending this once instead of reporting them lost.
    - ``known``: task ARN -> newest state from task state events (matched by the task's whole
      ARN). An event decides nothing: a task it says stopped is described, batched with the
      rest, and decided from its description; a stop the description does not show is
      counted (``unconfirmed``) and the task goes on as running. Other states count as running.
    - ``describe``: the groups to describe (default: all); the others are decided from the
      descriptions ``known``'s stops call for, a task without one counting as still running.
    - ``done``: digests of tasks an earlier tick found ended; a group holding one is only
      completed once that task's state is at hand again (it is described with a stop of the
      group's).
    - ``adopted``: task ARNs known only from their events (a sensor that finds tasks by their
      events): each is described, and one DescribeTasks does not know in the group's cluster
      under that ARN is no task of the cluster's: its group is ``dropped`` (neither tracked
      nor reported) and counted as ``unconfirmed``.
    """
    review = Review.of(
        groups,
        whole=describe,
        known=known,
        done=done,
        adopted=adopted,
        grace=grace,
        accept=accept,
    )
    return run_review(
        client, review, budget_seconds=budget_seconds, clock=clock, task_definition=task_definition
    )
