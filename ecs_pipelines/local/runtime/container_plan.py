"""What each container of a task runs: argv, environment, log target, stop timeout.

Pure functions over ECS-shaped dictionaries (a task definition as DescribeTaskDefinition returns
it, RunTask ``overrides``), so the rules are testable without processes or moto.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import cluster_name, task_id
from ecs_pipelines.local.contract import NO_TASK_FAULTS, NewTask, TaskFaults
from ecs_pipelines.local.runtime.container_order import Dependency
from ecs_pipelines.local.runtime.health_checks import HealthCheck, parse_health_check

# ECS's default when a container definition sets no stopTimeout.
DEFAULT_STOP_TIMEOUT_SECONDS = 30.0
# "ECS_CONTAINER_METADATA_URI_V4: This environment variable is injected into each container in
# a task" (ECS developer guide, "Amazon ECS task metadata endpoint version 4").
METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"
# Where the SDKs fetch a task role's credentials (``task_credentials`` says why not the
# RELATIVE_URI ECS sets), and the endpoint every SDK call of a task goes to.
CREDENTIALS_VARIABLE = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
# The secret the SDKs send with it, as the Authorization header (``task_credentials``).
AUTHORIZATION_TOKEN_VARIABLE = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
# Where the server answers it: <endpoint><CREDENTIALS_PATH><the container's runtime id>.
CREDENTIALS_PATH = "/_local/credentials/"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"


@dataclass(frozen=True)
class LogTarget:
    """Where the awslogs driver would ship a container's stdout/stderr."""

    account_id: str
    region: str
    group: str
    stream: str


