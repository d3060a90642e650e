"""Launch settings: every launch option, at whichever level it is set. Pure, immutable.

One type serves every level a launch option can be set at: the resource's settings, an op or
asset factory's arguments, a run's Launchpad config and one call's arguments. Every field is
optional: None means "not set at this level", so the level below decides (``precedence.py`` holds
the precedence rules; ``options.py`` declares each option: its description, its check, its
RunTask name). A value is kept as given: checks refuse a wrong shape rather than convert it.

``command``, ``environment``, ``secret_environment``, ``cpu`` and ``memory`` go to one
container's override: ``container_name``'s, else the task definition's first essential
container. ``container_overrides`` are RunTask's own per-container overrides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec

__all__ = ["ContainerOverride", "LaunchSettings"]


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
class LaunchSettings:
    """Every launch option; None: not set at this level. Each option's description, check
    and RunTask name are its declaration (``options.py``)."""

    cluster: str | None = None
    task_definition: str | None = None
    task_definition_spec: TaskDefinitionSpec | None = None
    container_name: str | None = None
    command: Sequence[str] | None = None
    environment: Mapping[str, str] | None = None
    # Values never shown: not in a repr, masked wherever the project writes text.
    secret_environment: Mapping[str, str] | None = field(default=None, repr=False)
    cpu: int | None = None
    memory: int | None = None
    container_overrides: Sequence[ContainerOverride] | None = None
    task_cpu: str | None = None
    task_memory: str | None = None
    task_role_arn: str | None = None
    execution_role_arn: str | None = None
    ephemeral_storage_gib: int | None = None
    count: int | None = None
    started_by: str | None = None
    group: str | None = None
    launch_type: str | None = None
    capacity_provider_strategy: Sequence[Mapping[str, Any]] | None = None
    platform_version: str | None = None
    subnets: Sequence[str] | None = None
    security_groups: Sequence[str] | None = None
    assign_public_ip: bool | None = None
    placement_constraints: Sequence[Mapping[str, Any]] | None = None
    placement_strategy: Sequence[Mapping[str, Any]] | None = None
    tags: Mapping[str, str] | None = None
    propagate_tags: str | None = None
    enable_execute_command: bool | None = None
    enable_ecs_managed_tags: bool | None = None
    volume_configurations: Sequence[Mapping[str, Any]] | None = None
    reference_id: str | None = None
    client_token: str | None = None
    capacity_retry_seconds: float | None = None

    def given(self) -> dict[str, object]:
        """The options set at this level, by name."""
        return {
            option.name: getattr(self, option.name)
            for option in dataclasses.fields(self)
            if getattr(self, option.name) is not None
        }

    def replace(self, **changes: Any) -> LaunchSettings:
        return dataclasses.replace(self, **changes)

    @property
    def targets_container(self) -> bool:
        """True when something goes to one container's override (which one may need the
        task definition to tell)."""
        targeted = (self.command, self.environment, self.cpu, self.memory)
        return any(value is not None for value in targeted) or bool(self.secret_environment)


def settings_of(values: Mapping[str, object]) -> LaunchSettings:
    """Launch settings from options by name, as parsed or merged: values not yet checked."""
    # Each value goes to the field of its name; the launch's field checks (checking.py)
    # refuse a value of the wrong shape, naming the field, before any call.
    fields: dict[str, Any] = dict(values)  # Any: a field's value, checked by its field check
    return LaunchSettings(**fields)


def override_of(values: Mapping[str, object]) -> ContainerOverride:
    """A container override from its fields by name, as parsed: values not yet checked."""
    # As in settings_of: the container_overrides check refuses a wrong value by name.
    fields: dict[str, Any] = dict(values)  # Any: a field's value, checked by its field check
    return ContainerOverride(**fields)


def setting_names() -> tuple[str, ...]:
    return tuple(option.name for option in dataclasses.fields(LaunchSettings))
