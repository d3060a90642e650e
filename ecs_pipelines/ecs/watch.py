"""Waiting for any number of tasks of one cluster: DescribeTasks in batches, never a waiter each.

botocore's ``tasks_stopped`` waiter polls one task set every 6 s and calls any STOPPED a
success. ``TaskWatcher`` runs the project's one poll loop (``polling.poll_until``): each round
describes every pending task (100 per call), decides each with ``status.decide`` (essential
containers from the task definition), hands new CloudWatch lines to a callback, and waits out
the eventual consistency of a task that DescribeTasks does not know yet right after RunTask.
Results are keyed by what the caller passed, task id or ARN.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.arns import task_refs
from ecs_pipelines.ecs.client import EcsTaskClient
from ecs_pipelines.ecs.deadline import Deadline
from ecs_pipelines.ecs.errors import EcsSpecError, EcsTimeoutError
from ecs_pipelines.ecs.log_streams import LogStreamRef, log_stream_refs
from ecs_pipelines.ecs.logs import LogTail
from ecs_pipelines.ecs.polling import Pace, poll_until
from ecs_pipelines.ecs.results import EcsTaskResult, lost_result, result_from_task
from ecs_pipelines.ecs.status import Outcome, decide, essential_containers

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

LogLinesCallback = Callable[[str, str, list[str]], None]  # (task, container, new lines)
StatusCallback = Callable[[str, Mapping[str, Any]], None]  # (task, described task)
ResultCallback = Callable[[EcsTaskResult], None]  # called once per task as soon as it is done


@dataclass(frozen=True)
class WatchSettings:
    """How the loop paces itself and how long it waits."""

    pace: Pace = field(default_factory=Pace)
    # How long a task may be MISSING from DescribeTasks before it counts as lost. Right after
    # RunTask, ECS can answer MISSING for a few seconds (eventual consistency).
    missing_grace_seconds: float = 30.0
    timeout_seconds: float | None = None

    def __post_init__(self) -> None:
        check_timeout(self.timeout_seconds)
        if self.missing_grace_seconds < 0:
            raise EcsSpecError(
                "missing_grace_seconds", f"must be >= 0, got {self.missing_grace_seconds}"
            )


def check_timeout(timeout_seconds: object, field_name: str = "timeout_seconds") -> None:
    """A timeout is None (wait as long as it takes) or a positive number of seconds."""
    if timeout_seconds is None:
        return
    if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, int | float):
        raise EcsSpecError(
            field_name, f"must be a number of seconds, got {type(timeout_seconds).__name__}"
        )
    if not timeout_seconds > 0:
        raise EcsSpecError(
            field_name, f"must be > 0 seconds (or None to wait), got {timeout_seconds}"
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
        self.sleep = sleep
        self.clock = clock
        self.rounds = 0
        self._tails: dict[str, list[LogTail]] = {}
        self._last_status: dict[str, str] = {}

    def wait(self, tasks: Sequence[str]) -> list[EcsTaskResult]:
        """Results in the order of ``tasks`` (ids or ARNs); EcsTimeoutError past the timeout."""
        refs = list(dict.fromkeys(task_refs(tasks, "task_arns")))
        pending = list(refs)
        first_missing: dict[str, float] = {}
        results: dict[str, EcsTaskResult] = {}

        def one_round() -> list[EcsTaskResult] | None:
            self.rounds += 1
            described = self.client.describe(self.cluster, pending)
            now = self.clock()
            for ref, task in described.tasks.items():
                first_missing.pop(ref, None)
                result = self._observe(ref, task)
                if result is not None:
                    results[ref] = result
            for ref, reason in described.missing.items():
                since = first_missing.setdefault(ref, now)
                if now - since >= self.settings.missing_grace_seconds:
                    results[ref] = lost_result(ref, reason)
            for ref in [r for r in pending if r in results]:
                pending.remove(ref)
                if self.on_result:
                    self.on_result(results[ref])
            return None if pending else [results[ref] for ref in refs]

        def timed_out() -> EcsTimeoutError:
            return EcsTimeoutError(
                f"{len(pending)} ECS task(s) still not STOPPED after "
                f"{self.settings.timeout_seconds:g} s",
                pending_task_arns=list(pending),
            )

        return poll_until(
            one_round,
            deadline=Deadline.after(self.settings.timeout_seconds, self.clock),
            on_timeout=timed_out,
            pace=self.settings.pace,
            sleep=self.sleep,
            clock=self.clock,
        )

    def drain_logs(self, *, max_polls: int = 10) -> bool:
        """Reads every tail until its stream is quiet, so lines that arrive just after a task
        stopped (the awslogs driver ships them late) are not lost; False if some were."""
        for _ in range(max_polls):
            busy = False
            for ref, tails in self._tails.items():
                for tail in tails:
                    lines = tail.poll()
                    if lines and self.on_log_lines:
                        self.on_log_lines(ref, tail.ref.container, lines)
                    busy = busy or bool(lines) or not tail.at_end
            if not busy:
                return all(t.complete for tails in self._tails.values() for t in tails)
        return False

    def _observe(self, ref: str, task: Mapping[str, Any]) -> EcsTaskResult | None:
        definition = self._definition(task)
        verdict = decide(task, essential_containers(definition))
        if self.on_status and self._last_status.get(ref) != verdict.last_status:
            self._last_status[ref] = verdict.last_status
            self.on_status(ref, task)
        complete = self._pump_logs(ref, task["taskArn"], definition)
        if verdict.outcome is Outcome.RUNNING:
            return None
        tails = self._tails.get(ref, [])
        started = task.get("startedAt") is not None
        complete = complete and not (started and any(not t.stream_found for t in tails))
        return result_from_task(task, verdict, logs_complete=complete)

    def _definition(self, task: Mapping[str, Any]) -> dict[str, Any] | None:
        arn = task.get("taskDefinitionArn")
        return self.client.task_definition(arn) if arn else None

    def _pump_logs(self, ref: str, task_arn: str, definition: Mapping[str, Any] | None) -> bool:
        """Hands new lines of every container to the callback; False if any tail lost lines."""
        if self.on_log_lines is None or self.logs_client is None or definition is None:
            return True
        tails = self._tails.get(ref)
        if tails is None:
            refs: list[LogStreamRef] = log_stream_refs(definition, task_arn)
            # Few attempts per poll: the tail keeps its token and the next round resumes.
            tails = [LogTail(self.logs_client, stream, max_attempts=2) for stream in refs]
            self._tails[ref] = tails
        for tail in tails:
            lines = tail.poll()
            if lines:
                self.on_log_lines(ref, tail.ref.container, lines)
        return all(tail.complete for tail in tails)
