"""Runs the ECS tasks of one Dagster step (op or asset) and reports them in the run.

Shared by ops and assets: the launch is idempotent per step attempt (clientToken from run id,
step key, retry number and task index), tasks carry tags naming the run, step, asset and
partition, CloudWatch lines stream into the run log, links appear as soon as the task exists,
and whatever ends the step early (termination, a failed sibling, a timeout) stops its tasks.
A detached step launches and reports the same way, then returns without waiting: a completion
sensor reports the tasks' end (``sensors.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetExecutionContext, Failure, OpExecutionContext
from dagster._core.events import EngineEventData

from ecs_pipelines.ecs.errors import EcsTimeoutError
from ecs_pipelines.ecs.logs import LogStreamRef, last_lines, log_stream_refs
from ecs_pipelines.ecs.results import EcsTaskResult
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.secrets import Redactor, resolve_secret_environment
from ecs_pipelines.integration.task_naming import (
    started_by_for_run,
    step_client_token,
    step_environment,
    step_tags,
)

PIPES_MARKER = '"__dagster_pipes_version"'
# Tag on tasks a detached step launched, so that tasks nobody waits on can be found by tag.
DETACHED_TAG = "ecs-pipelines/detached"


@dataclass
class StepTaskRequest:
    """One step's launch, as the op/asset config and factory arguments ask for it."""

    task_definition: str | None = None
    container_name: str | None = None
    command: list[str] | None = None
    environment: dict[str, str] = field(default_factory=dict)
    # Container variable -> name of the run worker's variable holding the secret value.
    secret_environment_from: dict[str, str] = field(default_factory=dict)
    cpu: int | None = None
    memory: int | None = None
    count: int = 1
    enable_execute_command: bool | None = None
    timeout_seconds: float | None = None
    detached: bool = False
    started_by: str | None = None  # None: "dagster/<run id>"


@dataclass
class StepTasks:
    """What a step's tasks came to."""

    results: list[EcsTaskResult]
    metadata: dict[str, Any]


@dataclass
class DetachedLaunch:
    """Tasks a detached step launched and left running, and the metadata that records them."""

    task_arns: list[str]
    metadata: dict[str, Any]


def op_context(context: OpExecutionContext | AssetExecutionContext) -> OpExecutionContext:
    if isinstance(context, AssetExecutionContext):
        return context.op_execution_context
    return context


