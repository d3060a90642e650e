"""Launch settings as RunTask's request, typed as boto3's: a translation, pure, no checks.

``build_request`` is called once per launch, by the plan (``plan.py``), after the settings
were checked and the task definition and its container resolved. Every option that is not
set is left out, so that ECS (or the task definition) supplies its own default.
``placed_overrides`` puts command, environment, cpu and memory on the container they go to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

from ecs_pipelines.ecs.launching.options import default_of
from ecs_pipelines.ecs.launching.settings import ContainerOverride, LaunchSettings

if TYPE_CHECKING:
    from mypy_boto3_ecs.literals import AssignPublicIpType, LaunchTypeType, PropagateTagsType
    from mypy_boto3_ecs.type_defs import (
        AwsVpcConfigurationTypeDef,
        CapacityProviderStrategyItemTypeDef,
        ContainerOverrideTypeDef,
        EnvironmentFileTypeDef,
        PlacementConstraintTypeDef,
        PlacementStrategyTypeDef,
        ResourceRequirementTypeDef,
        RunTaskRequestTypeDef,
        TaskOverrideTypeDef,
        TaskVolumeConfigurationTypeDef,
    )


def placed_overrides(
    settings: LaunchSettings, container: str | None
) -> tuple[ContainerOverride, ...]:
    """RunTask's container overrides, with command, environment (the secret variables
    included; a plain variable of the same name wins), cpu and memory on ``container``'s."""
    overrides = tuple(settings.container_overrides or ())
    if not settings.targets_container or container is None:
        return overrides
    secret = settings.secret_environment or {}
    environment = (
        None
        if settings.environment is None and not secret
        else {**secret, **(settings.environment or {})}
    )
    target = next((o for o in overrides if o.name == container), None)
    placed = dataclasses.replace(
        target or ContainerOverride(container),
        command=tuple(settings.command) if settings.command is not None else None,
        environment=environment,
        cpu=settings.cpu,
        memory=settings.memory,
    )
    if target is not None:  # the call's values on top of RunTask's override of that container
        placed = dataclasses.replace(
            placed,
            command=target.command if placed.command is None else placed.command,
            environment={**(target.environment or {}), **(environment or {})} or None,
            cpu=target.cpu if placed.cpu is None else placed.cpu,
            memory=target.memory if placed.memory is None else placed.memory,
        )
        return tuple(placed if o is target else o for o in overrides)
    return (*overrides, placed)


def build_request(
    settings: LaunchSettings, *, task_definition: str, container: str | None
) -> RunTaskRequestTypeDef:
    """RunTask's request for ``settings`` (checked already) launching ``task_definition``.

    ``count`` is always present (1 unless set); ``enableExecuteCommand`` only when true,
    since false is ECS's default.
    """
    request: RunTaskRequestTypeDef = {
        "cluster": settings.cluster or default_of("cluster"),
        "taskDefinition": task_definition,
        "count": settings.count if settings.count is not None else default_of("count"),
    }
    overrides = task_overrides(settings, container)
    if overrides:
        request["overrides"] = overrides
    if settings.started_by is not None:
        request["startedBy"] = settings.started_by
    if settings.group is not None:
        request["group"] = settings.group
    if settings.launch_type is not None:
        request["launchType"] = cast("LaunchTypeType", settings.launch_type)
    if settings.platform_version is not None:
        request["platformVersion"] = settings.platform_version
    if settings.propagate_tags is not None:
        request["propagateTags"] = cast("PropagateTagsType", settings.propagate_tags)
    if settings.enable_ecs_managed_tags is not None:
        request["enableECSManagedTags"] = settings.enable_ecs_managed_tags
    if settings.reference_id is not None:
        request["referenceId"] = settings.reference_id
    if settings.client_token is not None:
        request["clientToken"] = settings.client_token
    # Lists of objects were checked with their option; each item is copied, so that a
    # change to the request never reaches the settings.
    if settings.capacity_provider_strategy:
        request["capacityProviderStrategy"] = cast(
            "list[CapacityProviderStrategyItemTypeDef]",
            _copies(settings.capacity_provider_strategy),
        )
    if settings.placement_constraints:
        request["placementConstraints"] = cast(
            "list[PlacementConstraintTypeDef]", _copies(settings.placement_constraints)
        )
    if settings.placement_strategy:
        request["placementStrategy"] = cast(
            "list[PlacementStrategyTypeDef]", _copies(settings.placement_strategy)
        )
    if settings.volume_configurations:
        request["volumeConfigurations"] = cast(
            "list[TaskVolumeConfigurationTypeDef]", _copies(settings.volume_configurations)
        )
    if settings.tags:
        request["tags"] = [{"key": key, "value": value} for key, value in settings.tags.items()]
    if settings.subnets:
        request["networkConfiguration"] = {"awsvpcConfiguration": _awsvpc(settings)}
    if settings.enable_execute_command:
        request["enableExecuteCommand"] = True
    return request


def _copies(items: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    return [dict(item) for item in items]


def _awsvpc(settings: LaunchSettings) -> AwsVpcConfigurationTypeDef:
    config: AwsVpcConfigurationTypeDef = {"subnets": list(settings.subnets or ())}
    if settings.security_groups:
        config["securityGroups"] = list(settings.security_groups)
    if settings.assign_public_ip is not None:
        public_ip = "ENABLED" if settings.assign_public_ip else "DISABLED"
        config["assignPublicIp"] = cast("AssignPublicIpType", public_ip)
    return config


def task_overrides(settings: LaunchSettings, container: str | None) -> TaskOverrideTypeDef:
    """RunTask's ``overrides``: every container's, then the task's own; {} when none."""
    overrides: TaskOverrideTypeDef = {}
    containers = placed_overrides(settings, container)
    if containers:
        overrides["containerOverrides"] = [_container(c) for c in containers]
    if settings.task_cpu is not None:
        overrides["cpu"] = settings.task_cpu
    if settings.task_memory is not None:
        overrides["memory"] = settings.task_memory
    if settings.task_role_arn is not None:
        overrides["taskRoleArn"] = settings.task_role_arn
    if settings.execution_role_arn is not None:
        overrides["executionRoleArn"] = settings.execution_role_arn
    if settings.ephemeral_storage_gib is not None:
        overrides["ephemeralStorage"] = {"sizeInGiB": settings.ephemeral_storage_gib}
    return overrides


def _container(override: ContainerOverride) -> ContainerOverrideTypeDef:
    container: ContainerOverrideTypeDef = {"name": override.name}
    if override.command is not None:
        container["command"] = list(override.command)
    if override.environment is not None:
        container["environment"] = [
            {"name": name, "value": value} for name, value in override.environment.items()
        ]
    if override.cpu is not None:
        container["cpu"] = override.cpu
    if override.memory is not None:
        container["memory"] = override.memory
    if override.memory_reservation is not None:
        container["memoryReservation"] = override.memory_reservation
    if override.environment_files:
        container["environmentFiles"] = cast(
            "list[EnvironmentFileTypeDef]", _copies(override.environment_files)
        )
    if override.resource_requirements:
        container["resourceRequirements"] = cast(
            "list[ResourceRequirementTypeDef]", _copies(override.resource_requirements)
        )
    return container
