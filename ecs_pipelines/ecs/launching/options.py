"""Every launch option, declared once: its name, RunTask's name for it, its description, its
check, how levels merge it, the kind of value it takes, and whether the Launchpad shows it.

Everything else derives from this table: the resource's field descriptions and defaults, the
op and asset factories' keyword arguments and their Launchpad config (``integration``), the
RunTask names ``run_task`` accepts (``arguments.py``), the merge of the levels
(``precedence.py``) and the check of each option (``checking.py``). Adding a launch option is a
``LaunchSettings`` field, a row here and its place in RunTask's request
(``run_task_request.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ecs_pipelines.ecs.common import (
    MAX_EPHEMERAL_GIB,
    MIN_EPHEMERAL_GIB,
    boolean,
    command_argv,
    environment_map,
    int_range,
    non_empty_string,
    one_of,
    started_by_string,
    tag_map,
)
from ecs_pipelines.ecs.launching import field_checks as checks
from ecs_pipelines.ecs.launching.limits import (
    DEFAULT_CAPACITY_RETRY_SECONDS,
    LAUNCH_TYPES,
    MAX_COUNT,
    MAX_NAME,
    MAX_REFERENCE_ID,
)

FieldCheck = Callable[[str, Any], object]


class Merge(enum.Enum):
    """How the levels' values of an option combine (``precedence.py``)."""

    REPLACE = "the highest level that sets it wins"
    BY_KEY = "merged by key: a key set at a higher level wins"


class Kind(enum.Enum):
    """The kind of value an option takes (the Launchpad maps each to a config type)."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    STRING_LIST = "list of strings"
    STRING_MAP = "mapping of strings"
    OBJECTS = "list of objects, as RunTask takes them"
    CONTAINER_OVERRIDES = "list of ContainerOverride"
    TASK_DEFINITION_SPEC = "TaskDefinitionSpec"


@dataclass(frozen=True)
class LaunchOption:
    """One launch option. ``api_name`` is RunTask's name (dotted: a key inside one of
    RunTask's objects); ``default`` applies when no level sets the option."""

    name: str
    description: str
    kind: Kind
    check: FieldCheck
    api_name: str | None = None
    merge: Merge = Merge.REPLACE
    launchpad: bool = False
    default: Any = None


_VPC = "networkConfiguration.awsvpcConfiguration"

