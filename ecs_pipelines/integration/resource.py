"""EcsResource: Dagster's configurable resource over ECS RunTask, thin config over ``ecs/``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3
from botocore.config import Config as BotocoreConfig
from dagster import Config
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import ConfigDict, Field, PrivateAttr, model_validator

from ecs_pipelines.ecs.client import EcsTaskClient
from ecs_pipelines.ecs.errors import EcsSpecError, EcsTimeoutError
from ecs_pipelines.ecs.exec import ExecResult, execute_command, required_task_role_problem
from ecs_pipelines.ecs.launch_args import build_spec
from ecs_pipelines.ecs.results import EcsTaskFailure, EcsTaskResult
from ecs_pipelines.ecs.spec import TaskLaunchSpec, to_run_task_kwargs
from ecs_pipelines.ecs.status import essential_containers
from ecs_pipelines.ecs.watch import (
    LogLinesCallback,
    ResultCallback,
    StatusCallback,
    TaskWatcher,
    WatchSettings,
)

DEFAULT_STOP_REASON = "Stopped by ecs_pipelines"
LOG_READ_ATTEMPTS = 2
SECRET_FIELDS = frozenset({"aws_secret_access_key", "aws_session_token"})


class CapacityProviderStrategyItem(Config):
    """One entry of RunTask's capacityProviderStrategy."""

    capacity_provider: str = Field(description="Capacity provider name, e.g. FARGATE_SPOT.")
    weight: int = Field(default=1, description="Relative share of tasks, 0..1000.")
    base: int = Field(default=0, description="Minimum number of tasks on this provider, 0..100000.")


