"""Task definitions described in code: the frozen spec, its family and its content digest.

A step names its image and size next to its code instead of a task definition registered
beforehand::

    TaskDefinitionSpec(image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:3.1",
                       command=["python", "-m", "etl"], cpu=1024, memory=4096,
                       secrets={"DB_PASSWORD": "arn:aws:secretsmanager:...:secret:db"})

or derives one from a registered family, changing only what it gives (typically the image)::

    TaskDefinitionSpec(base="etl", image="...:3.2")

``request.register_request`` turns a spec into the complete, normalised RegisterTaskDefinition
request; ``content_digest`` hashes that request: the key of a process's cache and a tag on
each revision registered from code, a label only. Whether a revision holds the content is
decided by comparing its content (``content``), since anyone can copy a revision with its
tags. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.task_definitions.checks import (
    FAMILY_PATTERN,
    MAX_FAMILY,
)

__all__ = [
    "DIGEST_TAG",
    "TaskDefinitionDefaults",
    "TaskDefinitionSpec",
    "content_digest",
    "derive_family",
]

SPEC = "task_definition_spec"
# Fargate-sensible defaults for a spec that derives from nothing: the smallest Fargate size,
# awsvpc networking (the only mode Fargate has), one essential container called "main".
DEFAULT_CPU = 256
DEFAULT_MEMORY = 512
DEFAULT_CONTAINER = "main"
DEFAULT_NETWORK_MODE = "awsvpc"
DEFAULT_COMPATIBILITIES = ("FARGATE",)
DEFAULT_FAMILY_PREFIX = "dagster-"
# The tag that carries a revision's content digest. Its value names the digest's recipe, so
# that a change of recipe registers once instead of matching content it no longer describes.
DIGEST_TAG = "ecs-pipelines/content-digest"
DIGEST_RECIPE = "v1"
_UNSAFE_FAMILY = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class TaskDefinitionSpec:
    """A task definition in code. None / empty means "not given": the default when the spec
    derives from nothing, the base's value when it derives from ``base``."""

    image: str | None = None
    command: Sequence[str] | None = None
    cpu: int | str | None = None  # task CPU units (256) or "0.25 vCPU"
    memory: int | str | None = None  # task memory in MiB (512) or "0.5 GB"
    container_cpu: int | None = None  # CPU units reserved for the container
    container_memory: int | None = None  # container hard limit, MiB
    container_memory_reservation: int | None = None  # container soft limit, MiB
    environment: Mapping[str, str] = field(default_factory=dict)
    # Name -> Secrets Manager secret ARN, SSM parameter ARN or SSM parameter name: ECS puts the
    # value in the container's environment at start; it never travels with the launch.
    secrets: Mapping[str, str] = field(default_factory=dict)
    log_group: str | None = None  # awslogs group; unset: the resource's
    log_stream_prefix: str | None = None  # unset: the family
    log_configuration: Mapping[str, Any] | None = None  # another log driver, as ECS spells it
    task_role_arn: str | None = None  # unset: the resource's default, if any
    execution_role_arn: str | None = None  # unset: the resource's default, if any
    cpu_architecture: str | None = None  # X86_64 | ARM64
    operating_system_family: str | None = None  # LINUX (default), WINDOWS_SERVER_2022_CORE...
    ephemeral_storage_gib: int | None = None  # Fargate only, 21..200
    network_mode: str | None = None  # awsvpc (default) | bridge | host | none
    requires_compatibilities: Sequence[str] | None = None  # ("FARGATE",) by default
    container_name: str | None = None  # unset: "main", or the base's first essential container
    base: str | None = None  # a registered family, family:revision or ARN to derive from
    family: str | None = None  # unset: the resource's prefix + the op or asset name

    @property
    def target_container(self) -> str | None:
        """The container the spec describes, when known without reading the base."""
        if self.container_name is not None:
            return self.container_name
        return DEFAULT_CONTAINER if self.base is None else None


@dataclass(frozen=True)
class TaskDefinitionDefaults:
    """What the resource supplies to a spec that derives from nothing."""

    family_prefix: str = DEFAULT_FAMILY_PREFIX
    log_group: str | None = None
    log_region: str | None = None
    execution_role_arn: str | None = None
    task_role_arn: str | None = None


def derive_family(prefix: str, name: str) -> str:
    """``prefix`` + ``name`` as a valid family: characters ECS refuses become '-'; past 255
    characters the name is cut and a digest of the whole keeps two long names apart."""
    family = _UNSAFE_FAMILY.sub("-", f"{prefix}{name}")
    if not family:
        raise EcsSpecError(f"{SPEC}.family", "needs a prefix or a name to derive a family from")
    if len(family) > MAX_FAMILY:
        digest = hashlib.sha256(family.encode()).hexdigest()[:8]
        family = f"{family[: MAX_FAMILY - 9]}-{digest}"
    return family


def check_family(family: object) -> str:
    if not isinstance(family, str) or not FAMILY_PATTERN.fullmatch(family):
        raise EcsSpecError(
            f"{SPEC}.family",
            f"must be 1..{MAX_FAMILY} letters, digits, hyphens and underscores, got {family!r}",
        )
    return family


def content_digest(request: Mapping[str, Any]) -> str:
    """A digest of the request's content (tags aside): equal content, equal digest."""
    content = {key: value for key, value in request.items() if key != "tags"}
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{DIGEST_RECIPE}:{hashlib.sha256(encoded.encode('utf-8')).hexdigest()}"


def with_family(spec: TaskDefinitionSpec, family: str) -> TaskDefinitionSpec:
    """``spec`` with ``family`` unless it names its own."""
    return spec if spec.family is not None else dataclasses.replace(spec, family=family)