@dataclass(frozen=True)
class ContainerSpec:
    """One container of a task, resolved from the task definition and RunTask's overrides."""

    name: str
    container_arn: str
    runtime_id: str
    image: str
    argv: tuple[str, ...]
    environment: Mapping[str, str]
    essential: bool
    stop_timeout: float
    log: LogTarget | None
    cpu: int = 0
    memory: int | None = None
    # (environment variable, valueFrom) of the container definition's ``secrets``.
    secrets: tuple[tuple[str, str], ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    health_check: HealthCheck | None = None
    log_driver: str | None = None
    log_options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskLaunch:
    """Everything the runner needs to start one task; immutable once RunTask answered."""

    task_arn: str
    cluster_arn: str
    region: str
    containers: tuple[ContainerSpec, ...]
    enable_execute_command: bool
    task_role_arn: str | None
    task_definition_arn: str = ""
    launch_type: str = "FARGATE"
    availability_zone: str = ""
    network_mode: str = "awsvpc"
    network_interface: Mapping[str, str] = field(default_factory=dict)
    cpu: str | None = None
    memory: str | None = None
    container_insights: bool = False
    faults: TaskFaults = NO_TASK_FAULTS  # what the fault plan does to the task

    @property
    def task_id(self) -> str:
        return task_id(self.task_arn)


def docker_style_exit_code(returncode: int) -> int:
    """Map a Popen return code to what Docker reports: killed by signal N -> 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _env_list_to_dict(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(e["name"]): str(e.get("value", "")) for e in entries or [] if "name" in e}


def _container_overrides(overrides: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for item in (overrides or {}).get("containerOverrides") or []:
        if item.get("name"):
            found[str(item["name"])] = item
    return found


def log_target(
    container_def: Mapping[str, Any],
    *,
    task_arn: str,
    runtime_id: str,
    default_region: str,
) -> LogTarget | None:
    """The awslogs group and stream of a container, or None when it does not use awslogs.

    The stream is ``prefix/container-name/task-id`` as ECS names it; without a prefix ECS uses
    the container's runtime id.
    """
    config = container_def.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return None
    options = config.get("options") or {}
    group = options.get("awslogs-group")
    if not group:
        return None
    prefix = options.get("awslogs-stream-prefix")
    stream = f"{prefix}/{container_def['name']}/{task_id(task_arn)}" if prefix else runtime_id
    return LogTarget(
        account_id=task_arn.split(":")[4],
        region=str(options.get("awslogs-region") or default_region),
        group=str(group),
        stream=stream,
    )


def build_task_launch(
    task: NewTask,
    *,
    base_environment: Mapping[str, str],
    metadata_url: str | None = None,
    credentials_url: str | None = None,
) -> TaskLaunch:
    """Resolve every container of the task's definition with RunTask's ``overrides`` applied.

    Environment precedence, lowest first: ``base_environment`` (the host PATH and ECS's own
    variables), the container definition's ``environment``, the override's ``environment``.
    A ``command`` override replaces the command; the entryPoint stays. With ``metadata_url``
    each container gets its task metadata endpoint, ``<metadata_url>/<runtime id>``; with
    ``credentials_url`` and a task role, its credentials endpoint, ``<credentials_url>/<runtime
    id>``, and the token that endpoint asks for.
    """
    task_arn, task_definition, overrides = task.task_arn, task.task_definition, task.overrides
    task_role_arn = (overrides or {}).get("taskRoleArn") or task_definition.get("taskRoleArn")
    region = task.region
    own_id = task_id(task_arn)
    cluster = cluster_name(task.cluster_arn)
    arn_prefix = task_arn.split(":task/", 1)[0]
    per_container = _container_overrides(overrides)
    containers: list[ContainerSpec] = []
    for container_def in task_definition.get("containerDefinitions") or []:
        name = str(container_def["name"])
        override = per_container.get(name, {})
        command = override.get("command")
        if command is None:
            command = container_def.get("command") or []
        argv = tuple(str(part) for part in [*(container_def.get("entryPoint") or []), *command])
        environment = dict(base_environment)
        environment.update(_env_list_to_dict(container_def.get("environment")))
        environment.update(_env_list_to_dict(override.get("environment")))
        runtime_id = secrets.token_hex(32)
        if metadata_url:
            environment[METADATA_VARIABLE] = f"{metadata_url}/{runtime_id}"
        if credentials_url and task_role_arn:
            environment[CREDENTIALS_VARIABLE] = f"{credentials_url}/{runtime_id}"
            environment[AUTHORIZATION_TOKEN_VARIABLE] = secrets.token_urlsafe(32)
        stop_timeout = container_def.get("stopTimeout")
        containers.append(
            ContainerSpec(
                name=name,
                container_arn=f"{arn_prefix}:container/{cluster}/{own_id}/{secrets.token_hex(16)}",
                runtime_id=runtime_id,
                image=str(container_def.get("image", "")),
                argv=argv,
                environment=environment,
                essential=bool(container_def.get("essential", True)),
                stop_timeout=float(
                    DEFAULT_STOP_TIMEOUT_SECONDS if stop_timeout is None else stop_timeout
                ),
                log=log_target(
                    container_def, task_arn=task_arn, runtime_id=runtime_id, default_region=region
                ),
                cpu=int(container_def.get("cpu") or 0),
                memory=container_def.get("memory"),
                secrets=tuple(
                    (str(s["name"]), str(s["valueFrom"]))
                    for s in container_def.get("secrets") or []
                    if s.get("name") and s.get("valueFrom")
                ),
                depends_on=tuple(
                    Dependency(str(d["containerName"]), str(d["condition"]))
                    for d in container_def.get("dependsOn") or []
                    if d.get("containerName") and d.get("condition")
                ),
                health_check=parse_health_check(container_def.get("healthCheck")),
                log_driver=(container_def.get("logConfiguration") or {}).get("logDriver"),
                log_options=dict(
                    (container_def.get("logConfiguration") or {}).get("options") or {}
                ),
            )
        )
    return TaskLaunch(
        task_arn=task_arn,
        cluster_arn=task.cluster_arn,
        region=region,
        containers=tuple(containers),
        enable_execute_command=task.enable_execute_command,
        task_role_arn=task_role_arn,
        task_definition_arn=str(task_definition.get("taskDefinitionArn") or ""),
        launch_type=task.launch_type,
        availability_zone=task.availability_zone,
        network_mode=str(task_definition.get("networkMode") or "bridge"),
        network_interface=dict(task.network_interface or {}),
        cpu=(overrides or {}).get("cpu") or task_definition.get("cpu"),
        memory=(overrides or {}).get("memory") or task_definition.get("memory"),
        container_insights=task.container_insights,
        faults=task.faults,
    )
