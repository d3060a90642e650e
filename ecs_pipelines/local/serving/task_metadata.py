"""The task metadata endpoint v4 responses, rendered from a task's state. Pure.

Field names and shapes follow the ECS developer guide ("Amazon ECS task metadata v4 JSON
response", "... v4 examples"): ``${ECS_CONTAINER_METADATA_URI_V4}`` answers the container,
``/task`` the task with every container, ``/stats`` and ``/task/stats`` Docker-style stats.
A Fargate task reports its cluster by ARN and a container's DockerName as its name; an EC2 task
reports the cluster's short name and ``ecs-<family>-<revision>-<name>-<suffix>``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from ecs_pipelines.ecs.common import cluster_name, family_revision
from ecs_pipelines.local.runtime import ContainerState, TaskState


def iso(moment: datetime | None) -> str | None:
    """ECS's timestamp form: RFC 3339 in UTC with a ``Z``."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def family_and_revision(task_definition_arn: str) -> tuple[str, str]:
    """``arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`` -> both parts."""
    family, _, revision = family_revision(task_definition_arn).rpartition(":")
    return family, revision


def _fargate(state: TaskState) -> bool:
    return state.launch.launch_type == "FARGATE"


def _cluster(state: TaskState) -> str:
    arn = state.launch.cluster_arn
    return arn if _fargate(state) else cluster_name(arn)


def _networks(state: TaskState) -> list[dict[str, Any]]:
    launch = state.launch
    eni = launch.network_interface
    network: dict[str, Any] = {"NetworkMode": launch.network_mode}
    # Without an ENI (bridge or host mode) a host process is on the host's loopback.
    network["IPv4Addresses"] = [eni.get("privateIPv4Address") or "127.0.0.1"]
    if eni:
        network["AttachmentIndex"] = 0
        network["MACAddress"] = eni.get("macAddress", "")
        network["PrivateDNSName"] = eni.get("privateDnsName", "")
    return [network]


def container_metadata(state: TaskState, container: ContainerState) -> dict[str, Any]:
    """``GET ${ECS_CONTAINER_METADATA_URI_V4}``."""
    spec = container.spec
    family, revision = family_and_revision(state.launch.task_definition_arn)
    docker_name = (
        spec.name
        if _fargate(state)
        else f"ecs-{family}-{revision}-{spec.name}-{spec.runtime_id[:20]}"
    )
    body: dict[str, Any] = {
        "DockerId": spec.runtime_id,
        "Name": spec.name,
        "DockerName": docker_name,
        "Image": spec.image,
        "ImageID": "sha256:" + hashlib.sha256(spec.image.encode()).hexdigest(),
        "Labels": {
            "com.amazonaws.ecs.cluster": _cluster(state),
            "com.amazonaws.ecs.container-name": spec.name,
            "com.amazonaws.ecs.task-arn": state.task_arn,
            "com.amazonaws.ecs.task-definition-family": family,
            "com.amazonaws.ecs.task-definition-version": revision,
        },
        "DesiredStatus": state.desired_status,
        "KnownStatus": container.last_status,
        "Limits": {"CPU": spec.cpu, "Memory": spec.memory or 0},
        "CreatedAt": iso(state.created_at),
        "Type": "NORMAL",
        "ContainerARN": spec.container_arn,
        "Networks": _networks(state),
    }
    optional = {
        "StartedAt": iso(container.started_at),
        "FinishedAt": iso(container.finished_at),
        "ExitCode": container.exit_code,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    if spec.log_driver:
        body["LogDriver"] = spec.log_driver
        options = dict(spec.log_options)
        if spec.log is not None:
            options["awslogs-stream"] = spec.log.stream
        body["LogOptions"] = options
    if container.health is not None:
        body["Health"] = {
            "status": container.health,
            "statusSince": iso(container.health_since or state.created_at),
            "output": container.health_output,
        }
    return body


def task_metadata(state: TaskState) -> dict[str, Any]:
    """``GET ${ECS_CONTAINER_METADATA_URI_V4}/task``."""
    launch = state.launch
    family, revision = family_and_revision(launch.task_definition_arn)
    body: dict[str, Any] = {
        "Cluster": _cluster(state),
        "TaskARN": state.task_arn,
        "Family": family,
        "Revision": revision,
        "DesiredStatus": state.desired_status,
        "KnownStatus": state.last_status,
        "Containers": [container_metadata(state, c) for c in state.containers.values()],
        "LaunchType": launch.launch_type,
        "AvailabilityZone": launch.availability_zone,
    }
    limits: dict[str, Any] = {}
    if launch.cpu:
        limits["CPU"] = int(launch.cpu) / 1024  # vCPU, as the task-level CPU units / 1024
    if launch.memory:
        limits["Memory"] = int(launch.memory)
    if limits:
        body["Limits"] = limits
    optional = {
        "PullStartedAt": iso(state.pull_started_at),
        "PullStoppedAt": iso(state.pull_stopped_at),
        "ExecutionStoppedAt": iso(state.stopped_at),
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


def container_stats(
    *, read: datetime, cpu_ns: int, system_ns: int, online_cpus: int, memory_bytes: int, pids: int
) -> dict[str, Any]:
    """Docker's stats shape (``/stats``) from what was sampled of the container's processes."""
    return {
        "read": iso(read),
        "preread": iso(read),
        "pids_stats": {"current": pids},
        "cpu_stats": {
            "cpu_usage": {"total_usage": cpu_ns},
            "system_cpu_usage": system_ns,
            "online_cpus": online_cpus,
        },
        "memory_stats": {"usage": memory_bytes},
        "networks": {},
    }
