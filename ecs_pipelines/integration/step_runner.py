"""Runs the ECS tasks of one Dagster step (op or asset) and reports them in the run.

Shared by ops and assets: the launch is idempotent per step attempt (clientToken from run id,
step key, retry number and task index), tasks carry tags naming the run, step, asset and
partition, CloudWatch lines stream into the run log, links appear as soon as the task exists,
and whatever ends the step early (termination, a failed sibling, a timeout) stops its tasks
(``ecs.stopping``). A detached step launches and reports the same way, then returns without
waiting: a completion sensor reports the tasks' end. Everything the step writes into the run
passes the step's ``Redaction``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from dagster import AssetExecutionContext, AssetKey, OpExecutionContext
from dagster._core.events import EngineEventData

from ecs_pipelines.ecs.common import (
    Deadline,
    EcsSpecError,
    EcsTimeoutError,
    short_task_id,
    task_id,
)
from ecs_pipelines.ecs.launching import CapacityWait, LaunchSettings, launch
from ecs_pipelines.ecs.logs import LogStreamRef, last_lines, log_stream_refs
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec, with_family
from ecs_pipelines.ecs.tasks import EcsTaskResult, stop_tasks
from ecs_pipelines.ecs.usage import Architecture
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.redaction import Redaction
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.secrets import resolve_secret_environment
from ecs_pipelines.integration.step_options import StepOptions
from ecs_pipelines.integration.step_usage import step_report
from ecs_pipelines.integration.task_naming import (
    DETACHED_TAG,
    started_by_for_run,
    step_client_token,
    step_environment,
    step_tags,
)

PIPES_MARKER = '"__dagster_pipes_version"'
SIBLING_STOP_REASON = "Sibling task {task_id} failed in Dagster run {run_id}"
TERMINATED_STOP_REASON = "Dagster run {run_id} was terminated (step {step_key})"
ENDED_EARLY_STOP_REASON = "Dagster run {run_id} step {step_key} ended early: {kind}"
# One line per task as it launches and as it ends, for a terminal that shows the run
# (``make run`` prints them); silent unless a handler is attached. Ids only: never a secret.
progress = logging.getLogger("ecs_pipelines.progress")


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
        options: StepOptions,
        *,
        asset_key: str | None = None,
    ) -> None:
        self.context = op_context(context)
        self.ecs = ecs
        self.options = options
        self.asset_key = asset_key
        self.step_key = self.context.get_step_execution_context().step.key
        self.run_id = self.context.run_id
        self.partition_key = self.context.partition_key if self.context.has_partition_key else None
        self.cluster = ecs.cluster
        # The container that received command and environment, once launched.
        self.container_name: str | None = None
        # The task definition's CPU architecture, for tasks that do not say theirs.
        self.architecture = Architecture.X86_64
        self._log_refs: dict[str, list[LogStreamRef]] = {}
        self._log_lock = threading.Lock()
        # Secret values from the run worker's environment, named by the step's config.
        self.step_secrets = resolve_secret_environment(options.secret_environment_from)
        self.redaction = Redaction(
            [
                *ecs.secret_environment.values(),
                *(options.launch.secret_environment or {}).values(),
                *self.step_secrets.values(),
            ]
        )
        self.log = self.redaction.log(self.context.log)

    def step_settings(self) -> LaunchSettings:
        """The step's level of launch settings (the factory's, the run's config on top), its
        task definition described in code when it has one: the factory's spec with the run's
        image, or, for an image alone, the registered task definition with that image. The
        family, unless the spec names one, is the resource's prefix + the op/asset name."""
        step = self.options.launch
        spec, image = step.task_definition_spec, self.options.image
        if spec is None and image is None:
            return step
        if spec is None:
            base = step.task_definition or self.ecs.task_definition
            if base is None:
                raise EcsSpecError(
                    "image", "needs a task definition to change: set task_definition or a spec"
                )
            spec = TaskDefinitionSpec(base=base, image=image)
        elif image is not None:
            spec = dataclasses.replace(spec, image=image)
        family = self.ecs.family_for(self.context.op_def.name)
        return step.replace(task_definition=None, task_definition_spec=with_family(spec, family))

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
        # The step's own variables, then the user's (theirs win a shared name, as they always
        # have), then what the step adds for this launch (Pipes' bootstrap).
        return {**env, **(self.options.launch.environment or {}), **(extra or {})}

    def call_settings(self, extra_environment: Mapping[str, str] | None) -> LaunchSettings:
        """What the step adds to every launch, the call's level: tags naming the run, step,
        asset and partition; startedBy ``dagster/<run id>`` unless the step sets its own; a
        clientToken per step attempt; the step's variables; the secret values read for it."""
        tags = step_tags(
            run_id=self.run_id,
            step_key=self.step_key,
            job_name=self.context.job_name,
            asset_key=self.asset_key,
            partition_key=self.partition_key,
        )
        if self.options.detached:
            tags[DETACHED_TAG] = "true"
        own_started_by = self.options.launch.started_by
        return LaunchSettings(
            environment=self.environment(extra_environment),
            secret_environment=self.step_secrets or None,
            tags=tags,
            started_by=None if own_started_by else started_by_for_run(self.run_id),
            client_token=step_client_token(
                self.run_id, self.step_key, self.context.retry_number, 0
            ),
        )

    # --- launching --------------------------------------------------------------------

    def run(self, *, extra_environment: Mapping[str, str] | None = None) -> StepTasks:
        with self.launched(extra_environment=extra_environment) as arns:
            results = self.wait(arns)
        metadata = {**self.result_metadata(results), **self.usage_metadata(results)}
        return StepTasks(results=results, metadata=metadata)

    def run_detached(self) -> DetachedLaunch:
        """Launches (or reattaches to) the step's tasks and returns without waiting for them."""
        if self.options.timeout_seconds is not None:
            self.log.warning(
                "timeout_seconds is not enforced for a detached launch: nothing waits on the task"
            )
        arns = self.launch()
        metadata = md.detached_launch_metadata(
            links=self.ecs.links(),
            cluster=self.cluster,
            task_arns=arns,
            log_refs=self._log_refs,
        )
        return DetachedLaunch(task_arns=arns, metadata=self.redaction.metadata(metadata))

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
        # The task definition is read with the plan (once): the step needs its log streams.
        plan = self.ecs.plan_launch(
            self.step_settings(), self.call_settings(extra_environment), read_definition=True
        )
        # A launch ECS refuses for a passing reason waits (within the step's timeout too);
        # each wait is said once in the run log.
        arns = launch(
            self.ecs.task_client(),
            plan,
            on_wait=self.report_wait,
            deadline=Deadline.after(self.options.timeout_seconds),
        )
        self.cluster, self.container_name = plan.cluster, plan.container_name
        definition = plan.definition or {}
        platform = definition.get("runtimePlatform") or {}
        if str(platform.get("cpuArchitecture", "")).upper() == "ARM64":
            self.architecture = Architecture.ARM64
        for arn in arns:
            self._log_refs[arn] = log_stream_refs(definition, arn)
            self.report_launch(arn, definition, exec_enabled=plan.enable_execute_command)
            progress.info("%s  %-14s %s launched", self.run_id[:8], self.step_key, task_id(arn))
        return arns

    def report_wait(self, wait: CapacityWait) -> None:
        """One line in the run log (and on the terminal of `make run`) per wait for capacity."""
        self.log.info(wait.message())
        progress.info(
            "%s  %-14s RunTask refused (%s): next attempt in %.1f s",
            self.run_id[:8],
            self.step_key,
            self.redaction.text(wait.said),
            wait.pause_seconds,
        )

    def report_launch(self, arn: str, definition: Mapping[str, Any], *, exec_enabled: bool) -> None:
        region = self.ecs.region
        event_metadata = md.launch_metadata(
            links=self.ecs.links(), cluster=self.cluster, task_arn=arn, log_refs=self._log_refs[arn]
        )
        self.context.instance.report_engine_event(
            self.redaction.text(
                f"ECS task {arn} launched (or reattached) for step {self.step_key}"
            ),
            self.context.dagster_run,
            EngineEventData(metadata=self.redaction.metadata(event_metadata)),
            step_key=self.step_key,
        )
        if exec_enabled:
            containers = [c["name"] for c in definition.get("containerDefinitions", [])]
            container = self.container_name or containers[0]
            hint = md.exec_hint(
                region=region,
                cluster=self.cluster,
                task_arn=arn,
                container=container,
                endpoint_url=self.ecs.connection().endpoint_url,
            )
            self.log.info(hint)

    # --- waiting ----------------------------------------------------------------------

    def wait(self, arns: Sequence[str]) -> list[EcsTaskResult]:
        try:
            results = self.ecs.wait_for_tasks(
                arns,
                timeout_seconds=self.options.timeout_seconds,
                on_log_lines=self.forward_log_lines,
                on_status=self.report_status,
                on_result=lambda result: self.task_ended(result, arns),
                cluster=self.cluster,
            )
        except EcsTimeoutError as error:
            raise self.redaction.failure(
                f"ECS task(s) did not finish within {self.options.timeout_seconds} s "
                f"and were stopped: {', '.join(error.pending_task_arns)}"
            ) from error
        # Masked as results before the failure text and metadata are made from them.
        failed = self.redaction.output([r for r in results if not r.succeeded])
        if failed:
            tails = {r.task_arn: self.log_tail(r.task_arn) for r in failed}
            # A failed task was billed too: its cost and use go with the failure.
            spent = self.usage_metadata(results, with_hint=False)
            raise self.redaction.failure(
                md.failure_description(failed, tails),
                {**md.failure_metadata(failed, tails), **spent},
            )
        return results

    def forward_log_lines(self, task: str, container: str, lines: list[str]) -> None:
        prefix = f"[{short_task_id(task)}/{container}]"
        text = self.redaction.lines([line for line in lines if PIPES_MARKER not in line])
        if text:
            with self._log_lock:
                self.log.info("\n".join(f"{prefix} {line}" for line in text))

    def report_status(self, task: str, described: Mapping[str, Any]) -> None:
        self.log.debug(f"ECS task {task}: {described.get('lastStatus')}")

    # --- stopping ---------------------------------------------------------------------

    def task_ended(self, result: EcsTaskResult, arns: Sequence[str]) -> None:
        codes = ",".join(str(code) for code in result.exit_codes.values()) or "-"
        outcome = "succeeded" if result.succeeded else "failed"
        progress.info(
            "%s  %-14s %s %s (exit %s)",
            self.run_id[:8],
            self.step_key,
            result.task_id,
            outcome,
            codes,
        )
        self.stop_siblings(result, arns)

    def stop_siblings(self, result: EcsTaskResult, arns: Sequence[str]) -> None:
        """A failed task fails the step: stop its siblings now rather than wait for them."""
        if result.succeeded or len(arns) == 1:
            return
        reason = SIBLING_STOP_REASON.format(task_id=result.task_id, run_id=self.run_id)
        self.stop_unfinished([a for a in arns if task_id(a) != result.task_id], reason)

    def stop_unfinished(self, arns: Sequence[str], reason: str) -> None:
        """Best effort, in the launch's cluster; never raises over the error that caused it."""
        report = stop_tasks(self.ecs.task_client(), self.cluster, arns, reason=reason)
        # Logging must not fail the cleanup either: a closing run may refuse new events.
        with suppress(Exception):
            for arn in report.stopped:
                self.log.warning(f"Stopped ECS task {arn}: {reason}")
            for problem in report.failed.values():
                self.log.warning(problem)

    def stop_reason(self, error: BaseException) -> str:
        kind = type(error).__name__
        if kind in ("DagsterExecutionInterruptedError", "KeyboardInterrupt"):
            return TERMINATED_STOP_REASON.format(run_id=self.run_id, step_key=self.step_key)
        return ENDED_EARLY_STOP_REASON.format(run_id=self.run_id, step_key=self.step_key, kind=kind)

    # --- reporting --------------------------------------------------------------------

    def log_tail(self, task_arn: str) -> list[str]:
        lines: list[str] = []
        for ref in self._log_refs.get(task_arn, []):
            lines.extend(last_lines(self.ecs.logs_client(), ref, md.LOG_TAIL_LINES))
        kept = [line for line in lines if PIPES_MARKER not in line][-md.LOG_TAIL_LINES :]
        return self.redaction.lines(kept)

    def result_metadata(self, results: Sequence[EcsTaskResult]) -> dict[str, Any]:
        metadata = md.result_metadata(
            results, links=self.ecs.links(), cluster=self.cluster, log_refs=self._log_refs
        )
        return self.redaction.metadata(metadata)

    def usage_metadata(
        self, results: Sequence[EcsTaskResult], *, with_hint: bool = True
    ) -> dict[str, Any]:
        """What the step's tasks cost and used, a run-log line per task and, for a step of one
        asset, the right-sizing hint (``step_usage.step_report``: never fails the step)."""
        one_asset = with_hint and self.asset_key is not None and "+" not in self.asset_key
        key = AssetKey.from_user_string(self.asset_key) if one_asset and self.asset_key else None
        metadata = step_report(
            self.ecs,
            self.cluster,
            results,
            architecture=self.architecture,
            log=self.log,
            instance=self.context.instance,
            asset_key=key,
        )
        return self.redaction.metadata(metadata)

    def pipes_log_ref(self, arn: str) -> LogStreamRef | None:
        """The stream of the container that speaks Dagster Pipes (the overridden one)."""
        refs = self._log_refs.get(arn, [])
        container = self.container_name
        return next((r for r in refs if r.container == container), refs[0] if refs else None)
