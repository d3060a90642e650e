"""Writes into moto's models on behalf of the runner: task fields, log events, instance room."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto.logs.models import logs_backends

from ecs_pipelines.ecs.states import TaskStatus
from ecs_pipelines.local.moto_bridge.state import (
    BACKEND_LOCK,
    Adopted,
    originals,
    registry,
    set_fields,
)


def update_task(task_arn: str, fields: dict[str, Any]) -> None:
    """Copy ECS fields (camelCase) onto moto's task object; moto serialises them as they are."""
    with BACKEND_LOCK:
        adopted = registry.by_arn.get(task_arn)
        if adopted is None:
            return
        task = adopted.task
        set_fields(task, fields)
        status = fields.get("lastStatus")
        cluster = adopted.backend.clusters.get(adopted.cluster_name)
        if (
            status == TaskStatus.RUNNING
            and not adopted.counted_running
            and not task.container_instance_arn
        ):
            # moto counts EC2 tasks at placement; count Fargate tasks when they run.
            adopted.counted_running = True
            if cluster is not None:
                cluster.running_tasks_count += 1
        if status == TaskStatus.STOPPED and not adopted.released:
            adopted.released = True
            _release(adopted, cluster)


def _release(adopted: Adopted, cluster: Any) -> None:
    task = adopted.task
    if task.container_instance_arn:
        instances = adopted.backend.container_instances.get(adopted.cluster_name, {})
        instance = instances.get(task.container_instance_arn.split("/")[-1])
        if instance is not None and task.resource_requirements:
            adopted.backend.update_container_instance_resources(
                instance, task.resource_requirements, removing=True
            )
        if cluster is not None:
            cluster.running_tasks_count -= 1
    elif adopted.counted_running and cluster is not None:
        cluster.running_tasks_count -= 1


def write_log_events(
    account_id: str, region: str, group: str, stream: str, events: list[dict[str, Any]]
) -> None:
    """Append events to a CloudWatch Logs stream, creating the group and stream as needed."""
    with BACKEND_LOCK:
        logs = logs_backends[account_id][region]
        if group not in logs.groups:
            logs.create_log_group(group, tags={})
        logs.ensure_log_stream(group, stream)
        if events:
            logs.put_log_events(group, stream, events)


def make_container_instances_roomy(
    region: str, cluster_name: str, *, cpu: int, memory: int, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Give the cluster's (fake) container instances room for many concurrent EC2 tasks."""
    with BACKEND_LOCK:
        backend = ecs_backends[account_id][region]
        for instance in backend.container_instances.get(cluster_name, {}).values():
            for resources in (instance.registered_resources, instance.remaining_resources):
                for resource in resources:
                    if resource.get("name") == "CPU":
                        resource["integerValue"] = cpu
                    elif resource.get("name") == "MEMORY":
                        resource["integerValue"] = memory


def resource_requirements(task_definition: Any) -> dict[str, Any]:
    """moto's placement arithmetic, tolerant of Fargate-style definitions.

    moto adds up container ``memory`` and fails on containers that leave it to the task level
    (valid ECS). Missing values count as 0 and the task-level cpu/memory fill in.
    """
    containers = [
        {**c, "memory": c.get("memory") or c.get("memoryReservation") or 0}
        for c in task_definition.container_definitions
    ]
    original = originals[(EC2ContainerServiceBackend, "_calculate_task_resource_requirements")]
    result: dict[str, Any] = original.__func__(SimpleNamespace(container_definitions=containers))
    if not result["CPU"] and getattr(task_definition, "cpu", None):
        result["CPU"] = int(task_definition.cpu)
    if not result["MEMORY"] and getattr(task_definition, "memory", None):
        result["MEMORY"] = int(task_definition.memory)
    return result