class EcsResource(ResourceWithBoto3Configuration):
    """Launches and watches ECS tasks. Fields are the defaults of every launch; calls override."""

    # Validation errors must not echo the input: it holds credentials.
    model_config = ConfigDict(hide_input_in_errors=True)

    cluster: str = Field(default="default", description="ECS cluster name or ARN to run tasks in.")
    task_definition: str | None = Field(
        default=None,
        description="Default task definition: family, family:revision or ARN.",
    )
    container_name: str | None = Field(
        default=None,
        description=(
            "Container that receives command/environment overrides. Unset: the first essential "
            "container of the task definition."
        ),
    )
    launch_type: str | None = Field(
        default=None,
        description="EC2, FARGATE or EXTERNAL; leave unset with a capacity provider strategy.",
    )
    capacity_provider_strategy: list[CapacityProviderStrategyItem] = Field(
        default=[],
        description="Capacity providers to launch on (excludes launch_type).",
    )
    platform_version: str | None = Field(
        default=None, description="Fargate platform version, e.g. LATEST or 1.4.0."
    )
    subnets: list[str] = Field(default=[], description="Subnet IDs for awsvpc networking.")
    security_groups: list[str] = Field(
        default=[], description="Security group IDs for awsvpc networking (needs subnets)."
    )
    assign_public_ip: bool | None = Field(
        default=None, description="Give the task's ENI a public IP (awsvpc; needs subnets)."
    )
    enable_execute_command: bool = Field(
        default=False,
        description=(
            "Launch tasks with ECS Exec enabled (needs a task role with ssmmessages "
            "permissions). A per-launch setting overrides this default."
        ),
    )
    propagate_tags: str | None = Field(
        default=None, description="TASK_DEFINITION or NONE (SERVICE is not valid for RunTask)."
    )
    tags: dict[str, str] = Field(default={}, description="Tags put on every task launched.")
    secret_environment: dict[str, str] = Field(
        default={},
        description=(
            "Environment for every task whose values are secret (give them as EnvVar): never "
            "logged, put in metadata or error messages. They travel in RunTask overrides, "
            "visible to DescribeTasks: prefer the task definition's `secrets`."
        ),
    )
    started_by: str | None = Field(
        default=None,
        description="Default startedBy (<= 128 letters, digits, '-', '/', '_').",
    )
    group: str | None = Field(default=None, description="Task group name.")
    task_role_arn: str | None = Field(
        default=None, description="Task role override for every launch."
    )
    poll_interval_seconds: float = Field(
        default=1.0,
        description=(
            "Longest pause between DescribeTasks rounds while waiting; polling starts at 0.2 s "
            "and backs off to this."
        ),
    )
    missing_grace_seconds: float = Field(
        default=30.0,
        description=(
            "How long a task may be unknown to DescribeTasks (eventual consistency right after "
            "RunTask) before it is reported lost."
        ),
    )

    def __repr_args__(self) -> Any:
        # A repr ends up in tracebacks and test output: keep credentials out of it.
        for name, value in super().__repr_args__():
            if name == "secret_environment":
                value = dict.fromkeys(value, "***")
            yield name, ("***" if name in SECRET_FIELDS and value else value)

    @model_validator(mode="after")
    def _check_limits(self) -> EcsResource:
        """Bad settings fail when the resource is built, naming the field, before any call."""
        if self.poll_interval_seconds <= 0:
            raise EcsSpecError(
                "poll_interval_seconds", f"must be > 0, got {self.poll_interval_seconds}"
            )
        if self.missing_grace_seconds < 0:
            raise EcsSpecError(
                "missing_grace_seconds", f"must be >= 0, got {self.missing_grace_seconds}"
            )
        if self.max_attempts < 1:
            raise EcsSpecError("max_attempts", f"must be >= 1, got {self.max_attempts}")
        defaults = self._defaults()
        # The task definition may come per call; a placeholder lets every other default be
        # checked against the RunTask limits now.
        defaults["task_definition"] = self.task_definition or "placeholder"
        to_run_task_kwargs(build_spec(defaults, container_name=self.container_name))
        return self

    _ecs_client: Any = PrivateAttr(default=None)
    _logs_client: Any = PrivateAttr(default=None)
    _task_client: EcsTaskClient | None = PrivateAttr(default=None)

    # --- clients ---------------------------------------------------------------------------

    def with_clients(self, ecs_client: Any, logs_client: Any = None) -> EcsResource:
        """A copy that uses the given boto3 clients instead of building its own."""
        copy = self.model_copy()
        copy._ecs_client = ecs_client
        copy._logs_client = logs_client
        copy._task_client = None
        return copy

    def _session(self) -> boto3.session.Session:
        return boto3.session.Session(
            profile_name=self.profile_name,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            region_name=self.region_name,
        )

    def _client(self, service: str, max_attempts: int) -> Any:
        return self._session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            use_ssl=self.use_ssl,
            verify=self.verify,
            # botocore's standard retry mode; ecs/retry.py retries on top of it for long throttling.
            config=BotocoreConfig(retries={"max_attempts": max_attempts, "mode": "standard"}),
        )

    def ecs_client(self) -> Any:
        if self._ecs_client is None:
            self._ecs_client = self._client("ecs", self.max_attempts)
        return self._ecs_client

    def logs_client(self) -> Any:
        if self._logs_client is None:
            # Log reads give up fast: a tail resumes from its token at the next poll, and a
            # throttled GetLogEvents must not hold up the status loop for seconds.
            self._logs_client = self._client("logs", min(self.max_attempts, LOG_READ_ATTEMPTS))
        return self._logs_client

    def task_client(self) -> EcsTaskClient:
        # One per resource instance: its task definition cache then serves every call of a
        # step (launch, links, wait) instead of one DescribeTaskDefinition each.
        if self._task_client is None:
            self._task_client = EcsTaskClient(self.ecs_client())
        return self._task_client

    @property
    def region(self) -> str:
        return str(self.ecs_client().meta.region_name)

    # --- launching -------------------------------------------------------------------------

    def _defaults(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "task_definition": self.task_definition,
            "launch_type": self.launch_type,
            "capacity_provider_strategy": tuple(
                {"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base}
                for i in self.capacity_provider_strategy
            ),
            "platform_version": self.platform_version,
            "subnets": tuple(self.subnets),
            "security_groups": tuple(self.security_groups),
            "assign_public_ip": self.assign_public_ip,
            "enable_execute_command": self.enable_execute_command,
            "propagate_tags": self.propagate_tags,
            "tags": dict(self.tags),
            "started_by": self.started_by,
            "group": self.group,
            "task_role_arn": self.task_role_arn,
        }

    def build_launch_spec(
        self,
        *,
        task_definition: str | None = None,
        command: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        count: int = 1,
        started_by: str | None = None,
        tags: Mapping[str, str] | None = None,
        client_token: str | None = None,
        enable_execute_command: bool | None = None,
        container_name: str | None = None,
        **run_task_kwargs: Any,
    ) -> TaskLaunchSpec:
        """The validated launch spec for one call; the only AWS call it may make is
        DescribeTaskDefinition, after every argument has passed validation."""
        if self.secret_environment:
            environment = {**self.secret_environment, **(environment or {})}
        call_args: dict[str, Any] = dict(run_task_kwargs)
        for key, value in (
            ("task_definition", task_definition),
            ("count", count),
            ("started_by", started_by),
            ("client_token", client_token),
            ("enable_execute_command", enable_execute_command),
        ):
            if value is not None:
                call_args[key] = value
        if tags:
            call_args["tags"] = dict(tags)
        container = container_name or self.container_name
        needs_container = command is not None or environment is not None
        # Validate with a placeholder container first, so bad input fails before any AWS call.
        spec = build_spec(
            self._defaults(),
            container_name=container or "main",
            command=command,
            environment=environment,
            overrides=overrides,
            extra=call_args,
        )
        to_run_task_kwargs(spec)
        definition: dict[str, Any] | None = None
        if (needs_container and not container) or spec.enable_execute_command:
            definition = self.task_client().task_definition(spec.task_definition)
        if needs_container and not container:
            spec = build_spec(
                self._defaults(),
                container_name=first_essential_container(definition or {}),
                command=command,
                environment=environment,
                overrides=overrides,
                extra=call_args,
            )
        if spec.enable_execute_command and definition is not None:
            problem = required_task_role_problem(definition, spec.task_role_arn)
            if problem:
                raise EcsSpecError("enable_execute_command", problem)
        return spec

    def run_task(
        self,
        *,
        task_definition: str | None = None,
        command: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        count: int = 1,
        started_by: str | None = None,
        tags: Mapping[str, str] | None = None,
        client_token: str | None = None,
        enable_execute_command: bool | None = None,
        **run_task_kwargs: Any,
    ) -> list[str]:
        """Launches ``count`` tasks and returns their ARNs; raises EcsLaunchError on failures."""
        spec = self.build_launch_spec(
            task_definition=task_definition,
            command=command,
            environment=environment,
            overrides=overrides,
            count=count,
            started_by=started_by,
            tags=tags,
            client_token=client_token,
            enable_execute_command=enable_execute_command,
            **run_task_kwargs,
        )
        return self.task_client().launch(spec)

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
    ) -> list[EcsTaskResult]:
        """Waits for every task with one poll loop (DescribeTasks in batches of 100)."""
        watcher = TaskWatcher(
            self.task_client(),
            cluster or self.cluster,
            settings=WatchSettings(
                poll_interval_seconds=self.poll_interval_seconds,
                missing_grace_seconds=self.missing_grace_seconds,
                timeout_seconds=timeout_seconds,
            ),
            logs_client=self.logs_client() if on_log_lines else None,
            on_log_lines=on_log_lines,
            on_status=on_status,
            on_result=on_result,
        )
        return watcher.wait(task_arns)

    def run_task_and_wait(
        self,
        *,
        timeout_seconds: float | None = None,
        on_log_lines: LogLinesCallback | None = None,
        on_status: StatusCallback | None = None,
        on_launch: Callable[[list[str]], None] | None = None,
        **run_task_args: Any,
    ) -> list[EcsTaskResult]:
        """run_task, then wait_for_tasks; raises EcsTaskFailure when any task failed.

        Whatever interrupts the wait (timeout, a terminated Dagster run, Ctrl-C) stops the
        tasks this call launched, so none is left running by a caller that gave up on it."""
        arns = self.run_task(**run_task_args)
        try:
            if on_launch:
                on_launch(arns)
            results = self.wait_for_tasks(
                arns,
                timeout_seconds=timeout_seconds,
                on_log_lines=on_log_lines,
                on_status=on_status,
                cluster=run_task_args.get("cluster"),
            )
        except EcsTimeoutError as error:
            self._stop_all(error.pending_task_arns, f"Timed out after {timeout_seconds} s")
            raise
        except BaseException:
            self._stop_all(arns, "Caller stopped waiting (interrupted or failed)")
            raise
        if not all(r.succeeded for r in results):
            raise EcsTaskFailure(results)
        return results

    def _stop_all(self, task_arns: Sequence[str], reason: str) -> None:
        for arn in task_arns:
            try:
                self.stop_task(arn, reason=reason)
            except Exception:  # best effort: one failed stop must not hide the others
                continue

    # --- single-task calls -----------------------------------------------------------------

    def describe_tasks(self, task_arns: Sequence[str]) -> list[dict[str, Any]]:
        """Described tasks (batches of 100); unknown tasks are left out."""
        described = self.task_client().describe(self.cluster, task_arns)
        return [described.tasks[a] for a in task_arns if a in described.tasks]

    def stop_task(self, task_arn: str, *, reason: str = DEFAULT_STOP_REASON) -> dict[str, Any]:
        return self.task_client().stop(self.cluster, task_arn, reason=reason)

    def execute_command(
        self, task_arn: str, command: str, *, container: str | None = None, interactive: bool = True
    ) -> ExecResult:
        """Runs ``command`` in the task through ECS Exec (session-manager-plugin on AWS)."""
        return execute_command(
            self.ecs_client(),
            cluster=self.cluster,
            task_arn=task_arn,
            command=command,
            container=container,
            interactive=interactive,
            region=self.region,
            profile=self.profile_name,
            endpoint_url=self.endpoint_url,
        )

    def run_tasks(
        self,
        total: int,
        *,
        calls_per_second: float | None = 20.0,
        on_launch: Callable[[list[str]], None] | None = None,
        **run_task_args: Any,
    ) -> list[str]:
        """Launches ``total`` identical tasks in RunTask calls of 10 (ECS's most per call).

        Takes run_task's arguments (``count`` excepted). Calls are paced to ``calls_per_second``
        (Fargate's RunTask rate by default; None: no pacing) and throttling is retried; each call
        has its own clientToken, derived from ``client_token`` when given. All or nothing: if a
        call fails, the tasks already started are stopped before the error is raised."""
        from ecs_pipelines.ecs.fanout import launch_many

        if "count" in run_task_args:
            raise EcsSpecError("count", "run_tasks takes total, not count")
        spec = self.build_launch_spec(**run_task_args)
        return launch_many(
            self.task_client(), spec, total, calls_per_second=calls_per_second, on_launch=on_launch
        )


def first_essential_container(task_definition: Mapping[str, Any]) -> str:
    containers = task_definition.get("containerDefinitions", [])
    essential = essential_containers(task_definition) or frozenset()
    for container in containers:
        if container["name"] in essential:
            return str(container["name"])
    if containers:
        return str(containers[0]["name"])
    raise EcsSpecError("container_name", "the task definition has no containers to override")
