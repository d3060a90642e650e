"""Taking over the tasks moto creates: ECS identity, static fields, the hand-over to the
controller. RunTask, StartTask and CreateTaskSet all end here, so their tasks run alike."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moto.ecs.models import Cluster, EC2ContainerServiceBackend, Task

from ecs_pipelines.ecs.common import TaskStatus, task_id
from ecs_pipelines.local.contract import NO_TASK_FAULTS, NewTask, TaskFaults
from ecs_pipelines.local.moto_bridge.state import (
    Adopted,
    controller,
    registry,
    rejections_as_ecs_errors,
    set_fields,
)

_DEFAULT_PLATFORM_VERSION = "1.4.0"


@dataclass(frozen=True)
class Placement:
    """How a batch of new tasks was placed and what the request asked of them."""

    fargate: bool
    provider: str | None = None
    requested_subnet: str | None = None
    overrides: dict[str, Any] | None = None
    enable_execute_command: bool = False
    service_name: str | None = None


def hand_over(
    tasks: Sequence[Task],
    backend: EC2ContainerServiceBackend,
    cluster: Cluster,
    task_definition: Any,
    placement: Placement,
    started_by: str | None,
    faults: Sequence[TaskFaults] = (),
) -> None:
    """Give each new moto task its ECS identity and fields, then hand them to the controller
    (with what the fault plan does to each, ``faults[i]`` for ``tasks[i]``)."""
    local = controller()
    created = []
    for index, task in enumerate(tasks):
        _give_ecs_identity(task, backend, cluster.name, started_by)
        _adopt(task, backend, cluster.name, task_definition, placement)
        set_fields(task, {"enableExecuteCommand": placement.enable_execute_command})
        created.append(
            NewTask(
                task_arn=task.task_arn,
                cluster_arn=cluster.arn,
                region=backend.region_name,
                launch_type=task.launch_type,
                task_definition=task_definition_view(task_definition),
                overrides=dict(placement.overrides or {}),
                enable_execute_command=placement.enable_execute_command,
                availability_zone=f"{backend.region_name}a",
                network_interface=_network_interface(task),
                container_insights=_insights_on(cluster),
                faults=faults[index] if index < len(faults) else NO_TASK_FAULTS,
            )
        )
    with rejections_as_ecs_errors():
        local.tasks_created(created)


def _give_ecs_identity(
    task: Task, backend: EC2ContainerServiceBackend, cluster_name: str, started_by: str | None
) -> None:
    """What moto makes up differently from ECS: the task id and an empty startedBy.

    ECS task ids are 32 lowercase hex characters (task ARN
    ``arn:aws:ecs:<region>:<account>:task/<cluster>/<id>``), moto's are UUIDs; and ECS leaves
    ``startedBy`` out of a task that was started without one, where moto reports "".
    """
    tasks = backend.tasks[cluster_name]
    moto_arn = task.task_arn
    task.id = secrets.token_hex(16)
    tasks[task.task_arn] = tasks.pop(moto_arn)
    set_fields(task, {"startedBy": started_by or None})


def _adopt(
    task: Task,
    backend: EC2ContainerServiceBackend,
    cluster_name: str,
    task_definition: Any,
    placement: Placement,
) -> None:
    """Register a new moto task with the bridge and fill the static fields ECS reports."""
    registry.sequence += 1
    adopted = Adopted(
        task, backend, cluster_name, registry.sequence, service_name=placement.service_name
    )
    registry.by_arn[task.task_arn] = adopted
    registry.by_id[task_id(task.task_arn)] = adopted
    # Stop moto's own state machine: the runner owns lastStatus from here on.
    task._transitions = [(TaskStatus.PROVISIONING, TaskStatus.PROVISIONING)]
    platform_version = task.platform_version
    # ECS reports the size a task runs with: RunTask's task-level override, else the
    # definition's (moto keeps the definition's).
    overrides = placement.overrides or {}
    if placement.fargate and platform_version in (None, "LATEST"):
        platform_version = _DEFAULT_PLATFORM_VERSION
    set_fields(
        task,
        {
            "launchType": task.launch_type or ("FARGATE" if placement.fargate else "EC2"),
            "capacityProviderName": placement.provider,
            "platformVersion": platform_version,
            "platformFamily": "Linux" if placement.fargate else None,
            "cpu": overrides.get("cpu") or task_definition.cpu,
            "memory": overrides.get("memory") or task_definition.memory,
            "availabilityZone": f"{backend.region_name}a",
            "version": 1,
            "healthStatus": "UNKNOWN",
        },
    )
    if placement.requested_subnet:
        attachments: list[dict[str, Any]] = task.attachments
        for attachment in attachments:
            for detail in attachment.get("details", []):
                if detail.get("name") == "subnetId":
                    detail["value"] = placement.requested_subnet


def _network_interface(task: Task) -> dict[str, str]:
    attachments: list[dict[str, Any]] = task.attachments
    for attachment in attachments:
        if attachment.get("type") == "ElasticNetworkInterface":
            return {str(d["name"]): str(d["value"]) for d in attachment.get("details", [])}
    return {}


def task_definition_view(task_definition: Any) -> dict[str, Any]:
    """The parts of a task definition the controller reads, in the API's field names."""
    return {
        "taskDefinitionArn": task_definition.arn,
        "family": task_definition.family,
        "revision": task_definition.revision,
        "containerDefinitions": [dict(c) for c in task_definition.container_definitions],
        "taskRoleArn": getattr(task_definition, "task_role_arn", None),
        "executionRoleArn": getattr(task_definition, "execution_role_arn", None),
        "networkMode": task_definition.network_mode,
        "cpu": task_definition.cpu,
        "memory": task_definition.memory,
    }


def _insights_on(cluster: Any) -> bool:
    """The cluster's containerInsights setting is on (``enabled`` or ``enhanced``)."""
    for setting in getattr(cluster, "settings", None) or ():
        if setting.get("name") == "containerInsights":
            return setting.get("value") in ("enabled", "enhanced")
    return False
