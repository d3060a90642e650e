"""Tracking ECS tasks across sensor ticks: a compact, versioned cursor and a time-boxed tick.

A sensor keeps its whole state in its cursor (the tasks it still tracks, grouped by launch,
where it has read up to, and which listed tasks it has already handled), so that a restarted
daemon resumes exactly where the last committed tick ended: nothing is lost and nothing is
reported twice. ``tick`` describes tracked tasks in batches of 100 and decides each with
``status.decide``; it stops before the batch that would overrun its time budget and puts the
tasks it did not reach first in line for the next tick, so no task starves.

No Dagster here: the cursor codec is in ``tracking_cursor``, the I/O is an injected
EcsTaskClient, and time is an injected clock (a benchmark drives both).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.common import task_secret_values
from ecs_pipelines.ecs.events import stop_hint, task_identity
from ecs_pipelines.ecs.tasks import (
    DESCRIBE_BATCH,
    EcsTaskClient,
    EcsTaskResult,
    Outcome,
    decide,
    essential_containers,
    lost_result,
    result_from_task,
)
from ecs_pipelines.ecs.tracking.cursor import CursorError, TaskGroup, TrackingState, task_digest

__all__ = [
    "DEFAULT_BUDGET_SECONDS",
    "CursorError",
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

TaskDefinitionLookup = Callable[[str], Mapping[str, Any] | None]
TaskFilter = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class GroupCompletion:
    """A group that is done: every task finished, or one failed (the rest are ``unfinished``)."""

    group: TaskGroup
    results: tuple[EcsTaskResult, ...]
    unfinished: tuple[str, ...] = ()
    # Values of the tasks' secret variables (named by their launch, read from their RunTask
    # overrides), for masking what is reported; held in memory only, never shown.
    secret_values: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def succeeded(self) -> bool:
        return not self.unfinished and all(r.succeeded for r in self.results)

    @property
    def failed(self) -> tuple[EcsTaskResult, ...]:
        return tuple(r for r in self.results if not r.succeeded)


@dataclass(frozen=True)
class TickResult:
    """What one tick found, and the groups to track next time, in visiting order."""

    completions: tuple[GroupCompletion, ...]
    pending: tuple[TaskGroup, ...]
    ignored: tuple[TaskGroup, ...]  # described, but ``accept`` turned them down
    describe_calls: int
    visited_groups: int
    stopped_early: bool
    elapsed_seconds: float
    # Groups to describe that the budget did not reach (the head of ``pending``).
    unvisited: tuple[TaskGroup, ...] = ()
    # Digests of ended tasks whose group is still open (task state events: their state is
    # not in the cursor, so the group is described again when it can complete).
    done: frozenset[bytes] = frozenset()
    # Task state events DescribeTasks did not bear out (task ARNs): a stop it does not show,
    # or a task known only by events that it does not know in the cluster.
    unconfirmed: tuple[str, ...] = ()
    # Groups of such unknown tasks: neither tracked nor reported.
    dropped: tuple[TaskGroup, ...] = ()


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


def _needed(
    groups: Sequence[TaskGroup],
    wanted: Collection[TaskGroup] | None,
    hinted: Collection[str],
    done: Collection[bytes],
) -> dict[TaskGroup, tuple[str, ...]]:
    """The tasks each group needs described: all of them for a group to describe; for any
    other, the tasks events hinted at (``hinted``: a stop, or a task known only by events)
    and, with them, those an earlier tick found ended (their state is needed to complete it)."""
    needed: dict[TaskGroup, tuple[str, ...]] = {}
    for group in groups:
        if wanted is None or group in wanted:
            needed[group] = group.task_arns
        elif any(arn in hinted for arn in group.task_arns):
            needed[group] = tuple(
                a for a in group.task_arns if a in hinted or task_digest(a) in done
            )
    return needed


def tick(
    client: EcsTaskClient,
    groups: Sequence[TaskGroup],
    *,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    task_definition: TaskDefinitionLookup | None = None,
    accept: TaskFilter | None = None,
    grace: Collection[str] = frozenset(),
    known: Mapping[str, Mapping[str, Any]] | None = None,
    describe: Collection[TaskGroup] | None = None,
    done: Collection[bytes] = frozenset(),
    adopted: Collection[str] = frozenset(),
) -> TickResult:
    """Describes ``groups`` (DescribeTasks in batches of 100) and decides what finished.

    - ``budget_seconds``: before each batch, the tick stops if the time spent plus the slowest
      batch so far would pass the budget (the first batch always runs, so every tick makes
      progress). Groups it did not reach come first in ``pending``.
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
    lookup = _safe_lookup(task_definition or client.task_definition)
    known = known or {}
    wanted = None if describe is None else set(describe)
    stops = {arn for arn, state in known.items() if stop_hint(state)}
    needed = _needed(groups, wanted, stops | set(adopted), done)
    start = clock()
    described: dict[str, Mapping[str, Any]] = {}
    missing: dict[str, str] = {}
    calls, slowest, stopped_early = 0, 0.0, False
    tasks = ((g.cluster, arn) for g, arns in needed.items() for arn in arns)
    for cluster, batch in _batches(tasks):
        now = clock()
        if calls and (now - start) + slowest > budget_seconds:
            stopped_early = True
            break
        answer = client.describe(cluster, batch)
        calls += 1
        slowest = max(slowest, clock() - now)
        described.update(answer.tasks)
        missing.update(answer.missing)

    completions: list[GroupCompletion] = []
    unvisited: list[TaskGroup] = []
    still_running: list[TaskGroup] = []
    ignored: list[TaskGroup] = []
    dropped: list[TaskGroup] = []
    ended: set[bytes] = set()
    facts = _Facts(described, missing, frozenset(done), lookup, accept, grace, frozenset(adopted))
    for group in groups:
        if not all(arn in described or arn in missing for arn in needed.get(group, ())):
            unvisited.append(group)
            continue
        outcome = _decide_group(group, facts, ended)
        if outcome is None:
            still_running.append(group)
        elif outcome == "ignored":
            ignored.append(group)
        elif outcome == "dropped":
            dropped.append(group)
        else:
            completions.append(outcome)
    unconfirmed = [
        arn
        for arn in stops
        if arn in missing or (arn in described and not stop_hint(described[arn]))
    ]
    unconfirmed += [a for g in dropped for a in g.task_arns if a in facts.adopted]
    open_tasks = {task_digest(arn) for g in unvisited + still_running for arn in g.task_arns}
    return TickResult(
        completions=tuple(completions),
        # Round robin: what this tick did not reach is visited first next time.
        pending=tuple(unvisited + still_running),
        ignored=tuple(ignored),
        describe_calls=calls,
        visited_groups=len(groups) - len(unvisited),
        stopped_early=stopped_early,
        elapsed_seconds=clock() - start,
        unvisited=tuple(unvisited),
        done=frozenset((ended | set(done)) & open_tasks),
        unconfirmed=tuple(dict.fromkeys(unconfirmed)),
        dropped=tuple(dropped),
    )


