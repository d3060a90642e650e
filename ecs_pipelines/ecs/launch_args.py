"""Pure: merge a resource's launch defaults with one call's arguments into a TaskLaunchSpec.

Callers may pass RunTask options either by this project's names (``launch_type``) or by the
RunTask API's own names (``launchType``), and a raw ``overrides`` dict in RunTask's shape; all of
it ends up in one TaskLaunchSpec, which validates every ECS limit before any API call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.errors import EcsSpecError
from ecs_pipelines.ecs.spec import ContainerOverride, TaskLaunchSpec

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


def tags_to_dict(tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    """Tags as a dict, from either a dict or RunTask's ``[{"key": k, "value": v}]`` list."""
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["key"]): str(t.get("value", "")) for t in tags}


def overrides_to_fields(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """RunTask's ``overrides`` dict -> TaskLaunchSpec fields."""
    known = {
        "containerOverrides",
        "cpu",
        "memory",
        "taskRoleArn",
        "executionRoleArn",
        "ephemeralStorage",
        "inferenceAcceleratorOverrides",
    }
    unknown = set(overrides) - known
    if unknown:
        raise EcsSpecError("overrides", f"unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
    fields: dict[str, Any] = {}
    containers = []
    for item in overrides.get("containerOverrides", []):
        env = item.get("environment")
        containers.append(
            ContainerOverride(
                name=item.get("name", ""),
                command=item.get("command"),
                environment=None if env is None else {e["name"]: e["value"] for e in env},
                cpu=item.get("cpu"),
                memory=item.get("memory"),
                memory_reservation=item.get("memoryReservation"),
            )
        )
    if containers:
        fields["container_overrides"] = tuple(containers)
    for api, name in (
        ("cpu", "task_cpu"),
        ("memory", "task_memory"),
        ("taskRoleArn", "task_role_arn"),
        ("executionRoleArn", "execution_role_arn"),
    ):
        if api in overrides:
            fields[name] = overrides[api]
    if "ephemeralStorage" in overrides:
        fields["ephemeral_storage_gib"] = overrides["ephemeralStorage"].get("sizeInGiB")
    return fields


def network_to_fields(network: Mapping[str, Any]) -> dict[str, Any]:
    vpc = network.get("awsvpcConfiguration", {})
    fields: dict[str, Any] = {
        "subnets": tuple(vpc.get("subnets", ())),
        "security_groups": tuple(vpc.get("securityGroups", ())),
    }
    if "assignPublicIp" in vpc:
        fields["assign_public_ip"] = vpc["assignPublicIp"] == "ENABLED"
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
    ``container_name``'s override. Does not validate: TaskLaunchSpec's consumers do."""
    fields: dict[str, Any] = {k: v for k, v in defaults.items() if v is not None}
    default_tags = tags_to_dict(fields.pop("tags", None))
    call_fields = {**overrides_to_fields(overrides or {}), **extra_kwargs_to_fields(extra or {})}
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
