"""EcsResource's settings: each field described (the UI shows them) and checked when built.

The settings are the lowest level of every launch: a factory's arguments, a run's Launchpad
config and a call's arguments each override them (``ecs.launching.precedence``). A launch setting
takes its description and default from the declaration of launch options
(``ecs.launching.options``); pydantic still needs each field here, for the type. A setting ECS
would refuse fails here, naming the field, before the resource makes any call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dagster import Config
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import ConfigDict, Field, model_validator

from ecs_pipelines.ecs.common import (
    DEFAULT_MAX_ATTEMPTS,
    EcsSpecError,
    Pace,
    iam_role_arn,
    int_range,
    positive_seconds,
)
from ecs_pipelines.ecs.launching import LaunchSettings, check_launch, default_of, describe
from ecs_pipelines.ecs.task_definitions import (
    DEFAULT_FAMILY_PREFIX,
    TaskDefinitionDefaults,
    check_log_group,
)
from ecs_pipelines.ecs.waiting import EventSettings, WatchSettings
from ecs_pipelines.integration.cost_settings import CostSettings
from ecs_pipelines.integration.role_credentials import RoleToAssume

SECRET_FIELDS = frozenset({"aws_secret_access_key", "aws_session_token"})
FAMILY_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,200}")


class CapacityProviderStrategyItem(Config):
    """One entry of RunTask's capacityProviderStrategy."""

    capacity_provider: str = Field(description="Capacity provider name, e.g. FARGATE_SPOT.")
    weight: int = Field(default=1, description="Relative share of tasks, 0..1000.")
    base: int = Field(default=0, description="Minimum number of tasks on this provider, 0..100000.")


def _strategy(items: Sequence[CapacityProviderStrategyItem]) -> tuple[dict[str, Any], ...]:
    """RunTask's capacityProviderStrategy from the resource's items."""
    return tuple(
        {"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base} for i in items
    )


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
    cluster: str = Field(default=default_of("cluster"), description=describe("cluster"))
    task_definition: str | None = Field(default=None, description=describe("task_definition"))
    container_name: str | None = Field(default=None, description=describe("container_name"))
    launch_type: str | None = Field(default=None, description=describe("launch_type"))
    capacity_provider_strategy: list[CapacityProviderStrategyItem] = Field(
        default=[], description=describe("capacity_provider_strategy")
    )
    platform_version: str | None = Field(default=None, description=describe("platform_version"))
    subnets: list[str] = Field(default=[], description=describe("subnets"))
    security_groups: list[str] = Field(default=[], description=describe("security_groups"))
    assign_public_ip: bool | None = Field(default=None, description=describe("assign_public_ip"))
    enable_execute_command: bool = Field(
        default=default_of("enable_execute_command"),
        description=describe("enable_execute_command"),
    )
    propagate_tags: str | None = Field(default=None, description=describe("propagate_tags"))
    tags: dict[str, str] = Field(default=default_of("tags"), description=describe("tags"))
    secret_environment: dict[str, str] = Field(
        default=default_of("secret_environment"), description=describe("secret_environment")
    )
    started_by: str | None = Field(default=None, description=describe("started_by"))
    group: str | None = Field(default=None, description=describe("group"))
    task_role_arn: str | None = Field(default=None, description=describe("task_role_arn"))
    capacity_retry_seconds: float = Field(
        default=default_of("capacity_retry_seconds"), description=describe("capacity_retry_seconds")
    )
    capacity_fallback: list[list[CapacityProviderStrategyItem]] = Field(
        default=[], description=describe("capacity_fallback")
    )
    interruption_relaunches: int = Field(
        default=default_of("interruption_relaunches"),
        description=describe("interruption_relaunches"),
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
    role_arn: str | None = Field(
        default=None,
        description=(
            "IAM role to assume (STS AssumeRole, with the credentials above) for every call: "
            "launches, waits, logs, sensors and ECS Exec act in the role's account. The "
            "temporary credentials are renewed before they expire, however long a wait. "
            "docs/iam-trust-policy.json: the role's trust policy."
        ),
    )
    role_external_id: str | None = Field(
        default=None,
        description="ExternalId for AssumeRole, when the role's trust policy requires one.",
    )
    role_session_name: str = Field(
        default="ecs-pipelines",
        description=(
            "RoleSessionName for AssumeRole (2..64 letters, digits, +=,.@_-): CloudTrail "
            "names the calls made with the role by it."
        ),
    )
    role_duration_seconds: int = Field(
        default=3600,
        description=(
            "DurationSeconds for AssumeRole, 900..43200 (at most the role's maximum session "
            "duration): how long each set of credentials lives before it is renewed."
        ),
    )
    task_events_silence_seconds: float = Field(
        default=60.0,
        description=(
            "With task events: a task no event has named for this long is described directly "
            "(its events may not reach the queue)."
        ),
    )

    cost: CostSettings = Field(
        default_factory=CostSettings,
        description=(
            "What each step's tasks cost and used: Container Insights reads, prices (shipped "
            "table, Price List API, overrides, EC2 prices) and the right-sizing hint."
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
        positive_seconds("poll_interval_seconds", self.poll_interval_seconds)
        int_range("max_attempts", self.max_attempts, 1)
        self.watch_settings()  # checks missing_grace_seconds and the task event settings
        self._check_code_task_definitions()
        self.cost.check()
        self.role_to_assume()  # checks the role settings
        # This level alone, against every RunTask rule; a launch checks the merged levels.
        check_launch(self.launch_settings())
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
                iam_role_arn(f"code_task_definitions.{name}", getattr(code, name))

    def role_to_assume(self) -> RoleToAssume | None:
        """The role every call is made as (checked), or None: the credentials themselves."""
        if self.role_arn is None:
            if self.role_external_id is not None:
                raise EcsSpecError("role_external_id", "needs role_arn (the role to assume)")
            return None
        return RoleToAssume(
            role_arn=self.role_arn,
            session_name=self.role_session_name,
            duration_seconds=self.role_duration_seconds,
            external_id=self.role_external_id,
        ).check()

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

    def launch_settings(self) -> LaunchSettings:
        """The resource's level of every launch: the settings it sets (empty ones unset)."""
        strategy = _strategy(self.capacity_provider_strategy)
        fallback = tuple(_strategy(items) for items in self.capacity_fallback)
        return LaunchSettings(
            cluster=self.cluster,
            task_definition=self.task_definition,
            container_name=self.container_name,
            launch_type=self.launch_type,
            capacity_provider_strategy=strategy or None,
            platform_version=self.platform_version,
            subnets=tuple(self.subnets) or None,
            security_groups=tuple(self.security_groups) or None,
            assign_public_ip=self.assign_public_ip,
            enable_execute_command=self.enable_execute_command,
            propagate_tags=self.propagate_tags,
            tags=dict(self.tags) or None,
            secret_environment=dict(self.secret_environment) or None,
            started_by=self.started_by,
            group=self.group,
            task_role_arn=self.task_role_arn,
            capacity_retry_seconds=self.capacity_retry_seconds,
            capacity_fallback=fallback or None,
            interruption_relaunches=self.interruption_relaunches,
        )

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
