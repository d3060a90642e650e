"""Runs the ECS tasks of one Dagster step (op or asset) and reports them in the run.

Shared by ops and assets: the launch is idempotent per step attempt (clientToken from run id,
step key, retry number and task index), tasks carry tags naming the run, step, asset and
partition, CloudWatch lines stream into the run log, links appear as soon as the task exists,
and whatever ends the step early (termination, a failed sibling, a timeout) stops its tasks
(``step_stopping``). A detached step launches and reports the same way, then returns without
waiting: a completion sensor reports the tasks' end. Everything the step writes into the run
passes the step's ``Redaction``. A resumed run worker reattaches to the tasks an earlier
worker launched for the same step attempt, found in the run log (``step_reattach``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dagster import AssetExecutionContext, AssetKey, OpExecutionContext
from dagster._core.events import EngineEventData

from ecs_pipelines.ecs.common import (
    Deadline,
    EcsTimeoutError,
)
from ecs_pipelines.ecs.launching import (
    CapacityFallback,
    CapacityWait,
    LaunchSettings,
    derive_client_token,
    launch_on_capacity,
)
from ecs_pipelines.ecs.logs import LogStreamRef, log_stream_refs
from ecs_pipelines.ecs.tasks import EcsTaskResult, Relaunch
from ecs_pipelines.ecs.usage import Architecture
from ecs_pipelines.ecs.waiting import Attempt, Relaunches
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.redaction import Redaction
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.secrets import resolve_secret_environment
from ecs_pipelines.integration.step_logs import StepLogs
from ecs_pipelines.integration.step_options import StepOptions, step_level
from ecs_pipelines.integration.step_progress import StepProgress
from ecs_pipelines.integration.step_reattach import launch_event_metadata, launched_before
from ecs_pipelines.integration.step_stopping import siblings_to_stop, stop_and_say, stop_reason
from ecs_pipelines.integration.step_usage import step_report
from ecs_pipelines.integration.task_naming import (
    DETACHED_TAG,
    started_by_for_run,
    step_client_token,
    step_environment,
    step_tags,
)


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
        # The tasks relaunched after an interruption, each with the one it replaced.
        self.attempts: list[Attempt] = []
        self.launched_arns: list[str] = []  # every task launched or reattached to, relaunches too
        self._extra_environment: Mapping[str, str] | None = None
        # The task definition's CPU architecture, for tasks that do not say theirs.
        self.architecture = Architecture.X86_64
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
        self.progress = StepProgress(self.run_id, self.step_key, self.redaction.text)
        self.logs = StepLogs(self.redaction, self.log, ecs.logs_client)
        self._log_refs = self.logs.refs

    def step_settings(self) -> LaunchSettings:
        return step_level(self.options, self.ecs, self.context.op_def.name)

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

    def call_settings(
        self,
        extra_environment: Mapping[str, str] | None,
        *,
        relaunch: tuple[int, Relaunch] | None = None,
    ) -> LaunchSettings:
        """What the step adds to every launch, the call's level: tags naming the run, step,
        asset and partition; startedBy ``dagster/<run id>`` unless the step sets its own; a
        clientToken per step attempt; the step's variables; the secret values read for it.
        A relaunch of slot ``n`` is one task, with a token of its own per relaunch."""
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
        token = step_client_token(self.run_id, self.step_key, self.context.retry_number, 0)
        count = None
        if relaunch is not None:
            slot, decided = relaunch
            token = derive_client_token(token, "relaunch", str(slot), str(decided.number))
            count = 1
        return LaunchSettings(
            environment=self.environment(extra_environment),
            secret_environment=self.step_secrets or None,
            tags=tags,
            started_by=None if own_started_by else started_by_for_run(self.run_id),
            client_token=token,
            count=count,
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
        """Launches (or reattaches to) the step's tasks; stops any still running if the launch
        or the body raises, relaunches included, so a terminated run or a failed step leaves
        no task behind."""
        try:
            yield self.launch(extra_environment=extra_environment)
        except BaseException as error:
            self.stop_unfinished(self.launched_arns, self.stop_reason(error))
            raise

    def launch(
        self,
        *,
        extra_environment: Mapping[str, str] | None = None,
        relaunch: tuple[int, Relaunch] | None = None,
    ) -> list[str]:
        self._extra_environment = extra_environment
        # The task definition is read with the plan (once): the step needs its log streams.
        plan = self.ecs.plan_launch(
            self.step_settings(),
            self.call_settings(extra_environment, relaunch=relaunch),
            read_definition=True,
        )
        attempt = self.context.retry_number
        instance = self.context.instance
        arns = [] if relaunch else launched_before(instance, self.run_id, self.step_key, attempt)
        if arns:  # an earlier worker of this run launched them (step_reattach)
            self.log.info(f"Reattached to ECS task(s) launched earlier: {', '.join(arns)}")
        else:
            # A launch ECS refuses for a passing reason waits (within the step's timeout),
            # then moves to the next capacity of capacity_fallback; each said in the run log.
            launched = launch_on_capacity(
                self.ecs.task_client(),
                plan,
                on_wait=self.report_wait,
                on_fallback=self.report_fallback,
                deadline=Deadline.after(self.options.timeout_seconds),
            )
            arns = launched.task_arns
        # Recorded at once: an interrupt from here on stops them (``launched``).
        self.launched_arns.extend(arns)
        self.cluster, self.container_name = plan.cluster, plan.container_name
        definition = plan.definition or {}
        platform = definition.get("runtimePlatform") or {}
        if str(platform.get("cpuArchitecture", "")).upper() == "ARM64":
            self.architecture = Architecture.ARM64
        replaces = relaunch[1].predecessor_arn if relaunch else None
        for arn in arns:
            self._log_refs[arn] = log_stream_refs(definition, arn)
            extra = launch_event_metadata(attempt, replaces)
            self.report_launch(arn, definition, plan.enable_execute_command, extra)
            self.progress.launched(arn)
        return arns

    def report_wait(self, wait: CapacityWait) -> None:
        """One line in the run log (and on the terminal of `make run`) per wait for capacity."""
        self.log.info(wait.message())
        self.progress.refused(wait)

    def report_fallback(self, fallback: CapacityFallback) -> None:
        """One line in the run log (and on the terminal) when the launch changes capacity."""
        self.log.warning(self.redaction.text(fallback.message()))
        self.progress.fell_back(fallback)

    def relaunch(self, slot: int, decided: Relaunch, *, into: list[str]) -> str:
        """Launches slot ``slot`` again after its task was interrupted (its ARN joins
        ``into``, the step's tasks to stop if it ends early); says so in the run log."""
        allowed = self.options.relaunches(self.ecs.interruption_relaunches)
        self.log.warning(self.redaction.text(decided.message(allowed)))
        self.progress.interrupted(decided)
        [arn] = self.launch(extra_environment=self._extra_environment, relaunch=(slot, decided))
        into.append(arn)
        return arn

    def report_launch(
        self, arn: str, definition: Mapping[str, Any], exec_enabled: bool, extra: dict[str, Any]
    ) -> None:
        event_metadata = md.launch_metadata(
            links=self.ecs.links(), cluster=self.cluster, task_arn=arn, log_refs=self._log_refs[arn]
        )
        event_metadata.update(extra)
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
            endpoint, region = self.ecs.connection().endpoint_url, self.ecs.region
            self.log.info(md.exec_hint(region, self.cluster, arn, container, endpoint))

    # --- waiting ----------------------------------------------------------------------

    def wait(self, arns: list[str]) -> list[EcsTaskResult]:
        """Waits for the step's tasks, relaunching interrupted ones at once (their ARNs join
        ``arns``, so that an early end stops them too); raises the step's failure if any failed."""
        relaunches = Relaunches(
            arns,
            relaunch=lambda slot, decided: self.relaunch(slot, decided, into=arns),
            allowed=self.options.relaunches(self.ecs.interruption_relaunches),
        )
        try:
            results = self.ecs.wait_for_tasks(
                list(arns),
                timeout_seconds=self.options.timeout_seconds,
                on_log_lines=self.logs.forward,
                on_status=self.report_status,
                on_result=lambda result: self.task_ended(result, arns),
                cluster=self.cluster,
                successor=relaunches.successor,
            )
        except EcsTimeoutError as error:
            raise self.redaction.failure(
                f"ECS task(s) did not finish within {self.options.timeout_seconds} s "
                f"and were stopped: {', '.join(error.pending_task_arns)}"
            ) from error
        finally:
            self.attempts = relaunches.attempts
        # Masked as results before the failure text and metadata are made from them.
        failed = self.redaction.output([r for r in results if not r.succeeded])
        if failed:
            tails = {r.task_arn: self.logs.tail(r.task_arn) for r in failed}
            # A failed task was billed too: its cost and use go with the failure.
            spent = self.usage_metadata(results, with_hint=False)
            metadata = {**md.failure_metadata(failed, tails), **spent, **self.attempt_metadata()}
            raise self.redaction.failure(md.failure_description(failed, tails), metadata)
        return results

    def report_status(self, task: str, described: Mapping[str, Any]) -> None:
        self.log.debug(f"ECS task {task}: {described.get('lastStatus')}")

    # --- stopping ---------------------------------------------------------------------

    def task_ended(self, result: EcsTaskResult, arns: Sequence[str]) -> None:
        self.progress.ended(result)
        self.stop_siblings(result, arns)

    def stop_siblings(self, result: EcsTaskResult, arns: Sequence[str]) -> None:
        siblings = siblings_to_stop(result, arns, run_id=self.run_id)
        if siblings is not None:
            self.stop_unfinished(*siblings)

    def stop_unfinished(self, arns: Sequence[str], reason: str) -> None:
        stop_and_say(self.ecs.task_client(), self.cluster, arns, reason, self.log)

    def stop_reason(self, error: BaseException) -> str:
        return stop_reason(error, run_id=self.run_id, step_key=self.step_key)

    # --- reporting --------------------------------------------------------------------

    def result_metadata(self, results: Sequence[EcsTaskResult]) -> dict[str, Any]:
        metadata = md.result_metadata(
            results, links=self.ecs.links(), cluster=self.cluster, log_refs=self._log_refs
        )
        metadata.update(self.attempt_metadata())
        return self.redaction.metadata(metadata)

    def attempt_metadata(self) -> dict[str, Any]:
        """The tasks relaunched after an interruption (where each task ran is in its own
        metadata, from DescribeTasks)."""
        return md.attempt_metadata([a.as_dict() for a in self.attempts])

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
