"""Pure: one call's arguments, by either spelling, parsed once into ``LaunchSettings``.

``run_task`` and its siblings take every launch option by this project's name
(``launch_type``) or by RunTask's (``launchType``), and RunTask's own objects as RunTask takes
them (``overrides={...}``, ``networkConfiguration={...}``, tags as ``[{"key", "value"}]``).
``settings_from_arguments`` turns them into the call's level of launch settings, the only form
they take from there on; ``LaunchArguments`` types them for the caller.

Parsing never coerces: a value of the wrong shape is refused, naming the field, rather than
turned into something else (``"echo hi"`` into seven one-letter arguments, ``None`` into the
tag value ``"None"``, ``"enabled"`` into DISABLED). Each option is checked by its declared
check later, with the merged settings (``checking.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from ecs_pipelines.ecs.common import (
    EcsSpecError,
    command_argv,
    environment_map,
    list_of,
    mapping,
    one_of,
    string_list,
)
from ecs_pipelines.ecs.launching.options import API_NAMES
from ecs_pipelines.ecs.launching.settings import (
    ContainerOverride,
    LaunchSettings,
    override_of,
    setting_names,
    settings_of,
)
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec

if TYPE_CHECKING:
    from mypy_boto3_ecs.literals import LaunchTypeType, PropagateTagsType
    from mypy_boto3_ecs.type_defs import (
        CapacityProviderStrategyItemTypeDef,
        NetworkConfigurationTypeDef,
        PlacementConstraintTypeDef,
        PlacementStrategyTypeDef,
        TagTypeDef,
        TaskOverrideTypeDef,
        TaskVolumeConfigurationTypeDef,
    )

SETTING_NAMES = frozenset(setting_names())
# RunTask's objects, parsed with what they hold.
API_OBJECTS = frozenset({"overrides", "networkConfiguration"})
# RunTask overrides (TaskOverride in botocore's ECS model). inferenceAcceleratorOverrides is
# left out: Elastic Inference no longer accepts customers, and dropping it silently would hide
# a setting the caller believes applied.
TASK_OVERRIDE_KEYS = {
    "containerOverrides": None,
    "cpu": "task_cpu",
    "memory": "task_memory",
    "taskRoleArn": "task_role_arn",
    "executionRoleArn": "execution_role_arn",
    "ephemeralStorage": None,
}
CONTAINER_OVERRIDE_KEYS = {
    "name": "name",
    "command": "command",
    "environment": "environment",
    "cpu": "cpu",
    "memory": "memory",
    "memoryReservation": "memory_reservation",
    "environmentFiles": "environment_files",
    "resourceRequirements": "resource_requirements",
}
ASSIGN_PUBLIC_IP = {"ENABLED": True, "DISABLED": False}


def _known_keys(field: str, value: Mapping[str, Any], allowed: Mapping[str, Any]) -> None:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise EcsSpecError(field, f"unknown keys {unknown}; allowed: {sorted(allowed)}")


def tags_to_dict(tags: object, field: str = "tags") -> dict[str, str]:
    """Tags as a dict, from a dict or RunTask's ``[{"key": k, "value": v}]`` list; keys and
    values must be strings (a None value is refused, not sent as "None")."""
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        pairs = list(tags.items())
    else:
        pairs = []
        for index, tag in enumerate(list_of(field, tags)):
            item = mapping(f"{field}[{index}]", tag)
            _known_keys(f"{field}[{index}]", item, {"key": 0, "value": 0})
            pairs.append((item.get("key"), item.get("value", "")))
    result: dict[str, str] = {}
    for key, value in pairs:
        if not isinstance(key, str) or not key:
            raise EcsSpecError(field, f"keys must be non-empty strings, got {key!r}")
        if not isinstance(value, str):
            raise EcsSpecError(
                f"{field}[{key}]", f"value must be a string, got {type(value).__name__}"
            )
        result[key] = value
    return result


def _environmentlist_of(field: str, value: object) -> dict[str, str]:
    env: dict[str, str] = {}
    for index, entry in enumerate(list_of(field, value)):
        item = mapping(f"{field}[{index}]", entry)
        _known_keys(f"{field}[{index}]", item, {"name": 0, "value": 0})
        name, item_value = item.get("name"), item.get("value", "")
        if not isinstance(name, str) or not name:
            raise EcsSpecError(f"{field}[{index}].name", "must be a non-empty string")
        if not isinstance(item_value, str):
            raise EcsSpecError(
                f"{field}[{name}]", f"must be a string, got {type(item_value).__name__}"
            )
        env[name] = item_value
    return env


def _container_override(field: str, raw: object) -> ContainerOverride:
    item = mapping(field, raw)
    _known_keys(field, item, CONTAINER_OVERRIDE_KEYS)
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise EcsSpecError(f"{field}.name", "is required: the container to override")
    where = f"containerOverrides[{name}]"
    fields: dict[str, object] = {"name": name}
    if "command" in item:
        fields["command"] = command_argv(f"{where}.command", item["command"])
    if "environment" in item:
        fields["environment"] = _environmentlist_of(f"{where}.environment", item["environment"])
    for key in ("environmentFiles", "resourceRequirements"):
        if key in item:
            items = list_of(f"{where}.{key}", item[key])
            for index, entry in enumerate(items):
                mapping(f"{where}.{key}[{index}]", entry)
            fields[CONTAINER_OVERRIDE_KEYS[key]] = tuple(dict(e) for e in items)
    for key in ("cpu", "memory", "memoryReservation"):
        if key in item:
            fields[CONTAINER_OVERRIDE_KEYS[key]] = item[key]  # checked with container_overrides
    return override_of(fields)


def overrides_to_fields(overrides: object) -> dict[str, object]:
    """RunTask's ``overrides`` object -> launch settings."""
    given = mapping("overrides", overrides)
    _known_keys("overrides", given, TASK_OVERRIDE_KEYS)
    fields: dict[str, object] = {}
    if "containerOverrides" in given:
        items = list_of("overrides.containerOverrides", given["containerOverrides"])
        fields["container_overrides"] = tuple(
            _container_override(f"overrides.containerOverrides[{i}]", item)
            for i, item in enumerate(items)
        )
    for api, name in TASK_OVERRIDE_KEYS.items():
        if name is not None and api in given:
            fields[name] = given[api]
    if "ephemeralStorage" in given:
        storage = mapping("overrides.ephemeralStorage", given["ephemeralStorage"])
        _known_keys("overrides.ephemeralStorage", storage, {"sizeInGiB": 0})
        fields["ephemeral_storage_gib"] = storage.get("sizeInGiB")
    return fields


