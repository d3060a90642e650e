"""A task definition's content, in one spelling: what a revision holds against what a spec asks.

DescribeTaskDefinition answers more than was registered, and spells some of it its own way;
``registered_content`` puts a described revision and a RegisterTaskDefinition request in one
spelling, so that equal content compares equal and any other content does not:

- Fields about the revision, not its content, are dropped: ``taskDefinitionArn``,
  ``revision``, ``status``, ``requiresAttributes``, ``compatibilities``, ``registeredAt``,
  ``registeredBy``, ``deregisteredAt``, ``deleteRequestedAt`` (botocore's ECS model: the
  TaskDefinition members RegisterTaskDefinition does not take), and the tags.
- Defaults written out are dropped wherever they stand, as a request that leaves them out
  has them: null members (SDK shapes), empty lists and maps (``portMappings``,
  ``environment``, ``mountPoints``, ``volumesFrom``, ``systemControls``, ``volumes``,
  ``placementConstraints``, ``secretOptions`` ...), and each value the service model documents
  as the default (``DOCUMENTED_DEFAULTS``): a container's ``cpu`` 0 and ``essential`` true,
  a health check's interval, timeout and retries, a port's protocol tcp and its host port
  (the container port under awsvpc and host, 0, dynamic, under bridge), and so on.
- Respelled values take ECS's spelling: task ``cpu`` and ``memory`` as strings of units
  ("1 vCPU" is registered as "1024"), variables and secrets sorted by name, compatibilities
  as a sorted set.

AWS and the embedded ECS (moto: container cpu, portMappings, essential, environment,
mountPoints, volumesFrom written out; bridge when no network mode is given; an EFS root
directory) differ only in which defaults they write out. What remains is what the tasks run
with: two revisions with equal content run the same containers, with the same roles. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import botocore.session

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.task_definitions.checks import parse_cpu, parse_memory

__all__ = ["DOCUMENTED_DEFAULTS", "content_differences", "registered_content", "same_content"]

# Each value is the default botocore's ECS model documents for the member, so that a member
# set to it and a member left out are the same content. (shape, member): default.
DOCUMENTED_DEFAULTS: Mapping[tuple[str, str], object] = {
    # "If no network mode is specified, the default is bridge." (TaskDefinition.networkMode)
    ("TaskDefinition", "networkMode"): "bridge",
    # "The default value is false." (TaskDefinition.enableFaultInjection)
    ("TaskDefinition", "enableFaultInjection"): False,
    # ECS writes 0 for a container that reserves no CPU units (what DescribeTaskDefinition
    # answers for a container registered without ``cpu``, on AWS as on moto).
    ("ContainerDefinition", "cpu"): 0,
    # "If this parameter is omitted, a container is assumed to be essential."
    ("ContainerDefinition", "essential"): True,
    # "By default, the value is enabled." (ContainerDefinition.versionConsistency)
    ("ContainerDefinition", "versionConsistency"): "enabled",
    # "The default value is 30 seconds." / "The default value is 5." / "... is 3."
    ("HealthCheck", "interval"): 30,
    ("HealthCheck", "timeout"): 5,
    ("HealthCheck", "retries"): 3,
    # "The default is tcp." (PortMapping.protocol)
    ("PortMapping", "protocol"): "tcp",
    # "The default value is false." (MountPoint.readOnly, VolumeFrom.readOnly)
    ("MountPoint", "readOnly"): False,
    ("VolumeFrom", "readOnly"): False,
    # "Specifying / will have the same effect as omitting this parameter."
    ("EFSVolumeConfiguration", "rootDirectory"): "/",
    # "If this parameter is omitted, the default value of DISABLED is used."
    ("EFSVolumeConfiguration", "transitEncryption"): "DISABLED",
    ("EFSAuthorizationConfig", "iam"): "DISABLED",
}
# "For containers in a task with the awsvpc network mode, the hostPort is set to the same
# value as the containerPort" (PortMapping.hostPort); host mode takes no other value either.
_HOST_PORT_IS_CONTAINER_PORT = frozenset({"awsvpc", "host"})
# Under bridge, a port mapping without hostPort is described with hostPort 0: dynamic.
_DYNAMIC_HOST_PORT = 0
_SORTED_BY_NAME = {"environment": "value", "secrets": "valueFrom"}


@cache
def _register_members() -> frozenset[str]:
    """RegisterTaskDefinition's parameters but tags, from botocore's ECS model: the content."""
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None  # RegisterTaskDefinition has an input
    return frozenset(shape.members) - {"tags"}


def registered_content(definition: Mapping[str, Any]) -> dict[str, Any]:  # Any: JSON content
    """``definition`` (a described revision or a RegisterTaskDefinition request) as content:
    only what RegisterTaskDefinition takes, in one spelling (the module's docstring)."""
    plain = json.loads(json.dumps(dict(definition), default=str))  # detached, dates as text
    content = {key: value for key, value in plain.items() if key in _register_members()}
    network_mode = (
        content.get("networkMode") or DOCUMENTED_DEFAULTS[("TaskDefinition", "networkMode")]
    )
    for field, parse in (("cpu", parse_cpu), ("memory", parse_memory)):
        if content.get(field) is not None:
            content[field] = _units(field, content[field], parse)
    if content.get("requiresCompatibilities"):
        content["requiresCompatibilities"] = sorted(set(content["requiresCompatibilities"]))
    content["containerDefinitions"] = [
        _container(container, str(network_mode))
        for container in content.get("containerDefinitions") or []
    ]
    for volume in content.get("volumes") or []:
        efs = volume.get("efsVolumeConfiguration")
        if isinstance(efs, dict):
            _drop_defaults(efs, "EFSVolumeConfiguration")
            if isinstance(efs.get("authorizationConfig"), dict):
                _drop_defaults(efs["authorizationConfig"], "EFSAuthorizationConfig")
    _drop_defaults(content, "TaskDefinition")
    pruned = _pruned(content)
    return pruned if isinstance(pruned, dict) else {}


def same_content(registered: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether the revision ``registered`` holds what ``request`` asks for."""
    return registered_content(registered) == registered_content(request)


def content_differences(registered: Mapping[str, Any], request: Mapping[str, Any]) -> list[str]:
    """The fields in which ``registered`` differs from ``request``, by name only (values may be
    secret): ``image`` of container ``main`` is ``containerDefinitions[main].image``."""
    left, right = registered_content(registered), registered_content(request)
    differences = [
        key
        for key in sorted(set(left) | set(right))
        if key != "containerDefinitions" and left.get(key) != right.get(key)
    ]
    left_containers = left.get("containerDefinitions") or []
    right_containers = right.get("containerDefinitions") or []
    names = [[c.get("name") for c in side] for side in (left_containers, right_containers)]
    if names[0] != names[1]:
        differences.append("containerDefinitions")
        return differences
    for mine, theirs in zip(left_containers, right_containers, strict=True):
        differences.extend(
            f"containerDefinitions[{mine.get('name')}].{key}"
            for key in sorted(set(mine) | set(theirs))
            if mine.get(key) != theirs.get(key)
        )
    return differences


def _units(field: str, value: Any, parse: Any) -> str:
    """Task cpu or memory as ECS registers it: a string of units. A value that reads as no
    size stays as given (it compares unequal, never equal by accident)."""
    try:
        return str(parse(f"task_definition.{field}", value))
    except EcsSpecError:
        return str(value)


def _container(container: dict[str, Any], network_mode: str) -> dict[str, Any]:  # Any: JSON
    _drop_defaults(container, "ContainerDefinition")
    for key, value_key in _SORTED_BY_NAME.items():
        if container.get(key):
            container[key] = sorted(
                (
                    {"name": item.get("name"), value_key: item.get(value_key, "")}
                    for item in container[key]
                ),
                key=lambda item: (str(item["name"]), str(item[value_key])),
            )
    if isinstance(container.get("healthCheck"), dict):
        _drop_defaults(container["healthCheck"], "HealthCheck")
    for port in container.get("portMappings") or []:
        _drop_defaults(port, "PortMapping")
        host_port = port.get("hostPort")
        if host_port is not None and (
            (
                network_mode in _HOST_PORT_IS_CONTAINER_PORT
                and host_port == port.get("containerPort")
            )
            or (network_mode == "bridge" and host_port == _DYNAMIC_HOST_PORT)
        ):
            del port["hostPort"]
    for key, shape in (("mountPoints", "MountPoint"), ("volumesFrom", "VolumeFrom")):
        for item in container.get(key) or []:
            _drop_defaults(item, shape)
    return container


def _drop_defaults(members: dict[str, object], shape: str) -> None:
    for (owner, member), default in DOCUMENTED_DEFAULTS.items():
        if owner == shape and member in members and _same_value(members[member], default):
            del members[member]


def _same_value(value: object, default: object) -> bool:
    """Equal and of the same kind: 0 is not False, 1 is not True."""
    return type(value) is type(default) and value == default


def _pruned(value: Any) -> Any:
    """``value`` without null members and empty lists or maps, at every depth."""
    if isinstance(value, dict):
        kept = {key: _pruned(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    return value