class StepTaskRunner:
    """Launch, report, wait and clean up the tasks of one step."""

    def __init__(
        self,
        context: OpExecutionContext | AssetExecutionContext,
        ecs: EcsResource,
        request: StepTaskRequest,
        *,
        asset_key: str | None = None,
    ) -> None:
        self.context = op_context(context)
        self.ecs = ecs
        self.request = request
        self.asset_key = asset_key
        step = self.context.get_step_execution_context().step
        self.step_key = step.key
        self.run_id = self.context.run_id
        self.partition_key = self.context.partition_key if self.context.has_partition_key else None
        self._log_refs: dict[str, list[LogStreamRef]] = {}
        self._log_lock = threading.Lock()
        self.secret_environment = {
            **ecs.secret_environment,
            **resolve_secret_environment(request.secret_environment_from),
        }
        self.redact = Redactor(self.secret_environment.values())

    # --- pure parts ---------------------------------------------------------------------

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        start = end = None
        if self.context.has_partition_key:
            try:
                window = self.context.partition_time_window
                start, end = window.start.isoformat(), window.end.isoformat()
            except Exception:  # not a time-window partition: the key alone says it all
                start = end = None
        env = step_environment(
            run_id=self.run_id,
            step_key=self.step_key,
            asset_key=self.asset_key,
            partition_key=self.partition_key,
            partition_start=start,
            partition_end=end,
        )
        return {**env, **self.secret_environment, **self.request.environment, **(extra or {})}

    def container_overrides(self, container: str) -> dict[str, Any] | None:
        sizes = {"cpu": self.request.cpu, "memory": self.request.memory}
        sizes = {k: v for k, v in sizes.items() if v is not None}
        if not sizes:
            return None
        return {"containerOverrides": [{"name": container, **sizes}]}

    # --- I/O --------------------------------------------------------------------------

    def run(self, *, extra_environment: Mapping[str, str] | None = None) -> StepTasks:
        with self.launched(extra_environment=extra_environment) as arns:
            results = self.wait(arns)
        return StepTasks(results=results, metadata=self.result_metadata(results))

    def run_detached(self) -> DetachedLaunch:
        """Launches (or reattaches to) the step's tasks and returns without waiting for them."""
        if self.request.timeout_seconds is not None:
            self.context.log.warning(
                "timeout_seconds is not enforced for a detached launch: nothing waits on the task"
            )
        arns = self.launch()
        self.context.log.info(
            f"Detached: {len(arns)} ECS task(s) left running; a completion sensor reports "
            "their end."
        )
        metadata = md.detached_launch_metadata(
            region=self.ecs.region,
            cluster=self.ecs.cluster,
            task_arns=arns,
            log_refs=self._log_refs,
        )
        return DetachedLaunch(task_arns=arns, metadata=metadata)

    @contextmanager
    def launched(
        self, *, extra_environment: Mapping[str, str] | None = None
    ) -> Iterator[list[str]]:
        """Launches (or reattaches to) the step's tasks; stops any still running if the body
        raises, so a terminated run or a failed step leaves no task behind."""
        arns = self.launch(extra_environment=extra_environment)
        try:
            yield arns
        except BaseException as error:
            self.stop_unfinished(arns, self.stop_reason(error))
            raise

    def launch(self, *, extra_environment: Mapping[str, str] | None = None) -> list[str]:
        request = self.request
        container = request.container_name or self.ecs.container_name
        task_definition = request.task_definition or self.ecs.task_definition
        tags = step_tags(
            run_id=self.run_id,
            step_key=self.step_key,
            job_name=self.context.job_name,
            asset_key=self.asset_key,
            partition_key=self.partition_key,
        )
        if request.detached:
            tags[DETACHED_TAG] = "true"
        spec = self.ecs.build_launch_spec(
            task_definition=task_definition,
            command=request.command,
            environment=self.environment(extra_environment),
            overrides=self.container_overrides(container) if container else None,
            count=request.count,
            started_by=request.started_by or started_by_for_run(self.run_id),
            tags=tags,
            client_token=step_client_token(
                self.run_id, self.step_key, self.context.retry_number, 0
            ),
            enable_execute_command=request.enable_execute_command,
            container_name=container,
        )
        client = self.ecs.task_client()
        arns = client.launch(spec)
        definition = client.task_definition(spec.task_definition)
        for arn in arns:
            self._log_refs[arn] = log_stream_refs(definition, arn)
            self.report_launch(arn, definition, exec_enabled=spec.enable_execute_command)
        return arns

    def report_launch(self, arn: str, definition: Mapping[str, Any], *, exec_enabled: bool) -> None:
        region, cluster = self.ecs.region, self.ecs.cluster
        event_metadata = md.launch_metadata(
            region=region, cluster=cluster, task_arn=arn, log_refs=self._log_refs[arn]
        )
        self.context.instance.report_engine_event(
            f"ECS task {arn} launched (or reattached) for step {self.step_key}",
            self.context.dagster_run,
            EngineEventData(metadata=event_metadata),
            step_key=self.step_key,
        )
        if exec_enabled:
            containers = [c["name"] for c in definition.get("containerDefinitions", [])]
            container = self.request.container_name or self.ecs.container_name or containers[0]
            line = md.exec_command_line(
                region=region, cluster=cluster, task_arn=arn, container=container
            )
            self.context.log.info(f"ECS Exec is enabled; open a shell in the task with:\n{line}")

    def wait(self, arns: Sequence[str]) -> list[EcsTaskResult]:
        try:
            results = self.ecs.wait_for_tasks(
                arns,
                timeout_seconds=self.request.timeout_seconds,
                on_log_lines=self.forward_log_lines,
                on_status=self.report_status,
                on_result=lambda result: self.stop_siblings(result, arns),
            )
        except EcsTimeoutError as error:
            raise Failure(
                description=f"ECS task(s) did not finish within {self.request.timeout_seconds} s "
                f"and were stopped: {', '.join(error.pending_task_arns)}",
            ) from error
        failed = [r for r in results if not r.succeeded]
        if failed:
            tails = {r.task_arn: self.log_tail(r.task_arn) for r in failed}
            raise Failure(
                description=self.redact(md.failure_description(failed, tails)),
                metadata=md.failure_metadata(failed, tails),
            )
        return results

    def forward_log_lines(self, task_arn: str, container: str, lines: list[str]) -> None:
        prefix = f"[{task_arn.rsplit('/', 1)[-1][:8]}/{container}]"
        text = self.redact.lines(line for line in lines if PIPES_MARKER not in line)
        if text:
            with self._log_lock:
                self.context.log.info("\n".join(f"{prefix} {line}" for line in text))

    def report_status(self, task_arn: str, task: Mapping[str, Any]) -> None:
        self.context.log.debug(f"ECS task {task_arn}: {task.get('lastStatus')}")

    def stop_siblings(self, result: EcsTaskResult, arns: Sequence[str]) -> None:
        """A failed task fails the step: stop its siblings now rather than wait for them."""
        if result.succeeded or len(arns) == 1:
            return
        reason = f"Sibling task {result.task_id} failed in Dagster run {self.run_id}"
        self.stop_unfinished([a for a in arns if a != result.task_arn], reason)

    def stop_unfinished(self, arns: Sequence[str], reason: str) -> None:
        described = self.ecs.task_client().describe(self.ecs.cluster, arns)
        for arn, task in described.tasks.items():
            if task.get("lastStatus") != "STOPPED" and task.get("desiredStatus") != "STOPPED":
                self.ecs.stop_task(arn, reason=reason)
                self.context.log.warning(f"Stopped ECS task {arn}: {reason}")

    def stop_reason(self, error: BaseException) -> str:
        kind = type(error).__name__
        if kind in ("DagsterExecutionInterruptedError", "KeyboardInterrupt"):
            return f"Dagster run {self.run_id} was terminated (step {self.step_key})"
        return f"Dagster run {self.run_id} step {self.step_key} ended early: {kind}"

    def log_tail(self, task_arn: str) -> list[str]:
        lines: list[str] = []
        for ref in self._log_refs.get(task_arn, []):
            lines.extend(last_lines(self.ecs.logs_client(), ref, md.LOG_TAIL_LINES))
        kept = [line for line in lines if PIPES_MARKER not in line][-md.LOG_TAIL_LINES :]
        return self.redact.lines(kept)

    def result_metadata(self, results: Sequence[EcsTaskResult]) -> dict[str, Any]:
        return md.result_metadata(
            results, region=self.ecs.region, cluster=self.ecs.cluster, log_refs=self._log_refs
        )

    def pipes_log_ref(self, arn: str) -> LogStreamRef | None:
        """The stream of the container that speaks Dagster Pipes (the overridden one)."""
        refs = self._log_refs.get(arn, [])
        container = self.request.container_name or self.ecs.container_name
        return next((r for r in refs if r.container == container), refs[0] if refs else None)
