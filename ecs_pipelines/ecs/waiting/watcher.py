"""Waiting for any number of tasks of one cluster: DescribeTasks in batches, or their events.

botocore's ``tasks_stopped`` waiter polls one task set every 6 s and calls any STOPPED a
success. ``TaskWatcher`` runs the project's one poll loop (``polling.poll_until``) over all
the tasks at once, in one of two ways:

- polling: each round describes every pending task (100 per call);
- events (given a ``TaskEventQueue``): task state changes arrive through SQS and are applied
  by version, with a DescribeTasks sweep at the start and every few minutes and a direct
  describe of a task no event has named for a while (``event_rounds``). An event is a hint:
  it is matched to a task by the task's whole ARN, and a stop it tells is confirmed by
  DescribeTasks (batched) before it decides; events ignored are counted
  (``ignored_events``) and said once at the end of the wait (``on_notice``). If the queue
  fails, the wait goes on by polling and says so once.

Either way each task is decided with ``status.decide`` (essential containers from the task
definition), new CloudWatch lines go to a callback (``log_pump``: one tail per stream, or one
FilterLogEvents per log group for many tasks), and a task that DescribeTasks does not know yet
right after RunTask (eventual consistency) is waited for. Results are keyed by what the caller
passed, task id or ARN.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.common import (
    Deadline,
    EcsSpecError,
    EcsTimeoutError,
    Pace,
    QueueFailed,
    optional_timeout,
    poll_until,
    task_refs,
)
from ecs_pipelines.ecs.events import (
    Ignored,
    TaskEventQueue,
    TaskMatcher,
    TaskVersions,
    ignored_summary,
)
from ecs_pipelines.ecs.logs import BATCH_FROM_TASKS, LogLinesCallback, LogPump, pump_for
from ecs_pipelines.ecs.tasks import (
    EcsTaskClient,
    EcsTaskResult,
    Outcome,
    decide,
    essential_containers,
    lost_result,
    result_from_task,
)
from ecs_pipelines.ecs.waiting.event_rounds import EventRounds, EventSettings

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import TaskDefinitionTypeDef
    from mypy_boto3_logs import CloudWatchLogsClient

__all__ = [
    "EventSettings",
    "LogLinesCallback",
    "ResultCallback",
    "StatusCallback",
    "TaskWatcher",
    "WatchSettings",
    "check_timeout",
]

logger = logging.getLogger(__name__)

StatusCallback = Callable[[str, Mapping[str, Any]], None]  # (task, described task)
ResultCallback = Callable[[EcsTaskResult], None]  # called once per task as soon as it is done
NoticeCallback = Callable[[str], None]  # something the person waiting should know, said once

# Event rounds wait in the long poll, not between rounds.
_NO_PAUSE = Pace(initial_seconds=0.0, maximum_seconds=0.0)


@dataclass(frozen=True)
class WatchSettings:
    """How the loop paces itself and how long it waits."""

    pace: Pace = field(default_factory=Pace)
    # How long a task may be MISSING from DescribeTasks before it counts as lost. Right after
    # RunTask, ECS can answer MISSING for a few seconds (eventual consistency).
    missing_grace_seconds: float = 30.0
    timeout_seconds: float | None = None
    events: EventSettings = field(default_factory=EventSettings)
    # From this many tasks on, logs are read batched (one FilterLogEvents per log group).
    log_batch_from: int = BATCH_FROM_TASKS

    def __post_init__(self) -> None:
        check_timeout(self.timeout_seconds)
        if self.missing_grace_seconds < 0:
            raise EcsSpecError(
                "missing_grace_seconds", f"must be >= 0, got {self.missing_grace_seconds}"
            )


def check_timeout(timeout_seconds: object, field_name: str = "timeout_seconds") -> None:
    """A timeout is None (wait as long as it takes) or a positive number of seconds."""
    optional_timeout(field_name, timeout_seconds)


class _Wait:
    """The state of one ``wait``: what is pending, what is known, what is done."""

    def __init__(self, refs: list[str], matcher: TaskMatcher) -> None:
        self.refs = refs
        self.matcher = matcher  # which events are of these tasks
        # Insertion-ordered, for O(1) removal: a wait may hold 10,000 tasks.
        self.pending: dict[str, None] = dict.fromkeys(refs)
        # Pending tasks whose state changed since the last round decided them.
        self.changed: set[str] = set(refs)
        self.states: dict[str, Mapping[str, Any]] = {}
        self.first_missing: dict[str, float] = {}
        self.lost: dict[str, str] = {}
        self.results: dict[str, EcsTaskResult] = {}
        self.versions = TaskVersions()
        self.definition_arns: dict[str, str] = {}  # each task's, as DescribeTasks gave it


class TaskWatcher:
    """Waits for many tasks of one cluster with one loop; hands new log lines to a callback."""

    def __init__(
        self,
        client: EcsTaskClient,
        cluster: str,
        *,
        settings: WatchSettings | None = None,
        logs_client: CloudWatchLogsClient | None = None,
        on_log_lines: LogLinesCallback | None = None,
        on_status: StatusCallback | None = None,
        on_result: ResultCallback | None = None,
        events: TaskEventQueue | None = None,
        on_notice: NoticeCallback | None = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.settings = settings or WatchSettings()
        self.logs_client = logs_client if on_log_lines else None
        self.on_log_lines = on_log_lines
        self.on_status = on_status
        self.on_result = on_result
        self.events = events
        self.on_notice = on_notice or logger.warning
        self.sleep = sleep
        self.clock = clock
        self.rounds = 0
        self.event_rounds: EventRounds | None = None
        self.fell_back: str | None = None  # why the wait stopped using events, if it did
        self.logs: LogPump = pump_for(0, None, None)
        self._last_status: dict[str, str] = {}

    def wait(self, tasks: Sequence[str]) -> list[EcsTaskResult]:
        """Results in the order of ``tasks`` (ids or ARNs); EcsTimeoutError past the timeout."""
        refs = list(dict.fromkeys(task_refs(tasks, "task_arns")))
        region = getattr(getattr(self.client.ecs, "meta", None), "region_name", None)
        state = _Wait(refs, TaskMatcher(refs, cluster=self.cluster, region=region))
        self.logs = pump_for(
            len(state.refs),
            self.logs_client,
            self.on_log_lines,
            batch_from=self.settings.log_batch_from,
        )
        deadline = Deadline.after(self.settings.timeout_seconds, self.clock)

        def timed_out() -> EcsTimeoutError:
            return EcsTimeoutError(
                f"{len(state.pending)} ECS task(s) still not STOPPED after "
                f"{self.settings.timeout_seconds:g} s",
                pending_task_arns=list(state.pending),
            )

        def loop(learn: Callable[[], None], pace: Pace) -> list[EcsTaskResult]:
            return poll_until(
                lambda: self._round(state, learn),
                deadline=deadline,
                on_timeout=timed_out,
                pace=pace,
                sleep=self.sleep,
                clock=self.clock,
            )

        if self.events is not None and self.fell_back is None:
            rounds = self._event_rounds(state)
            try:
                return loop(lambda: rounds.round(state.pending.keys()), _NO_PAUSE)
            except QueueFailed as failed:
                self.fell_back = str(failed)
                self.on_notice(
                    f"Task state events unavailable ({failed}): waiting for "
                    f"{len(state.pending)} ECS task(s) by polling DescribeTasks instead"
                )
            finally:
                summary = ignored_summary(rounds.ignored)
                if summary:
                    self.on_notice(summary)

        def poll() -> None:
            self._describe(state, list(state.pending))

        return loop(poll, self.settings.pace)

    @property
    def ignored_events(self) -> Counter[Ignored]:
        """Task state events the last wait ignored, by why (none when it polled)."""
        return self.event_rounds.ignored if self.event_rounds else Counter()

    def _event_rounds(self, state: _Wait) -> EventRounds:
        assert self.events is not None
        tailing = self.logs_client is not None
        self.event_rounds = EventRounds(
            self.events,
            self.settings.events,
            refs=state.refs,
            matcher=state.matcher,
            describe=lambda refs: self._describe(state, refs),
            observe=lambda ref, task: self._observe(state, ref, task),
            clock=self.clock,
            sleep=self.sleep,
            # Lines keep flowing while waiting: the long poll ends at each poll interval.
            max_wait_seconds=self.settings.pace.maximum_seconds if tailing else None,
        )
        return self.event_rounds

    def _round(self, state: _Wait, learn: Callable[[], None]) -> list[EcsTaskResult] | None:
        """One round: learn new states (``learn``), read logs, hand out what finished."""
        self.rounds += 1
        learn()
        self.logs.read(state.pending.keys())
        changed = [ref for ref in state.pending if ref in state.changed]
        state.changed.clear()
        for ref in changed:
            result = self._result(state, ref)
            if result is None:
                continue
            state.results[ref] = result
            del state.pending[ref]
            if self.on_result:
                self.on_result(result)
        return None if state.pending else [state.results[ref] for ref in state.refs]

    def _describe(self, state: _Wait, refs: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        """DescribeTasks (batches of 100) for ``refs``; MISSING past the grace is lost. The
        tasks described, by ref."""
        if not refs:
            return {}
        described = self.client.describe(self.cluster, list(refs))
        now = self.clock()
        for ref, task in described.tasks.items():
            state.first_missing.pop(ref, None)
            state.matcher.learn(ref, str(task.get("taskArn") or ""))
            self._observe(state, ref, task, described=True)
        for ref, reason in described.missing.items():
            since = state.first_missing.setdefault(ref, now)
            if now - since >= self.settings.missing_grace_seconds:
                state.lost[ref] = reason
                state.changed.add(ref)
        return described.tasks

    def _observe(
        self, state: _Wait, ref: str, task: Mapping[str, Any], *, described: bool = False
    ) -> None:
        """A new state of a pending task (``described``, or from an event), if it is news."""
        if ref not in state.pending or not state.versions.apply(ref, task, described=described):
            return
        state.states[ref] = task
        state.changed.add(ref)
        state.lost.pop(ref, None)
        status = str(task.get("lastStatus") or "UNKNOWN")
        if self.on_status and self._last_status.get(ref) != status:
            self._last_status[ref] = status
            self.on_status(ref, task)
        if described and task.get("taskDefinitionArn"):
            state.definition_arns[ref] = str(task["taskDefinitionArn"])
        definition = self._definition(state, ref)
        if definition is not None:
            self.logs.observe(ref, task, definition)

    def _result(self, state: _Wait, ref: str) -> EcsTaskResult | None:
        if ref in state.lost:
            return lost_result(ref, state.lost[ref])
        task = state.states.get(ref)
        if task is None:
            return None
        verdict = decide(task, essential_containers(self._definition(state, ref)))
        if verdict.outcome is Outcome.RUNNING:
            return None
        complete = self.logs.complete(ref, started=task.get("startedAt") is not None)
        return result_from_task(task, verdict, logs_complete=complete)

    def drain_logs(self, *, max_polls: int = 10) -> bool:
        """Reads every tail until its stream is quiet, so lines that arrive just after a task
        stopped (the awslogs driver ships them late) are not lost; False if some were."""
        return self.logs.drain(max_polls)

    def _definition(self, state: _Wait, ref: str) -> TaskDefinitionTypeDef | None:
        """The task's definition, as its description names it: a task's definition never
        changes, and an event's own names whatever its sender wrote."""
        arn = state.definition_arns.get(ref)
        return self.client.task_definition(arn) if arn else None