def network_to_fields(network: object) -> dict[str, object]:
    """RunTask's ``networkConfiguration`` -> launch settings. It replaces the awsvpc
    configuration of the levels below as a whole, as it does in RunTask."""
    given = mapping("networkConfiguration", network)
    _known_keys("networkConfiguration", given, {"awsvpcConfiguration": 0})
    where = "networkConfiguration.awsvpcConfiguration"
    vpc = mapping(where, given.get("awsvpcConfiguration", {}))
    _known_keys(where, vpc, {"subnets": 0, "securityGroups": 0, "assignPublicIp": 0})
    fields: dict[str, object] = {
        "subnets": tuple(string_list(f"{where}.subnets", vpc.get("subnets", ()))),
        "security_groups": tuple(
            string_list(f"{where}.securityGroups", vpc.get("securityGroups", ()))
        ),
    }
    if "assignPublicIp" in vpc:
        value = one_of(f"{where}.assignPublicIp", vpc["assignPublicIp"], ASSIGN_PUBLIC_IP)
        fields["assign_public_ip"] = ASSIGN_PUBLIC_IP[value]
    return fields


def argument_names() -> frozenset[str]:
    """Every name an argument may have: each option's, RunTask's and RunTask's objects'."""
    return SETTING_NAMES | frozenset(API_NAMES) | API_OBJECTS