@dataclass(frozen=True)
class _Facts:
    """What a tick knows about its tasks: descriptions and MISSING answers (events decide
    nothing), and how to judge them."""

    described: Mapping[str, Mapping[str, Any]]
    missing: Mapping[str, str]
    done: frozenset[bytes]
    lookup: TaskDefinitionLookup
    accept: TaskFilter | None
    grace: Collection[str]
    adopted: frozenset[str]


def _not_the_clusters(arn: str, facts: _Facts) -> bool:
    """A task known only by its events that DescribeTasks does not show under its ARN."""
    if arn not in facts.adopted:
        return False
    seen = facts.described.get(arn)
    if seen is None:
        return True
    return not task_identity(arn).agrees(task_identity(str(seen.get("taskArn") or "")))


def _decide_group(
    group: TaskGroup, facts: _Facts, ended: set[bytes]
) -> GroupCompletion | Literal["ignored", "dropped"] | None:
    """A completion, "ignored", "dropped", or None while the group is still going. Adds the
    digests of the group's ended tasks to ``ended``."""
    results: list[EcsTaskResult] = []
    running: list[str] = []
    secrets: list[str] = []
    for arn in group.task_arns:
        if _not_the_clusters(arn, facts):
            return "dropped"
        task = facts.described.get(arn)
        if task is None:
            if arn in facts.missing and arn not in facts.grace:
                results.append(lost_result(arn, facts.missing[arn]))
            elif task_digest(arn) in facts.done:
                return None  # it ended, but its state is not at hand: decided when it is
            else:
                running.append(arn)
            continue
        if facts.accept is not None and not facts.accept(task):
            return "ignored"
        secrets.extend(task_secret_values(task))
        definition_arn = task.get("taskDefinitionArn")
        definition = facts.lookup(definition_arn) if definition_arn else None
        verdict = decide(task, essential_containers(definition))
        if verdict.outcome is Outcome.RUNNING:
            running.append(arn)
        else:
            ended.add(task_digest(arn))
            results.append(result_from_task(task, verdict))
    if not running:
        return GroupCompletion(group, tuple(results), secret_values=tuple(secrets))
    if any(not r.succeeded for r in results):
        # One failed task fails the launch (as in a blocking step): report it now.
        return GroupCompletion(
            group, tuple(results), unfinished=tuple(running), secret_values=tuple(secrets)
        )
    return None
