"""One poll loop for any number of tasks: DescribeTasks in batches, never a waiter per task.

botocore's ``tasks_stopped`` waiter polls one task set every 6 s and calls any STOPPED a
success. This loop starts polling fast (most short tasks end within seconds) and backs off to
the configured interval, decides each task's outcome with ``status.decide`` (essential
containers from the task definition), tails its CloudWatch logs when asked, and waits out the
eventual consistency of a task that DescribeTasks does not know yet right after RunTask.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.client import EcsTaskClient
from ecs_pipelines.ecs.errors import EcsTimeoutError
from ecs_pipelines.ecs.logs import LogStreamRef, LogTail, log_stream_refs
from ecs_pipelines.ecs.results import MISSING_STATUS, EcsTaskResult
from ecs_pipelines.ecs.status import Outcome, TaskVerdict, decide, essential_containers

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

LogLinesCallback = Callable[[str, str, list[str]], None]  # (task ARN, container, new lines)
StatusCallback = Callable[[str, Mapping[str, Any]], None]  # (task ARN, described task)
ResultCallback = Callable[[EcsTaskResult], None]  # called once per task as soon as it is done


@dataclass(frozen=True)
class WatchSettings:
    """How the loop paces itself."""

    poll_interval_seconds: float = 1.0
    initial_interval_seconds: float = 0.2
    growth: float = 1.5
    # How long a task may be MISSING from DescribeTasks before it counts as lost. Right after
    # RunTask, ECS can answer MISSING for a few seconds (eventual consistency).
    missing_grace_seconds: float = 30.0
    timeout_seconds: float | None = None


def poll_intervals(initial: float, maximum: float, growth: float) -> Iterator[float]:
    """Pauses between rounds: fast first, then geometric growth capped at ``maximum``."""
    interval = min(initial, maximum)
    while True:
        yield interval
        interval = min(maximum, interval * growth)


def result_from_task(
    task: Mapping[str, Any], verdict: TaskVerdict, *, logs_complete: bool = True
) -> EcsTaskResult:
    return EcsTaskResult(
        task_arn=task["taskArn"],
        last_status=verdict.last_status,
        stop_code=verdict.stop_code,
        stopped_reason=verdict.stopped_reason,
        exit_codes=dict(verdict.exit_codes),
        succeeded=verdict.outcome is Outcome.SUCCEEDED,
        started_at=task.get("startedAt"),
        stopped_at=task.get("stoppedAt"),
        reason=verdict.reason,
        task_definition_arn=task.get("taskDefinitionArn"),
        cluster_arn=task.get("clusterArn"),
        log_lines_complete=logs_complete,
        task=dict(task),
    )


def lost_result(task_arn: str, reason: str) -> EcsTaskResult:
    return EcsTaskResult(
        task_arn=task_arn,
        last_status=MISSING_STATUS,
        stop_code=None,
        stopped_reason=None,
        exit_codes={},
        succeeded=False,
        reason=f"ECS does not know this task ({reason}): its outcome cannot be told",
    )


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
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.settings = settings or WatchSettings()
        self.logs_client = logs_client if on_log_lines else None
        self.on_log_lines = on_log_lines
        self.on_status = on_status
        self.on_result = on_result
        self.sleep = sleep
        self.clock = clock
        self.rounds = 0
        self._tails: dict[str, list[LogTail]] = {}
        self._last_status: dict[str, str] = {}

    def wait(self, task_arns: Sequence[str]) -> list[EcsTaskResult]:
        """Results in the order of ``task_arns``; raises EcsTimeoutError past the timeout."""
        started = self.clock()
        deadline = (
            None
            if self.settings.timeout_seconds is None
            else started + self.settings.timeout_seconds
        )
        pending = list(dict.fromkeys(task_arns))
        first_missing: dict[str, float] = {}
        results: dict[str, EcsTaskResult] = {}
        pauses = poll_intervals(
            self.settings.initial_interval_seconds,
            self.settings.poll_interval_seconds,
            self.settings.growth,
        )
        while pending:
            self.rounds += 1
            round_started = self.clock()
            described = self.client.describe(self.cluster, pending)
            now = self.clock()
            for arn, task in described.tasks.items():
                first_missing.pop(arn, None)
                result = self._observe(task)
                if result is not None:
                    results[arn] = result
            for arn, reason in described.missing.items():
                since = first_missing.setdefault(arn, now)
                if now - since >= self.settings.missing_grace_seconds:
                    results[arn] = lost_result(arn, reason)
            finished = [arn for arn in pending if arn in results]
            pending = [arn for arn in pending if arn not in results]
            if self.on_result:
                for arn in finished:
                    self.on_result(results[arn])
            if not pending:
                break
            if deadline is not None and now >= deadline:
                raise EcsTimeoutError(
                    f"{len(pending)} ECS task(s) still not STOPPED after "
                    f"{self.settings.timeout_seconds} s",
                    pending_task_arns=pending,
                )
            # The interval runs from the start of the round: a slow round (thousands of
            # tasks, a throttled call) must not add its own length to the detection delay.
            pause = max(0.0, next(pauses) - (self.clock() - round_started))
            if deadline is not None:
                pause = max(0.0, min(pause, deadline - now))
            self.sleep(pause)
        return [results[arn] for arn in dict.fromkeys(task_arns)]

    def _observe(self, task: Mapping[str, Any]) -> EcsTaskResult | None:
        arn: str = task["taskArn"]
        definition = self._definition(task)
        verdict = decide(task, essential_containers(definition))
        if self.on_status and self._last_status.get(arn) != verdict.last_status:
            self._last_status[arn] = verdict.last_status
            self.on_status(arn, task)
        complete = self._pump_logs(arn, definition)
        if verdict.outcome is Outcome.RUNNING:
            return None
        tails = self._tails.get(arn, [])
        started = task.get("startedAt") is not None
        complete = complete and not (started and any(not t.stream_found for t in tails))
        return result_from_task(task, verdict, logs_complete=complete)

    def _definition(self, task: Mapping[str, Any]) -> dict[str, Any] | None:
        arn = task.get("taskDefinitionArn")
        return self.client.task_definition(arn) if arn else None

    def _pump_logs(self, task_arn: str, definition: Mapping[str, Any] | None) -> bool:
        """Hands new lines of every container to the callback; False if any tail lost lines."""
        if self.on_log_lines is None or self.logs_client is None or definition is None:
            return True
        tails = self._tails.get(task_arn)
        if tails is None:
            refs: list[LogStreamRef] = log_stream_refs(definition, task_arn)
            # Few attempts per poll: the tail keeps its token and the next round resumes.
            tails = [LogTail(self.logs_client, ref, max_attempts=2) for ref in refs]
            self._tails[task_arn] = tails
        for tail in tails:
            lines = tail.poll()
            if lines:
                self.on_log_lines(task_arn, tail.ref.container, lines)
        return all(tail.complete for tail in tails)
