"""The verdict on a tick's task groups: which tasks each group needs described, and, from
DescribeTasks' answers, which groups are done, which go on, and which are turned down.

Pure: the answers (``Described``) and the task definitions they name are handed in
(``ticks`` asks ECS for them). ``status.decide`` judges each task; this module judges groups:

- a group is done when every task ended, or when one failed (the others are then
  ``unfinished``: a failed task fails the launch, as in a blocking step);
- a task DescribeTasks does not know (MISSING) is lost, unless it was just launched
  (``grace``: ECS may not show a new task yet);
- a task state event decides nothing: a task it says stopped is described, and its
  description decides; a stop the description does not show is counted (``unconfirmed``);
- a task known only from its events (``adopted``) that DescribeTasks does not know under its
  ARN is no task of the cluster's: its group is ``dropped``, neither tracked nor reported;
- a task an earlier tick found ended (``done``) is remembered by digest: its group completes
  only once that task's state is at hand again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

from ecs_pipelines.ecs.common import task_secret_values
from ecs_pipelines.ecs.events import stop_hint, task_identity
from ecs_pipelines.ecs.tasks import (
    EcsTaskResult,
    Outcome,
    decide,
    essential_containers,
    lost_result,
    result_from_task,
)
from ecs_pipelines.ecs.tracking.cursor import TaskGroup, task_digest

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskDefinitionTypeDef, TaskTypeDef

# A described task the caller turns down (the completion sensor's tag filter).
TaskFilter: TypeAlias = "Callable[[TaskTypeDef], bool]"
# Task definition ARN -> the definition (its essential containers); None: unreadable.
Definitions: TypeAlias = "Mapping[str, TaskDefinitionTypeDef | None]"


def described_task(task: Mapping[str, Any]) -> TaskTypeDef:
    """A task as the tasks client and the events package hand it (a plain mapping of
    DescribeTasks' shape), under its wire type."""
    return cast("TaskTypeDef", task)


@dataclass(frozen=True)
class Described:
    """What DescribeTasks answered in one tick, and what asking cost."""

    tasks: Mapping[str, TaskTypeDef] = field(default_factory=dict)  # task ARN -> task
    missing: Mapping[str, str] = field(default_factory=dict)  # task ARN -> failure reason
    calls: int = 0
    stopped_early: bool = False  # the time budget ended the describing
    elapsed_seconds: float = 0.0

    def answered(self, task_arn: str) -> bool:
        return task_arn in self.tasks or task_arn in self.missing


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
    visited_groups: int  # groups with tasks to describe that the tick reached
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


def needed_tasks(
    groups: Sequence[TaskGroup],
    whole: Collection[TaskGroup] | None,
    hinted: Collection[str],
    done: Collection[bytes],
) -> dict[TaskGroup, tuple[str, ...]]:
    """The tasks each group needs described, in visiting order: all of them for a group in
    ``whole`` (None: every group); for any other, the tasks events hinted at (``hinted``: a
    stop, or a task known only by events) and, with them, those an earlier tick found ended
    (their state is needed to complete it). A group absent from the answer needs nothing."""
    needed: dict[TaskGroup, tuple[str, ...]] = {}
    for group in groups:
        if whole is None or group in whole:
            needed[group] = group.task_arns
        elif any(arn in hinted for arn in group.task_arns):
            needed[group] = tuple(
                a for a in group.task_arns if a in hinted or task_digest(a) in done
            )
    return needed


@dataclass(frozen=True)
class Review:
    """A tick's groups in visiting order, the tasks each needs described, and the rules their
    answers are judged by (the module docstring)."""

    groups: tuple[TaskGroup, ...]
    needed: Mapping[TaskGroup, tuple[str, ...]]
    stops: frozenset[str] = frozenset()  # tasks an event says stopped: hints
    adopted: frozenset[str] = frozenset()  # tasks known only from their events
    grace: frozenset[str] = frozenset()  # tasks just launched: MISSING is not lost yet
    done: frozenset[bytes] = frozenset()
    accept: TaskFilter | None = None

    @classmethod
    def of(
        cls,
        groups: Sequence[TaskGroup],
        *,
        whole: Collection[TaskGroup] | None = None,
        known: Mapping[str, TaskTypeDef] | None = None,
        done: Collection[bytes] = frozenset(),
        adopted: Collection[str] = frozenset(),
        grace: Collection[str] = frozenset(),
        accept: TaskFilter | None = None,
    ) -> Review:
        """``whole``: the groups described whole (None: all); ``known``: task ARN -> newest
        state from task state events (a stop among them is a hint to describe the task)."""
        stops = frozenset(arn for arn, state in (known or {}).items() if stop_hint(state))
        adopted = frozenset(adopted)
        wanted = None if whole is None else set(whole)
        needed = needed_tasks(groups, wanted, stops | adopted, done)
        return cls(tuple(groups), needed, stops, adopted, frozenset(grace), frozenset(done), accept)

    def to_describe(self) -> list[tuple[str, str]]:
        """(cluster, task ARN) of every task to describe, in visiting order."""
        return [(g.cluster, arn) for g, arns in self.needed.items() for arn in arns]

    def reached(self, group: TaskGroup, described: Described) -> bool:
        """Whether every task ``group`` needs described was answered."""
        return all(described.answered(arn) for arn in self.needed.get(group, ()))

    def definitions_to_read(self, described: Described) -> list[str]:
        """The task definitions the verdict reads (for their essential containers): those of
        the described tasks, accepted by the filter, of the groups the tick reached."""
        arns: dict[str, None] = {}
        for group in self.groups:
            if not self.reached(group, described):
                continue
            for arn in group.task_arns:
                task = described.tasks.get(arn)
                if task is None or (self.accept is not None and not self.accept(task)):
                    continue
                definition = task.get("taskDefinitionArn")
                if definition:
                    arns[definition] = None
        return list(arns)

    def conclude(self, described: Described, definitions: Definitions) -> TickResult:
        """Each group's verdict from the answers (``definitions``: ``definitions_to_read``'s,
        read; one left out counts as unreadable: every container essential)."""
        completions: list[GroupCompletion] = []
        unvisited: list[TaskGroup] = []
        still_running: list[TaskGroup] = []
        ignored: list[TaskGroup] = []
        dropped: list[TaskGroup] = []
        ended: set[bytes] = set()
        for group in self.groups:
            if not self.reached(group, described):
                unvisited.append(group)
                continue
            outcome = self._judge(group, described, definitions, ended)
            if outcome is None:
                still_running.append(group)
            elif outcome == "ignored":
                ignored.append(group)
            elif outcome == "dropped":
                dropped.append(group)
            else:
                completions.append(outcome)
        tasks, missing = described.tasks, described.missing
        unconfirmed = [
            arn
            for arn in self.stops
            if arn in missing or (arn in tasks and not stop_hint(tasks[arn]))
        ]
        unconfirmed += [a for g in dropped for a in g.task_arns if a in self.adopted]
        open_tasks = {task_digest(arn) for g in unvisited + still_running for arn in g.task_arns}
        return TickResult(
            completions=tuple(completions),
            # Round robin: what this tick did not reach is visited first next time.
            pending=tuple(unvisited + still_running),
            ignored=tuple(ignored),
            describe_calls=described.calls,
            visited_groups=len(self.needed) - len(unvisited),
            stopped_early=described.stopped_early,
            elapsed_seconds=described.elapsed_seconds,
            unvisited=tuple(unvisited),
            done=frozenset((ended | self.done) & open_tasks),
            unconfirmed=tuple(dict.fromkeys(unconfirmed)),
            dropped=tuple(dropped),
        )

    def _not_the_clusters(self, arn: str, described: Described) -> bool:
        """A task known only by its events that DescribeTasks does not show under its ARN."""
        if arn not in self.adopted:
            return False
        seen = described.tasks.get(arn)
        if seen is None:
            return True
        return not task_identity(arn).agrees(task_identity(str(seen.get("taskArn") or "")))

    def _judge(
        self,
        group: TaskGroup,
        described: Described,
        definitions: Definitions,
        ended: set[bytes],
    ) -> GroupCompletion | Literal["ignored", "dropped"] | None:
        """A completion, "ignored", "dropped", or None while the group is still going. Adds
        the digests of the group's ended tasks to ``ended``."""
        results: list[EcsTaskResult] = []
        running: list[str] = []
        secrets: list[str] = []
        for arn in group.task_arns:
            if self._not_the_clusters(arn, described):
                return "dropped"
            task = described.tasks.get(arn)
            if task is None:
                if arn in described.missing and arn not in self.grace:
                    results.append(lost_result(arn, described.missing[arn]))
                elif task_digest(arn) in self.done:
                    return None  # it ended, but its state is not at hand: decided when it is
                else:
                    running.append(arn)
                continue
            if self.accept is not None and not self.accept(task):
                return "ignored"
            secrets.extend(task_secret_values(task))
            definition_arn = task.get("taskDefinitionArn")
            definition = definitions.get(definition_arn) if definition_arn else None
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