LAUNCH_OPTIONS: tuple[LaunchOption, ...] = (
    LaunchOption(
        "cluster",
        "ECS cluster name or ARN to run tasks in.",
        Kind.STRING,
        checks.cluster,
        "cluster",
        default="default",
    ),
    LaunchOption(
        "task_definition",
        "Task definition to run: family, family:revision or ARN.",
        Kind.STRING,
        non_empty_string,
        "taskDefinition",
        launchpad=True,
    ),
    LaunchOption(
        "task_definition_spec",
        "A task definition described in code (TaskDefinitionSpec: image, command, cpu, memory, "
        "roles, ...), used instead of task_definition: registered once per content (for an op "
        "or asset in the family <resource prefix><op or asset name>) and reused while the "
        "content is unchanged.",
        Kind.TASK_DEFINITION_SPEC,
        checks.task_definition_spec,
    ),
    LaunchOption(
        "container_name",
        "Container that receives command, environment, cpu and memory. Unset: the first "
        "essential container of the task definition.",
        Kind.STRING,
        non_empty_string,
    ),
    LaunchOption(
        "command",
        "Container command override, one list item per argument. Unset: the task "
        "definition's command.",
        Kind.STRING_LIST,
        command_argv,
        launchpad=True,
    ),
    LaunchOption(
        "environment",
        "Extra environment variables for the container, visible in the ECS console and to "
        "DescribeTasks: secrets belong in the task definition's `secrets` (or "
        "secret_environment).",
        Kind.STRING_MAP,
        environment_map,
        merge=Merge.BY_KEY,
        launchpad=True,
        default={},
    ),
    LaunchOption(
        "secret_environment",
        "Environment variables whose values are secret (give them as EnvVar): never logged, "
        "stored, put in metadata or error messages. They travel in RunTask overrides, visible "
        "to DescribeTasks: prefer the task definition's `secrets`.",
        Kind.STRING_MAP,
        environment_map,
        merge=Merge.BY_KEY,
        default={},
    ),
    LaunchOption(
        "cpu",
        "Container CPU units override (1024 = 1 vCPU). Unset: the task definition's.",
        Kind.INTEGER,
        checks.container_cpu,
        launchpad=True,
    ),
    LaunchOption(
        "memory",
        "Container memory hard limit override in MiB. Unset: the task definition's.",
        Kind.INTEGER,
        checks.container_memory,
        launchpad=True,
    ),
    LaunchOption(
        "container_overrides",
        "RunTask's per-container overrides (ContainerOverride: name, command, environment, "
        "cpu, memory, memory_reservation, environment files, resource requirements).",
        Kind.CONTAINER_OVERRIDES,
        checks.container_overrides,
        "overrides.containerOverrides",
    ),
    LaunchOption(
        "task_cpu",
        "Task CPU override: CPU units ('1024') or 'N vCPU'.",
        Kind.STRING,
        checks.task_cpu,
        "overrides.cpu",
    ),
    LaunchOption(
        "task_memory",
        "Task memory override: MiB ('2048') or 'N GB'.",
        Kind.STRING,
        checks.task_memory,
        "overrides.memory",
    ),
    LaunchOption(
        "task_role_arn",
        "Task role override: the containers' AWS identity.",
        Kind.STRING,
        non_empty_string,
        "overrides.taskRoleArn",
    ),
    LaunchOption(
        "execution_role_arn",
        "Task execution role override: pulls images, writes awslogs, reads secrets.",
        Kind.STRING,
        non_empty_string,
        "overrides.executionRoleArn",
    ),
    LaunchOption(
        "ephemeral_storage_gib",
        f"Fargate ephemeral storage override in GiB, {MIN_EPHEMERAL_GIB}..{MAX_EPHEMERAL_GIB}.",
        Kind.INTEGER,
        partial(int_range, low=MIN_EPHEMERAL_GIB, high=MAX_EPHEMERAL_GIB),
        "overrides.ephemeralStorage.sizeInGiB",
    ),
    LaunchOption(
        "count",
        f"Number of tasks to run, 1..{MAX_COUNT}.",
        Kind.INTEGER,
        partial(int_range, low=1, high=MAX_COUNT),
        "count",
        launchpad=True,
        default=1,
    ),
    LaunchOption(
        "started_by",
        "startedBy of the tasks: up to 128 letters, digits, '-', '/', '_'. Ops and assets use "
        "dagster/<run id> unless they set their own.",
        Kind.STRING,
        started_by_string,
        "startedBy",
    ),
    LaunchOption(
        "group",
        f"Task group name (up to {MAX_NAME} characters).",
        Kind.STRING,
        partial(non_empty_string, max_length=MAX_NAME),
        "group",
    ),
    LaunchOption(
        "launch_type",
        "EC2, FARGATE or EXTERNAL; leave unset with a capacity provider strategy.",
        Kind.STRING,
        partial(one_of, allowed=LAUNCH_TYPES),
        "launchType",
    ),
    LaunchOption(
        "capacity_provider_strategy",
        "Capacity providers to launch on (excludes launch_type).",
        Kind.OBJECTS,
        checks.capacity_provider_strategy,
        "capacityProviderStrategy",
    ),
    LaunchOption(
        "platform_version",
        "Fargate platform version, e.g. LATEST or 1.4.0.",
        Kind.STRING,
        non_empty_string,
        "platformVersion",
    ),
    LaunchOption(
        "subnets",
        "Subnet IDs for awsvpc networking.",
        Kind.STRING_LIST,
        checks.subnets,
        f"{_VPC}.subnets",
    ),
    LaunchOption(
        "security_groups",
        "Security group IDs for awsvpc networking (needs subnets).",
        Kind.STRING_LIST,
        checks.security_groups,
        f"{_VPC}.securityGroups",
    ),
    LaunchOption(
        "assign_public_ip",
        "Give the task's ENI a public IP (awsvpc; needs subnets).",
        Kind.BOOLEAN,
        boolean,
        f"{_VPC}.assignPublicIp",
    ),
    LaunchOption(
        "placement_constraints",
        "Task placement constraints (not on Fargate), as RunTask takes them.",
        Kind.OBJECTS,
        checks.placement_constraints,
        "placementConstraints",
    ),
    LaunchOption(
        "placement_strategy",
        "Task placement strategy (not on Fargate), as RunTask takes it.",
        Kind.OBJECTS,
        checks.placement_strategy,
        "placementStrategy",
    ),
    LaunchOption(
        "tags",
        "Tags put on the tasks launched (the tags of every level, merged by key).",
        Kind.STRING_MAP,
        tag_map,
        "tags",
        merge=Merge.BY_KEY,
        default={},
    ),
    LaunchOption(
        "propagate_tags",
        "TASK_DEFINITION or NONE (SERVICE is not valid for RunTask).",
        Kind.STRING,
        checks.propagate_tags,
        "propagateTags",
    ),
    LaunchOption(
        "enable_execute_command",
        "Launch tasks with ECS Exec enabled (needs a task role with ssmmessages permissions).",
        Kind.BOOLEAN,
        boolean,
        "enableExecuteCommand",
        launchpad=True,
        default=False,
    ),
    LaunchOption(
        "enable_ecs_managed_tags",
        "Have ECS add its managed tags (the cluster's name) to the tasks.",
        Kind.BOOLEAN,
        boolean,
        "enableECSManagedTags",
    ),
    LaunchOption(
        "volume_configurations",
        "Volumes configured at launch (Amazon EBS), as RunTask takes them.",
        Kind.OBJECTS,
        checks.volume_configurations,
        "volumeConfigurations",
    ),
    LaunchOption(
        "reference_id",
        f"A reference id for the launch (up to {MAX_REFERENCE_ID} characters).",
        Kind.STRING,
        partial(non_empty_string, max_length=MAX_REFERENCE_ID),
        "referenceId",
    ),
    LaunchOption(
        "client_token",
        "Idempotency token, 1..64 printable characters: a launch with a token already used "
        "on the cluster in the last 24 hours starts nothing new.",
        Kind.STRING,
        checks.client_token,
        "clientToken",
    ),
    LaunchOption(
        "capacity_retry_seconds",
        "How long a launch keeps trying when ECS refuses it for a reason that passes (no "
        "capacity, throttling, an EC2 instance short of CPU or memory), with jittered pauses; "
        "0: no retry. A refusal that cannot pass (a bad task definition or role) fails at once.",
        Kind.NUMBER,
        checks.retry_budget,
        launchpad=True,
        default=DEFAULT_CAPACITY_RETRY_SECONDS,
    ),
)

OPTIONS: dict[str, LaunchOption] = {option.name: option for option in LAUNCH_OPTIONS}
# RunTask's top-level parameters -> the option each one is (nested ones are parsed with
# their object: networkConfiguration, overrides).
API_NAMES: dict[str, str] = {
    option.api_name: option.name
    for option in LAUNCH_OPTIONS
    if option.api_name is not None and "." not in option.api_name
}


def describe(name: str) -> str:
    """The one description of launch option ``name``."""
    return OPTIONS[name].description


def default_of(name: str) -> Any:
    """What applies when no level sets launch option ``name`` (a fresh copy)."""
    default = OPTIONS[name].default
    return type(default)(default) if isinstance(default, dict | list) else default
