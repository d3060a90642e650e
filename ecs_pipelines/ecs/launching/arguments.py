"""Pure: merge a resource's launch defaults with one call's arguments into a TaskLaunchSpec.

Callers may pass RunTask options either by this project's names (``launch_type``) or by the
RunTask API's own names (``launchType``), and a raw ``overrides`` dict in RunTask's shape; all of
it ends up in one TaskLaunchSpec, which validates every ECS limit before any API call.

Conversions here never coerce: a value of the wrong shape is refused, naming the field, rather
than turned into something else (``"echo hi"`` into seven one-letter arguments, ``None`` into
the tag value ``"None"``, ``"enabled"`` into DISABLED).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.common import (
    EcsSpecError,
    command_argv,
    environment_map,
    list_of,
    mapping,
    string_list,
)
from ecs_pipelines.ecs.launching.spec import ContainerOverride, TaskLaunchSpec

# RunTask's parameter names -> TaskLaunchSpec fields (those that map one to one).
API_NAMES = {
    "cluster": "cluster",
    "taskDefinition": "task_definition",
    "count": "count",
    "startedBy": "started_by",
    "group": "group",
    "launchType": "launch_type",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "platformVersion": "platform_version",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "propagateTags": "propagate_tags",
    "enableExecuteCommand": "enable_execute_command",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "volumeConfigurations": "volume_configurations",
    "referenceId": "reference_id",
    "clientToken": "client_token",
}
SPEC_FIELDS = frozenset(f.name for f in dataclasses.fields(TaskLaunchSpec))
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
    fields: dict[str, Any] = {"name": name}
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
            fields[CONTAINER_OVERRIDE_KEYS[key]] = item[key]  # type-checked by limits.py
    return ContainerOverride(**fields)


def overrides_to_fields(overrides: object) -> dict[str, Any]:
    """RunTask's ``overrides`` dict -> TaskLaunchSpec fields."""
    given = mapping("overrides", overrides)
    _known_keys("overrides", given, TASK_OVERRIDE_KEYS)
    fields: dict[str, Any] = {}
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


def network_to_fields(network: object) -> dict[str, Any]:
    """RunTask's ``networkConfiguration`` -> TaskLaunchSpec fields."""
    given = mapping("networkConfiguration", network)
    _known_keys("networkConfiguration", given, {"awsvpcConfiguration": 0})
    where = "networkConfiguration.awsvpcConfiguration"
    vpc = mapping(where, given.get("awsvpcConfiguration", {}))
    _known_keys(where, vpc, {"subnets": 0, "securityGroups": 0, "assignPublicIp": 0})
    fields: dict[str, Any] = {
        "subnets": tuple(string_list(f"{where}.subnets", vpc.get("subnets", ()))),
        "security_groups": tuple(
            string_list(f"{where}.securityGroups", vpc.get("securityGroups", ()))
        ),
    }
    if "assignPublicIp" in vpc:
        value = vpc["assignPublicIp"]
        if value not in ASSIGN_PUBLIC_IP:
            raise EcsSpecError(
                f"{where}.assignPublicIp", f"must be ENABLED or DISABLED, got {value!r}"
            )
        fields["assign_public_ip"] = ASSIGN_PUBLIC_IP[value]
    return fields


def extra_kwargs_to_fields(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``**run_task_kwargs`` (project or API names) -> TaskLaunchSpec fields."""
    fields: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "networkConfiguration":
            fields.update(network_to_fields(value))
        elif key == "overrides":
            fields.update(overrides_to_fields(value))
        elif key == "tags":
            fields["tags"] = tags_to_dict(value)
        elif key in API_NAMES:
            fields[API_NAMES[key]] = value
        elif key in SPEC_FIELDS:
            fields[key] = value
        else:
            raise EcsSpecError(key, "is not a RunTask option this resource knows")
    return fields


def merge_container_override(
    overrides: Sequence[ContainerOverride],
    container_name: str,
    command: Sequence[str] | None,
    environment: Mapping[str, str] | None,
) -> tuple[ContainerOverride, ...]:
    """Adds ``command``/``environment`` to the named container's override (creating it)."""
    if command is None and environment is None:
        return tuple(overrides)
    merged = []
    found = False
    for item in overrides:
        if item.name == container_name:
            found = True
            env = {**(item.environment or {}), **(environment or {})}
            item = dataclasses.replace(
                item,
                command=item.command if command is None else list(command),
                environment=env or None,
            )
        merged.append(item)
    if not found:
        merged.append(
            ContainerOverride(
                name=container_name,
                command=None if command is None else list(command),
                environment=dict(environment) if environment else None,
            )
        )
    return tuple(merged)


def build_spec(
    defaults: Mapping[str, Any],
    *,
    container_name: str | None,
    command: Sequence[str] | None = None,
    environment: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> TaskLaunchSpec:
    """Resource defaults, then call arguments on top; ``command``/``environment`` go to
    ``container_name``'s override. Shapes are checked here; limits by TaskLaunchSpec's
    consumers (``spec.validate``)."""
    if command is not None:
        command = command_argv("command", command)
    if environment is not None:
        environment = environment_map("environment", environment)
    fields: dict[str, Any] = {k: v for k, v in defaults.items() if v is not None}
    default_tags = tags_to_dict(fields.pop("tags", None))
    call_fields = {
        **(overrides_to_fields(overrides) if overrides is not None else {}),
        **extra_kwargs_to_fields(extra or {}),
    }
    call_tags = call_fields.pop("tags", {})
    fields.update({k: v for k, v in call_fields.items() if v is not None})
    fields["tags"] = {**default_tags, **call_tags}
    if command is not None or environment is not None:
        if not container_name:
            raise EcsSpecError(
                "container_name", "is required to apply command or environment overrides"
            )
        fields["container_overrides"] = merge_container_override(
            fields.get("container_overrides", ()), container_name, command, environment
        )
    if "cluster" not in fields or "task_definition" not in fields:
        missing = "cluster" if "cluster" not in fields else "task_definition"
        raise EcsSpecError(missing, "is required (set it on the resource or pass it to the call)")
    return TaskLaunchSpec(**fields)
