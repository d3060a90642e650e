"""EcsResource's settings: each field described (the UI shows them) and checked when built.

The settings are the defaults of every launch; a call can override each of them. A setting ECS
would refuse fails here, naming the field, before the resource makes any call.
"""

from __future__ import annotations

import re
from typing import Any

from dagster import Config
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import ConfigDict, Field, model_validator

from ecs_pipelines.ecs.common import DEFAULT_MAX_ATTEMPTS, EcsSpecError, Pace
from ecs_pipelines.ecs.launching import LaunchRequest, build_launch_spec, to_run_task_kwargs
from ecs_pipelines.ecs.task_definitions import (
    DEFAULT_FAMILY_PREFIX,
    TaskDefinitionDefaults,
    check_log_group,
    check_role_arn,
)
from ecs_pipelines.ecs.waiting import EventSettings, WatchSettings

SECRET_FIELDS = frozenset({"aws_secret_access_key", "aws_session_token"})
FAMILY_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,200}")


class CapacityProviderStrategyItem(Config):
    """One entry of RunTask's capacityProviderStrategy."""

    capacity_provider: str = Field(description="Capacity provider name, e.g. FARGATE_SPOT.")
    weight: int = Field(default=1, description="Relative share of tasks, 0..1000.")
    base: int = Field(default=0, description="Minimum number of tasks on this provider, 0..100000.")


class CodeTaskDefinitionSettings(Config):
    """What task definitions described in code get from the resource (TaskDefinitionSpec)."""

    family_prefix: str = Field(
        default=DEFAULT_FAMILY_PREFIX,
        description=(
            "Families of code-defined task definitions are this prefix plus the op or asset "
            "name (letters, digits, '-', '_'); scope IAM's RegisterTaskDefinition to it."
        ),
    )
    log_group: str | None = Field(
        default="/ecs/ecs-pipelines",
        description=(
            "CloudWatch Logs group the containers log to (awslogs, stream prefix = family) "
            "unless a spec names its own; it must exist. None: no log configuration."
        ),
    )
    execution_role_arn: str | None = Field(
        default=None,
        description=(
            "Task execution role of code-defined task definitions: pulls ECR images, writes "
            "awslogs and reads secrets on Fargate. A spec's own wins."
        ),
    )
    task_role_arn: str | None = Field(
        default=None,
        description="Task role of code-defined task definitions (the containers' AWS identity).",
    )


