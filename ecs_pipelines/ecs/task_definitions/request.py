"""The RegisterTaskDefinition request a TaskDefinitionSpec describes. Pure: no I/O.

``register_request`` turns a spec (plus the resource's defaults, plus the described base when
there is one) into the complete, normalised request: every default filled in, environment and
secrets sorted, sizes as ECS spells them; ``check_spec`` checks a spec before any of those is
known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import botocore.session

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.task_definitions.checks import check_request, parse_cpu, parse_memory
from ecs_pipelines.ecs.task_definitions.spec import (
    DEFAULT_COMPATIBILITIES,
    DEFAULT_CPU,
    DEFAULT_MEMORY,
    DEFAULT_NETWORK_MODE,
    SPEC,
    TaskDefinitionDefaults,
    TaskDefinitionSpec,
    check_family,
    with_family,
)
from ecs_pipelines.ecs.task_definitions.spec_checks import check_spec_fields
from ecs_pipelines.ecs.tasks import first_essential_container

if TYPE_CHECKING:
    from mypy_boto3_ecs.literals import (
        CompatibilityType,
        CPUArchitectureType,
        NetworkModeType,
        OSFamilyType,
    )
    from mypy_boto3_ecs.type_defs import (
        ContainerDefinitionTypeDef,
        KeyValuePairTypeDef,
        LogConfigurationTypeDef,
        RegisterTaskDefinitionRequestTypeDef,
        RuntimePlatformTypeDef,
        SecretTypeDef,
        TaskDefinitionTypeDef,
    )


@cache
def _register_members() -> frozenset[str]:
    """RegisterTaskDefinition's parameters, from botocore's ECS model: what a described base
    can hand on to a new revision (its ARN, revision, status and dates cannot)."""
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None  # RegisterTaskDefinition has an input
    return frozenset(shape.members) - {"family", "tags"}


# Stands in for what the resource will supply, to check a spec before any resource is known:
# rules that hinge on the resource's execution role are checked again at launch.
_CHECK_DEFAULTS = TaskDefinitionDefaults(
    execution_role_arn="arn:aws:iam::000000000000:role/checked-at-launch"
)


def check_spec(spec: TaskDefinitionSpec) -> None:
    """Every rule that can be checked before the resource and the base are known: each field,
    and, for a spec that derives from nothing, sizes and networking together."""
    check_spec_fields(spec)
    if spec.base is None:
        register_request(with_family(spec, "checked-at-launch"), _CHECK_DEFAULTS)


def register_request(
    spec: TaskDefinitionSpec,
    defaults: TaskDefinitionDefaults,
    base: TaskDefinitionTypeDef | None = None,
) -> RegisterTaskDefinitionRequestTypeDef:
    """The RegisterTaskDefinition request ``spec`` describes, without tags; checked field by
    field before any call. ``base`` is the described task definition ``spec.base`` names."""
    check_spec_fields(spec)
    if spec.base is not None and base is None:
        raise EcsSpecError(f"{SPEC}.base", "the base task definition must be described first")
    family = check_family(spec.family)
    if base is None:
        request = _from_scratch(spec, defaults, family)
        container_name = request["containerDefinitions"][0]["name"]
    else:
        request, container_name = _from_base(spec, base, family)
    request = _normalised(request)
    check_request(request, container_name)
    return request


def _from_scratch(
    spec: TaskDefinitionSpec, defaults: TaskDefinitionDefaults, family: str
) -> RegisterTaskDefinitionRequestTypeDef:
    if spec.image is None:
        raise EcsSpecError(f"{SPEC}.image", "is required (or derive from a registered base)")
    name = spec.target_container
    assert name is not None  # a spec that derives from no base always names its container
    container: ContainerDefinitionTypeDef = {"name": name, "essential": True}
    _apply_container(container, spec, _LogDefaults(defaults.log_region, family))
    if "logConfiguration" not in container and defaults.log_group:
        container["logConfiguration"] = _awslogs(
            defaults.log_group, defaults.log_region, spec.log_stream_prefix or family
        )
    request: RegisterTaskDefinitionRequestTypeDef = {
        "family": family,
        "containerDefinitions": [container],
        "networkMode": cast("NetworkModeType", DEFAULT_NETWORK_MODE),
        "requiresCompatibilities": cast("list[CompatibilityType]", list(DEFAULT_COMPATIBILITIES)),
        "cpu": str(DEFAULT_CPU),
        "memory": str(DEFAULT_MEMORY),
    }
    if defaults.task_role_arn:
        request["taskRoleArn"] = defaults.task_role_arn
    if defaults.execution_role_arn:
        request["executionRoleArn"] = defaults.execution_role_arn
    _apply_task(request, spec)
    return request


def _from_base(
    spec: TaskDefinitionSpec, base: TaskDefinitionTypeDef, family: str
) -> tuple[RegisterTaskDefinitionRequestTypeDef, str]:
    # The described members RegisterTaskDefinition takes (botocore's model names them), so
    # the copy is a register request by construction.
    request = cast(
        "RegisterTaskDefinitionRequestTypeDef",
        {k: v for k, v in base.items() if k in _register_members() and v is not None},
    )
    request["family"] = family
    containers = [
        cast("ContainerDefinitionTypeDef", dict(c)) for c in base.get("containerDefinitions") or []
    ]
    name = spec.container_name or first_essential_container(base)
    target = next((c for c in containers if c.get("name") == name), None)
    if target is None:
        known = ", ".join(repr(c.get("name")) for c in containers) or "none"
        raise EcsSpecError(
            f"{SPEC}.container_name",
            f"the base {spec.base} has no container {name!r} (containers: {known})",
        )
    _apply_container(target, spec, _LogDefaults(None, family))
    request["containerDefinitions"] = containers
    _apply_task(request, spec)
    return request, str(name)


@dataclass(frozen=True)
class _LogDefaults:
    """What a log configuration the spec names only by group takes from elsewhere."""

    region: str | None
    stream_prefix: str


def _apply_container(
    container: ContainerDefinitionTypeDef, spec: TaskDefinitionSpec, logs: _LogDefaults
) -> None:
    """Puts what ``spec`` gives into ``container``: given values replace, variables merge."""
    if spec.image is not None:
        container["image"] = spec.image
    if spec.command is not None:
        container["command"] = list(spec.command)
    if spec.container_cpu is not None:
        container["cpu"] = spec.container_cpu
    if spec.container_memory is not None:
        container["memory"] = spec.container_memory
    if spec.container_memory_reservation is not None:
        container["memoryReservation"] = spec.container_memory_reservation
    if spec.environment:
        current = {e["name"]: e.get("value", "") for e in container.get("environment") or []}
        container["environment"] = _variables({**current, **spec.environment})
    if spec.secrets:
        current = {s["name"]: s.get("valueFrom", "") for s in container.get("secrets") or []}
        container["secrets"] = _secret_refs({**current, **spec.secrets})
    if spec.log_configuration is not None:
        # Any driver ECS knows, as the user spelt it; checked by ECS itself.
        container["logConfiguration"] = json.loads(json.dumps(spec.log_configuration))
    elif spec.log_group is not None:
        # The region and prefix of the container's own awslogs, else the resource's region and
        # the family: without a prefix, ECS names streams after container ids nobody knows.
        region = _awslogs_region(container) or logs.region
        prefix = spec.log_stream_prefix or _stream_prefix(container) or logs.stream_prefix
        container["logConfiguration"] = _awslogs(spec.log_group, region, prefix)


def _apply_task(request: RegisterTaskDefinitionRequestTypeDef, spec: TaskDefinitionSpec) -> None:
    # The spec's fields are checked (check_spec_fields) before they get here: the casts name
    # ECS's enums for values already known to be among them.
    if spec.cpu is not None:
        request["cpu"] = str(parse_cpu(f"{SPEC}.cpu", spec.cpu))
    if spec.memory is not None:
        request["memory"] = str(parse_memory(f"{SPEC}.memory", spec.memory))
    if spec.task_role_arn is not None:
        request["taskRoleArn"] = spec.task_role_arn
    if spec.execution_role_arn is not None:
        request["executionRoleArn"] = spec.execution_role_arn
    if spec.network_mode is not None:
        request["networkMode"] = cast("NetworkModeType", spec.network_mode)
    if spec.requires_compatibilities is not None:
        compatibilities = list(spec.requires_compatibilities)
        request["requiresCompatibilities"] = cast("list[CompatibilityType]", compatibilities)
    if spec.ephemeral_storage_gib is not None:
        request["ephemeralStorage"] = {"sizeInGiB": spec.ephemeral_storage_gib}
    if spec.cpu_architecture is not None or spec.operating_system_family is not None:
        platform: RuntimePlatformTypeDef = {**(request.get("runtimePlatform") or {})}
        if spec.cpu_architecture is not None:
            platform["cpuArchitecture"] = cast("CPUArchitectureType", spec.cpu_architecture)
        if spec.operating_system_family is not None:
            family = cast("OSFamilyType", spec.operating_system_family)
            platform["operatingSystemFamily"] = family
        request["runtimePlatform"] = platform


def _awslogs(group: str, region: str | None, prefix: str | None) -> LogConfigurationTypeDef:
    options = {"awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": prefix}
    return {
        "logDriver": "awslogs",
        "options": {key: value for key, value in options.items() if value},
    }


def _awslogs_options(container: ContainerDefinitionTypeDef) -> Mapping[str, str]:
    config = container.get("logConfiguration")
    if config is None or config.get("logDriver") != "awslogs":
        return {}
    return config.get("options") or {}


def _awslogs_region(container: ContainerDefinitionTypeDef) -> str | None:
    region = _awslogs_options(container).get("awslogs-region")
    return str(region) if region else None


def _stream_prefix(container: ContainerDefinitionTypeDef) -> str | None:
    prefix = _awslogs_options(container).get("awslogs-stream-prefix")
    return str(prefix) if prefix else None


def _variables(values: Mapping[str, str]) -> list[KeyValuePairTypeDef]:
    return [{"name": name, "value": values[name]} for name in sorted(values)]


def _secret_refs(values: Mapping[str, str]) -> list[SecretTypeDef]:
    return [{"name": name, "valueFrom": values[name]} for name in sorted(values)]


_SORTED_PAIRS = (("environment", "value", _variables), ("secrets", "valueFrom", _secret_refs))


def _normalised(
    request: RegisterTaskDefinitionRequestTypeDef,
) -> RegisterTaskDefinitionRequestTypeDef:
    """One spelling per content: sorted variables and compatibilities, no empty lists."""
    # The JSON round trip detaches plain dicts and lists from the inputs; its keys are those
    # of ``request``, so the result is one too.
    plain: dict[str, Any] = json.loads(json.dumps(request))  # Any: JSON, of request's shape
    if plain.get("requiresCompatibilities"):
        plain["requiresCompatibilities"] = sorted(set(plain["requiresCompatibilities"]))
    for container in plain.get("containerDefinitions", []):
        for key, value_key, pairs in _SORTED_PAIRS:
            if container.get(key):
                values = {item["name"]: item.get(value_key, "") for item in container[key]}
                container[key] = pairs(values)
    normal = {key: value for key, value in plain.items() if value not in (None, [], {})}
    return cast("RegisterTaskDefinitionRequestTypeDef", normal)