def settings_from_arguments(arguments: Mapping[str, object]) -> LaunchSettings:
    """A call's arguments (project or RunTask names; None: not given) as launch settings.

    An option given twice, by both spellings, is refused rather than one of them dropped."""
    fields: dict[str, object] = {}
    given_as: dict[str, str] = {}
    for key, value in arguments.items():
        if value is None:
            continue
        for name, parsed in _parse(key, value).items():
            if parsed is None:  # e.g. overrides={"cpu": None}
                continue
            if name in given_as:
                raise EcsSpecError(
                    key, f"sets {name}, which {given_as[name]} sets too: give it once"
                )
            given_as[name] = key
            fields[name] = parsed
    return settings_of(fields)


def _parse(key: str, value: object) -> dict[str, object]:
    if key == "networkConfiguration":
        return network_to_fields(value)
    if key == "overrides":
        return overrides_to_fields(value)
    if key == "tags":
        return {"tags": tags_to_dict(value)}
    if key == "command":
        return {"command": tuple(command_argv("command", value))}
    if key in ("environment", "secret_environment"):
        return {key: environment_map(key, value)}
    name = API_NAMES.get(key, key)
    if name not in SETTING_NAMES:
        raise EcsSpecError(key, "is not a RunTask option this resource knows")
    # Lists are kept as tuples (the settings are immutable); any other shape is kept as
    # given, for the option's check to refuse.
    return {name: tuple(value) if isinstance(value, list) else value}


class LaunchArguments(TypedDict, total=False):
    """Every argument ``run_task`` takes, by the project's names and by RunTask's own (where
    they differ). None leaves an option to the resource."""

    cluster: str | None
    task_definition: str | None
    taskDefinition: str | None
    task_definition_spec: TaskDefinitionSpec | None
    container_name: str | None
    command: Sequence[str] | None
    environment: Mapping[str, str] | None
    secret_environment: Mapping[str, str] | None
    cpu: int | None
    memory: int | None
    overrides: TaskOverrideTypeDef | Mapping[str, Any] | None
    container_overrides: Sequence[ContainerOverride] | None
    task_cpu: str | None
    task_memory: str | None
    task_role_arn: str | None
    execution_role_arn: str | None
    ephemeral_storage_gib: int | None
    count: int | None
    started_by: str | None
    startedBy: str | None
    group: str | None
    launch_type: str | None
    launchType: LaunchTypeType | None
    capacity_provider_strategy: Sequence[Mapping[str, Any]] | None
    capacityProviderStrategy: Sequence[CapacityProviderStrategyItemTypeDef] | None
    platform_version: str | None
    platformVersion: str | None
    networkConfiguration: NetworkConfigurationTypeDef | Mapping[str, Any] | None
    subnets: Sequence[str] | None
    security_groups: Sequence[str] | None
    assign_public_ip: bool | None
    placement_constraints: Sequence[Mapping[str, Any]] | None
    placementConstraints: Sequence[PlacementConstraintTypeDef] | None
    placement_strategy: Sequence[Mapping[str, Any]] | None
    placementStrategy: Sequence[PlacementStrategyTypeDef] | None
    tags: Mapping[str, str] | Sequence[TagTypeDef] | None
    propagate_tags: str | None
    propagateTags: PropagateTagsType | None
    enable_execute_command: bool | None
    enableExecuteCommand: bool | None
    enable_ecs_managed_tags: bool | None
    enableECSManagedTags: bool | None
    volume_configurations: Sequence[Mapping[str, Any]] | None
    volumeConfigurations: Sequence[TaskVolumeConfigurationTypeDef] | None
    reference_id: str | None
    referenceId: str | None
    client_token: str | None
    clientToken: str | None
    capacity_retry_seconds: float | None
