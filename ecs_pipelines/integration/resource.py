"""EcsResource: Dagster's configurable resource over ECS RunTask, thin config over ``ecs/``.

Fields are the lowest level of every launch; each call can override them. The methods are the
library's API (``run_task``, ``wait_for_tasks``, ``run_task_and_wait``, ...); what they do
lives in the ECS core: the launch plan in ``ecs.launching``, the poll loop in ``ecs.waiting``,
stopping in ``ecs.tasks``, retries and deadlines in ``ecs.common``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from dagster import get_dagster_logger
from pydantic import PrivateAttr

from ecs_pipelines.ecs.common import (
    EcsSpecError,
    EcsTaskFailure,
    EcsTimeoutError,
    Retrier,
    task_refs,
)
from ecs_pipelines.ecs.events import TaskEventQueue
from ecs_pipelines.ecs.exec import ExecResult, execute_command
from ecs_pipelines.ecs.launching import (
    LaunchArguments,
    LaunchPlan,
    LaunchSettings,
    launch,
    launch_many,
    merge,
    plan_launch,
    settings_from_arguments,
)
from ecs_pipelines.ecs.logs import LogLinesCallback, TaskLinks, links_for
from ecs_pipelines.ecs.task_definitions import (
    ResolvedTaskDefinition,
    TaskDefinitionRegistry,
    TaskDefinitionSpec,
    derive_family,
    process_cache,
)
from ecs_pipelines.ecs.tasks import (
    EcsTaskClient,
    EcsTaskResult,
    StopReport,
    stop_tasks,
)
from ecs_pipelines.ecs.usage import PRICING_REGION
from ecs_pipelines.ecs.waiting import (
    ResultCallback,
    StatusCallback,
    SuccessorCallback,
    TaskWatcher,
    WatchSettings,
)
from ecs_pipelines.integration.clients import boto3_client
from ecs_pipelines.integration.resource_settings import EcsSettings
from ecs_pipelines.integration.role_credentials import (
    AssumedRoleCredentials,
    assume_with,
    credential_variables,
    shared_credentials,
)

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.type_defs import TaskTypeDef
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_sqs import SQSClient

DEFAULT_STOP_REASON = "Stopped by ecs_pipelines"
TIMEOUT_STOP_REASON = "Timed out after {seconds} s"
ABANDONED_STOP_REASON = "Caller stopped waiting (interrupted or failed)"
SECRET_FIELDS = frozenset({"aws_secret_access_key", "aws_session_token"})


class EcsResource(EcsSettings):
    """Launches and watches ECS tasks. Fields are the defaults of every launch; calls override."""

    _ecs_client: ECSClient | None = PrivateAttr(default=None)
    _logs_client: CloudWatchLogsClient | None = PrivateAttr(default=None)
    _sqs_client: SQSClient | None = PrivateAttr(default=None)
    _pricing_client: Any = PrivateAttr(default=None)
    _task_client: EcsTaskClient | None = PrivateAttr(default=None)
    _role_credentials: AssumedRoleCredentials | None = PrivateAttr(default=None)

    # --- clients ---------------------------------------------------------------------------

    def with_clients(
        self,
        ecs_client: ECSClient,
        logs_client: CloudWatchLogsClient | None = None,
        sqs_client: SQSClient | None = None,
    ) -> EcsResource:
        """A copy that uses the given boto3 clients instead of building its own."""
        copy = self.model_copy()
        copy._ecs_client = ecs_client
        copy._logs_client = logs_client
        copy._sqs_client = sqs_client
        copy._task_client = None
        return copy

    def connection(self) -> EcsSettings:
        """The settings the clients connect with (endpoint, region, credentials): the fields.
        A subclass may find them when a client is first needed instead (the demo's resource
        finds the checkout's embedded ECS then); links and ECS Exec use them too."""
        return self

    def role_credentials(self) -> AssumedRoleCredentials | None:
        """The assumed role's credentials every client signs with (``role_arn``), shared by
        the resources of this process that assume it as the same caller; None: no role."""
        if self.role_arn is None:
            return None
        if self._role_credentials is None:
            connection = self.connection()
            role = connection.role_to_assume()
            assert role is not None  # role_arn is set
            caller = (
                connection.endpoint_url,
                connection.region_name,
                connection.profile_name,
                connection.aws_access_key_id,
            )
            retrier = Retrier(max_attempts=self.max_attempts)
            self._role_credentials = shared_credentials(
                (caller, role),
                lambda: AssumedRoleCredentials(
                    assume_with(boto3_client("sts", connection), role, retrier)
                ),
            )
        return self._role_credentials

    def ecs_client(self) -> ECSClient:
        if self._ecs_client is None:
            self._ecs_client = boto3_client("ecs", self.connection(), self.role_credentials())
        return self._ecs_client

    def logs_client(self) -> CloudWatchLogsClient:
        if self._logs_client is None:
            self._logs_client = boto3_client("logs", self.connection(), self.role_credentials())
        return self._logs_client

    def pricing_client(self) -> Any:
        """The Price List API's client (it answers from us-east-1, whatever Region is priced;
        untyped: mypy-boto3-pricing is not among the project's stubs)."""
        if self._pricing_client is None:
            settings = self.connection().model_copy(update={"region_name": PRICING_REGION})
            self._pricing_client = boto3_client("pricing", settings, self.role_credentials())
        return self._pricing_client

    def sqs_client(self) -> SQSClient:
        if self._sqs_client is None:
            self._sqs_client = boto3_client("sqs", self.connection(), self.role_credentials())
        return self._sqs_client

    def task_event_queue(self, queue_url: str | None = None) -> TaskEventQueue | None:
        """The task state event queue (``queue_url``, else the resource's); None: polling."""
        url = queue_url or self.task_events_queue_url
        if not url:
            return None
        return TaskEventQueue(
            self.sqs_client(), url, retrier=Retrier(max_attempts=self.max_attempts)
        )

    def task_client(self) -> EcsTaskClient:
        # One per resource instance: its task definition cache then serves every call of a
        # step (launch, links, wait) instead of one DescribeTaskDefinition each.
        if self._task_client is None:
            retrier = Retrier(max_attempts=self.max_attempts)
            self._task_client = EcsTaskClient(self.ecs_client(), retrier=retrier)
        return self._task_client

    @property
    def region(self) -> str:
        return str(self.ecs_client().meta.region_name)

    def links(self) -> TaskLinks:
        """Task and log pages on the ECS in use: the AWS console, or the embedded ECS's."""
        return links_for(self.connection().endpoint_url, self.region)

    # --- launching -------------------------------------------------------------------------

    def plan_launch(
        self,
        *levels: LaunchSettings,
        read_definition: bool = False,
        **arguments: Unpack[LaunchArguments],
    ) -> LaunchPlan:
        """The plan of one launch: the resource's settings, then ``levels`` (lowest first),
        then run_task's ``arguments`` on top, checked before any call; then the task
        definition resolved (a ``task_definition_spec`` found or registered) and read only
        when needed (or asked for: ``read_definition``); then RunTask's request."""
        return plan_launch(
            merge(self.launch_settings(), *levels, settings_from_arguments(arguments)),
            describe=self.task_client().task_definition,
            resolve=self.resolve_task_definition,
            read_definition=read_definition,
        )

    def task_definition_registry(self) -> TaskDefinitionRegistry:
        """Register-or-reuse of code-defined task definitions, its cache shared by every
        resource of this process that talks to the same endpoint, region and credentials."""
        client = self.ecs_client()
        target = (
            client.meta.endpoint_url,
            client.meta.region_name,
            self.profile_name,
            self.aws_access_key_id,
            self.role_arn,
        )
        return TaskDefinitionRegistry(self.task_client(), process_cache(target))

    def resolve_task_definition(self, spec: TaskDefinitionSpec) -> ResolvedTaskDefinition:
        """The revision ``spec`` launches: reused when its content is registered already,
        registered once otherwise. ``spec.family`` is required here (steps derive it)."""
        defaults = self.task_definition_defaults(self.region)
        return self.task_definition_registry().resolve(spec, defaults)

    def family_for(self, name: str) -> str:
        """The family of a code-defined task definition for the op or asset ``name``."""
        return derive_family(self.code_task_definitions.family_prefix, name)

    def run_task(self, **arguments: Unpack[LaunchArguments]) -> list[str]:
        """Launches ``count`` tasks (1 by default) and returns their ARNs; raises
        EcsLaunchError on failures.

        Takes every launch option by the project's name (``placement_constraints``) or by
        RunTask's (``placementConstraints``), RunTask's ``overrides`` and
        ``networkConfiguration`` as RunTask takes them; None leaves an option to the resource.
        ``command``, ``environment``, ``cpu`` and ``memory`` go to ``container_name`` (else the
        task definition's first essential container). ``secret_environment`` values are masked
        wherever the project writes text, like the resource's own. ``task_definition_spec``
        launches a task definition described in code (registered once, then reused) instead
        of ``task_definition``."""
        return launch(self.task_client(), self.plan_launch(**arguments))

    def run_tasks(
        self,
        total: int,
        *,
        calls_per_second: float | None = 20.0,
        on_launch: Callable[[list[str]], None] | None = None,
        **arguments: Unpack[LaunchArguments],
    ) -> list[str]:
        """Launches ``total`` identical tasks in RunTask calls of 10 (ECS's most per call).

        Takes run_task's arguments (``count`` excepted). Calls are paced to ``calls_per_second``
        (Fargate's RunTask rate by default; None: no pacing) and throttling is retried; each call
        has its own clientToken, derived from ``client_token`` when given. All or nothing: if a
        call fails or the launch is interrupted, the tasks already started are stopped."""
        if "count" in arguments:
            raise EcsSpecError("count", "run_tasks takes total, not count")
        return launch_many(
            self.task_client(),
            self.plan_launch(**arguments),
            total,
            calls_per_second=calls_per_second,
            on_launch=on_launch,
        )

    # --- watching --------------------------------------------------------------------------

    def wait_for_tasks(
        self,
        task_arns: Sequence[str],
        *,
        timeout_seconds: float | None = None,
        on_log_lines: LogLinesCallback | None = None,
        on_status: StatusCallback | None = None,
        on_result: ResultCallback | None = None,
        cluster: str | None = None,
        successor: SuccessorCallback | None = None,
    ) -> list[EcsTaskResult]:
        """Waits for every task (ids or ARNs) with one loop: their state change events from
        ``task_events_queue_url`` when set (a DescribeTasks sweep at the start and every
        ``task_events_sweep_seconds``), else DescribeTasks in batches of 100; results in the
        order given. EcsTimeoutError when ``timeout_seconds`` passes, whatever the endpoint
        does. ``successor``: a task launched in place of one that ended (a relaunch), waited
        for in its stead, its result in the ended one's place."""
        refs = task_refs(task_arns)
        watcher = self.task_watcher(
            cluster or self.cluster,
            self.watch_settings(timeout_seconds),
            on_log_lines=on_log_lines,
            on_status=on_status,
            on_result=on_result,
            successor=successor,
        )
        return watcher.wait(refs)

    def task_watcher(
        self,
        cluster: str,
        settings: WatchSettings,
        *,
        on_log_lines: LogLinesCallback | None = None,
        on_status: StatusCallback | None = None,
        on_result: ResultCallback | None = None,
        on_notice: Callable[[str], None] | None = None,
        successor: SuccessorCallback | None = None,
    ) -> TaskWatcher:
        """The one loop of a wait, on the resource's clients and task event queue."""
        return TaskWatcher(
            self.task_client(),
            cluster,
            settings=settings,
            logs_client=self.logs_client() if on_log_lines else None,
            on_log_lines=on_log_lines,
            on_status=on_status,
            on_result=on_result,
            successor=successor,
            events=self.task_event_queue(),
            # In a step, Dagster's logger puts the notice in the run log.
            on_notice=on_notice or get_dagster_logger().warning,
        )

    def run_task_and_wait(
        self,
        *,
        timeout_seconds: float | None = None,
        on_log_lines: LogLinesCallback | None = None,
        on_status: StatusCallback | None = None,
        on_launch: Callable[[list[str]], None] | None = None,
        **arguments: Unpack[LaunchArguments],
    ) -> list[EcsTaskResult]:
        """run_task, then wait_for_tasks; raises EcsTaskFailure when any task failed.

        Whatever interrupts the wait (timeout, a terminated Dagster run, Ctrl-C) stops the
        tasks this call launched, in the cluster they were launched in."""
        settings = self.watch_settings(timeout_seconds)  # a bad timeout fails before RunTask
        plan = self.plan_launch(**arguments)
        arns = launch(self.task_client(), plan)
        try:
            if on_launch:
                on_launch(arns)
            watcher = self.task_watcher(
                plan.cluster, settings, on_log_lines=on_log_lines, on_status=on_status
            )
            results = watcher.wait(arns)
        except EcsTimeoutError as error:
            reason = TIMEOUT_STOP_REASON.format(seconds=timeout_seconds)
            stop_tasks(self.task_client(), plan.cluster, error.pending_task_arns, reason=reason)
            raise
        except BaseException:
            stop_tasks(self.task_client(), plan.cluster, arns, reason=ABANDONED_STOP_REASON)
            raise
        if not all(r.succeeded for r in results):
            raise EcsTaskFailure(results)
        return results

    # --- single calls ----------------------------------------------------------------------

    def describe_tasks(
        self, task_arns: Sequence[str], *, cluster: str | None = None
    ) -> list[TaskTypeDef]:
        """Described tasks (batches of 100) in the order given; unknown tasks are left out."""
        refs = task_refs(task_arns)
        described = self.task_client().describe(cluster or self.cluster, refs)
        return [described.tasks[ref] for ref in refs if ref in described.tasks]

    def stop_task(
        self, task_arn: str, *, reason: str = DEFAULT_STOP_REASON, cluster: str | None = None
    ) -> TaskTypeDef:
        """StopTask (ECS records stopCode UserInitiated); errors are raised."""
        return self.task_client().stop(cluster or self.cluster, task_arn, reason=reason)

    def stop_tasks(
        self, task_arns: Sequence[str], *, reason: str, cluster: str | None = None
    ) -> StopReport:
        """Best-effort stop of many tasks: never raises, reports what failed."""
        return stop_tasks(
            self.task_client(), cluster or self.cluster, task_refs(task_arns), reason=reason
        )

    def execute_command(
        self,
        task_arn: str,
        command: str,
        *,
        container: str | None = None,
        interactive: bool = True,
        cluster: str | None = None,
    ) -> ExecResult:
        """Runs ``command`` in the task through ECS Exec (session-manager-plugin on AWS; with
        ``role_arn`` it gets the role's credentials, not the profile)."""
        role = self.role_credentials()
        return execute_command(
            self.task_client(),
            cluster=cluster or self.cluster,
            task_arn=task_arn,
            command=command,
            container=container,
            interactive=interactive,
            region=self.region,
            profile=self.profile_name,
            endpoint_url=self.connection().endpoint_url,
            plugin_environment=credential_variables(role) if role is not None else None,
        )
