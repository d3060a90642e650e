"""What to launch: a frozen task launch spec and its translation to RunTask kwargs.

``TaskLaunchSpec`` names every RunTask option in Python spelling; ``to_run_task_kwargs`` checks
it against the ECS limits (``limits.py``) and returns the kwargs for boto3's
``ecs.run_task(**kwargs)``, leaving out every option that is not set so that ECS (or the task
definition) supplies its own default. Pure: no I/O, no boto3 import.

To make a launch idempotent, set a client token derived from what identifies the launch::

    spec = dataclasses.replace(spec, client_token=derive_client_token(run_id, step_key))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common.arns import tag_list
from ecs_pipelines.ecs.common.errors import EcsSpecError
from ecs_pipelines.ecs.launching.limits import check_overrides_size, check_spec

__all__ = [
    "ContainerOverride",
    "TaskLaunchSpec",
    "derive_client_token",
    "to_run_task_kwargs",
    "validate",
]


@dataclass(frozen=True)
class ContainerOverride:
    """Per-container overrides; ``name`` must match a container in the task definition."""

    name: str
    command: Sequence[str] | None = None
    environment: Mapping[str, str] | None = None
    cpu: int | None = None  # CPU units
    memory: int | None = None  # hard limit, MiB
    memory_reservation: int | None = None  # soft limit, MiB
    environment_files: Sequence[Mapping[str, Any]] = ()  # [{"value": S3 ARN, "type": "s3"}]
    resource_requirements: Sequence[Mapping[str, Any]] = ()  # [{"value": "1", "type": "GPU"}]


@dataclass(frozen=True)
class TaskLaunchSpec:
    """Every RunTask option; ``None`` / empty means "not set, let ECS decide"."""

    cluster: str
    task_definition: str  # family, family:revision or ARN
    container_overrides: Sequence[ContainerOverride] = ()
    task_cpu: str | None = None  # task-level overrides.cpu: "1024" or "1 vCPU"
    task_memory: str | None = None  # task-level overrides.memory: "2048" or "2 GB"
    task_role_arn: str | None = None
    execution_role_arn: str | None = None
    ephemeral_storage_gib: int | None = None  # Fargate only, 21..200
    count: int = 1
    started_by: str | None = None
    group: str | None = None
    launch_type: str | None = None  # EC2 | FARGATE | EXTERNAL | MANAGED_INSTANCES
    capacity_provider_strategy: Sequence[Mapping[str, Any]] = ()  # capacityProvider/weight/base
    platform_version: str | None = None
    subnets: Sequence[str] = ()
    security_groups: Sequence[str] = ()
    assign_public_ip: bool | None = None  # -> "ENABLED" / "DISABLED"
    placement_constraints: Sequence[Mapping[str, Any]] = ()
    placement_strategy: Sequence[Mapping[str, Any]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    propagate_tags: str | None = None  # TASK_DEFINITION | NONE
    enable_execute_command: bool = False
    enable_ecs_managed_tags: bool | None = None
    volume_configurations: Sequence[Mapping[str, Any]] = ()
    reference_id: str | None = None
    client_token: str | None = None


def validate(spec: TaskLaunchSpec) -> None:
    """Raises ``EcsSpecError`` naming the first field that breaks an ECS limit."""
    check_spec(spec)
    overrides = _overrides(spec)
    if overrides:
        check_overrides_size(overrides)


def to_run_task_kwargs(spec: TaskLaunchSpec) -> dict[str, Any]:
    """Validates ``spec`` and returns ``run_task`` kwargs; unset options are left out.

    ``count`` is always present (it has a value, 1 by default); ``enableExecuteCommand`` only
    when true, since false is the ECS default.
    """
    validate(spec)
    kwargs: dict[str, Any] = {
        "cluster": spec.cluster,
        "taskDefinition": spec.task_definition,
        "count": spec.count,
    }
    overrides = _overrides(spec)
    if overrides:
        kwargs["overrides"] = overrides
    optional: dict[str, Any] = {
        "startedBy": spec.started_by,
        "group": spec.group,
        "launchType": spec.launch_type,
        "platformVersion": spec.platform_version,
        "propagateTags": spec.propagate_tags,
        "enableECSManagedTags": spec.enable_ecs_managed_tags,
        "referenceId": spec.reference_id,
        "clientToken": spec.client_token,
    }
    _put_present(kwargs, optional)
    _put_lists(
        kwargs,
        {
            "capacityProviderStrategy": spec.capacity_provider_strategy,
            "placementConstraints": spec.placement_constraints,
            "placementStrategy": spec.placement_strategy,
            "volumeConfigurations": spec.volume_configurations,
            "tags": tag_list(spec.tags),
        },
    )
    if spec.subnets:
        kwargs["networkConfiguration"] = {"awsvpcConfiguration": _awsvpc(spec)}
    if spec.enable_execute_command:
        kwargs["enableExecuteCommand"] = True
    return kwargs


def _put_present(target: dict[str, Any], values: Mapping[str, Any]) -> None:
    """Adds the values that are set: an unset RunTask option is left for ECS to decide."""
    target.update({key: value for key, value in values.items() if value is not None})


def _put_lists(target: dict[str, Any], lists: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Adds the lists that are not empty, each item as a plain dict."""
    target.update({key: [dict(item) for item in items] for key, items in lists.items() if items})


def _awsvpc(spec: TaskLaunchSpec) -> dict[str, Any]:
    config: dict[str, Any] = {"subnets": list(spec.subnets)}
    if spec.security_groups:
        config["securityGroups"] = list(spec.security_groups)
    if spec.assign_public_ip is not None:
        config["assignPublicIp"] = "ENABLED" if spec.assign_public_ip else "DISABLED"
    return config


def _overrides(spec: TaskLaunchSpec) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if spec.container_overrides:
        overrides["containerOverrides"] = [_container(c) for c in spec.container_overrides]
    task_level = {
        "cpu": spec.task_cpu,
        "memory": spec.task_memory,
        "taskRoleArn": spec.task_role_arn,
        "executionRoleArn": spec.execution_role_arn,
    }
    _put_present(overrides, task_level)
    if spec.ephemeral_storage_gib is not None:
        overrides["ephemeralStorage"] = {"sizeInGiB": spec.ephemeral_storage_gib}
    return overrides


def _container(override: ContainerOverride) -> dict[str, Any]:
    container: dict[str, Any] = {"name": override.name}
    if override.command is not None:
        container["command"] = list(override.command)
    if override.environment is not None:
        container["environment"] = [
            {"name": name, "value": value} for name, value in override.environment.items()
        ]
    sizes = {
        "cpu": override.cpu,
        "memory": override.memory,
        "memoryReservation": override.memory_reservation,
    }
    _put_present(container, sizes)
    _put_lists(
        container,
        {
            "environmentFiles": override.environment_files,
            "resourceRequirements": override.resource_requirements,
        },
    )
    return container


def derive_client_token(*parts: str) -> str:
    """Returns a stable RunTask clientToken (64 hex characters) for the given parts.

    The parts (run id, step key, asset key, partition...) together easily pass the 64-character
    limit and may hold characters a token may not, so they are hashed rather than joined.
    They are JSON-encoded first so that ("ab", "c") and ("a", "bc") give different tokens.
    """
    if not parts:
        raise EcsSpecError("client_token", "needs at least one part to derive a token from")
    if not all(isinstance(part, str) for part in parts):
        raise EcsSpecError("client_token", "parts must be strings")
    encoded = json.dumps(list(parts), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()
