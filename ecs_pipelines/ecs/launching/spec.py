"""What to launch: a frozen task launch spec and its translation to RunTask kwargs.

``TaskLaunchSpec`` names every RunTask option in Python spelling; ``run_task_request`` checks it
against the ECS limits (``limits.py``) and turns it into RunTask's request. Pure: no I/O, no
boto3 import.

To make a launch idempotent, set a client token derived from what identifies the launch::

    spec = dataclasses.replace(spec, client_token=derive_client_token(run_id, step_key))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import EcsSpecError

__all__ = [
    "ContainerOverride",
    "TaskLaunchSpec",
    "derive_client_token",
]


@dataclass(frozen=True)
class ContainerOverride:
    """Per-container overrides; ``name`` must match a container in the task definition."""

    name: str
    command: Sequence[str] | None = None
    environment: Mapping[str, str] | None = None
    cpu: int | None = None  # CPU units
    memory: int | None = None  # hard limit, MiB
    memory_reservation: int | None = None  # soft limit, MiB
    environment_files: Sequence[Mapping[str, Any]] = ()  # [{"value": S3 ARN, "type": "s3"}]
    resource_requirements: Sequence[Mapping[str, Any]] = ()  # [{"value": "1", "type": "GPU"}]


@dataclass(frozen=True)
class TaskLaunchSpec:
    """Every RunTask option; ``None`` / empty means "not set, let ECS decide"."""

    cluster: str
    task_definition: str  # family, family:revision or ARN
    container_overrides: Sequence[ContainerOverride] = ()
    task_cpu: str | None = None  # task-level overrides.cpu: "1024" or "1 vCPU"
    task_memory: str | None = None  # task-level overrides.memory: "2048" or "2 GB"
    task_role_arn: str | None = None
    execution_role_arn: str | None = None
    ephemeral_storage_gib: int | None = None  # Fargate only, 21..200
    count: int = 1
    started_by: str | None = None
    group: str | None = None
    launch_type: str | None = None  # EC2 | FARGATE | EXTERNAL | MANAGED_INSTANCES
    capacity_provider_strategy: Sequence[Mapping[str, Any]] = ()  # capacityProvider/weight/base
    platform_version: str | None = None
    subnets: Sequence[str] = ()
    security_groups: Sequence[str] = ()
    assign_public_ip: bool | None = None  # -> "ENABLED" / "DISABLED"
    placement_constraints: Sequence[Mapping[str, Any]] = ()
    placement_strategy: Sequence[Mapping[str, Any]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    propagate_tags: str | None = None  # TASK_DEFINITION | NONE
    enable_execute_command: bool = False
    enable_ecs_managed_tags: bool | None = None
    volume_configurations: Sequence[Mapping[str, Any]] = ()
    reference_id: str | None = None
    client_token: str | None = None


def derive_client_token(*parts: str) -> str:
    """Returns a stable RunTask clientToken (64 hex characters) for the given parts.

    The parts (run id, step key, asset key, partition...) together easily pass the 64-character
    limit and may hold characters a token may not, so they are hashed rather than joined.
    They are JSON-encoded first so that ("ab", "c") and ("a", "bc") give different tokens.
    """
    if not parts:
        raise EcsSpecError("client_token", "needs at least one part to derive a token from")
    if not all(isinstance(part, str) for part in parts):
        raise EcsSpecError("client_token", "parts must be strings")
    encoded = json.dumps(list(parts), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()
