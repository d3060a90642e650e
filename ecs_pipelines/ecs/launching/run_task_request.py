"""A TaskLaunchSpec as RunTask's request: checked against every ECS limit, then translated.

``to_run_task_kwargs`` returns the kwargs for boto3's ``ecs.run_task(**kwargs)``, leaving out
every option that is not set so that ECS (or the task definition) supplies its own default.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.common import tag_list
from ecs_pipelines.ecs.launching.limits import check_overrides_size, check_spec
from ecs_pipelines.ecs.launching.spec import ContainerOverride, TaskLaunchSpec


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