class EcsSettings(ResourceWithBoto3Configuration):
    """EcsResource's fields: the defaults of every launch, checked when the resource is built."""

    # Validation errors must not echo the input: it holds credentials.
    model_config = ConfigDict(hide_input_in_errors=True)

    max_attempts: int = Field(
        default=DEFAULT_MAX_ATTEMPTS,
        description=(
            "Attempts per AWS call, the first included, with jittered backoff between them "
            "(throttling, 5xx, dropped connections); a caller's timeout bounds them all."
        ),
    )
    cluster: str = Field(default="default", description="ECS cluster name or ARN to run tasks in.")
    task_definition: str | None = Field(
        default=None, description="Default task definition: family, family:revision or ARN."
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
        default=[], description="Capacity providers to launch on (excludes launch_type)."
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
            "logged, stored, put in metadata or error messages. They travel in RunTask "
            "overrides, visible to DescribeTasks: prefer the task definition's `secrets`."
        ),
    )
    started_by: str | None = Field(
        default=None, description="Default startedBy (<= 128 letters, digits, '-', '/', '_')."
    )
    group: str | None = Field(default=None, description="Task group name.")
    task_role_arn: str | None = Field(
        default=None, description="Task role override for every launch."
    )
    code_task_definitions: CodeTaskDefinitionSettings = Field(
        default_factory=CodeTaskDefinitionSettings,
        description=(
            "Defaults of task definitions described in code (task_definition_spec): family "
            "prefix, log group, execution and task roles."
        ),
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
    task_events_queue_url: str | None = Field(
        default=None,
        description=(
            "SQS queue that an EventBridge rule fills with the cluster's 'ECS Task State "
            "Change' events (deploy/task-events.yaml). Set: waiting steps, wait_for_tasks and "
            "the CLI learn that tasks ended from it, with no DescribeTasks but a sweep every "
            "task_events_sweep_seconds; unset or unreachable: they poll. Give each consumer "
            "(the steps, each sensor) its own queue."
        ),
    )
    task_events_sweep_seconds: float = Field(
        default=300.0,
        description=(
            "With task events: one DescribeTasks sweep (100 tasks a call) at the start of a "
            "wait and this often after, for events lost or late."
        ),
    )
    task_events_silence_seconds: float = Field(
        default=60.0,
        description=(
            "With task events: a task no event has named for this long is described directly "
            "(its events may not reach the queue)."
        ),
    )

    def __repr_args__(self) -> Any:
        # A repr ends up in tracebacks and test output: keep credentials out of it.
        for name, value in super().__repr_args__():
            if name == "secret_environment":
                value = dict.fromkeys(value, "***")
            yield name, ("***" if name in SECRET_FIELDS and value else value)

    @model_validator(mode="after")
    def _check_limits(self) -> EcsSettings:
        """Bad settings fail when the resource is built, naming the field, before any call."""
        if self.poll_interval_seconds <= 0:
            raise EcsSpecError(
                "poll_interval_seconds", f"must be > 0, got {self.poll_interval_seconds}"
            )
        if self.max_attempts < 1:
            raise EcsSpecError("max_attempts", f"must be >= 1, got {self.max_attempts}")
        self.watch_settings()  # checks missing_grace_seconds and the task event settings
        self._check_code_task_definitions()
        # The task definition may come per call; a placeholder lets every other default be
        # checked against the RunTask limits now.
        defaults = {**self.launch_defaults(), "task_definition": self.task_definition or "x"}
        to_run_task_kwargs(build_launch_spec(defaults, LaunchRequest(), definition=None))
        return self

    def _check_code_task_definitions(self) -> None:
        code = self.code_task_definitions
        if not FAMILY_PREFIX.fullmatch(code.family_prefix):
            raise EcsSpecError(
                "code_task_definitions.family_prefix",
                "must be 0..200 letters, digits, '-' and '_' (room is left for the step name)",
            )
        if code.log_group is not None:
            check_log_group("code_task_definitions.log_group", code.log_group)
        for name in ("execution_role_arn", "task_role_arn"):
            if getattr(code, name) is not None:
                check_role_arn(f"code_task_definitions.{name}", getattr(code, name))

    def task_definition_defaults(self, region: str | None) -> TaskDefinitionDefaults:
        """The resource's part of every code-defined task definition."""
        code = self.code_task_definitions
        return TaskDefinitionDefaults(
            family_prefix=code.family_prefix,
            log_group=code.log_group,
            log_region=region,
            execution_role_arn=code.execution_role_arn,
            task_role_arn=code.task_role_arn,
        )

    def launch_defaults(self) -> dict[str, Any]:
        """The resource's settings as TaskLaunchSpec fields."""
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

    def watch_settings(self, timeout_seconds: float | None = None) -> WatchSettings:
        return WatchSettings(
            pace=Pace(maximum_seconds=self.poll_interval_seconds),
            missing_grace_seconds=self.missing_grace_seconds,
            timeout_seconds=timeout_seconds,
            events=self.event_settings(),
        )

    def event_settings(self) -> EventSettings:
        """How waits on task events reconcile (checked when the resource is built)."""
        try:
            return EventSettings(
                sweep_seconds=self.task_events_sweep_seconds,
                silence_seconds=self.task_events_silence_seconds,
            )
        except EcsSpecError as error:
            raise EcsSpecError(f"task_events_{error.field}", error.problem) from None
