"""Checks of one TaskDefinitionSpec, field by field, before the resource or the base is known.
Pure: each field's shape and syntax (``checks`` holds the rules of each value)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ecs_pipelines.ecs.common import (
    MAX_EPHEMERAL_GIB,
    MIN_EPHEMERAL_GIB,
    EcsSpecError,
    command_argv,
    environment_map,
    iam_role_arn,
    int_range,
    matching,
    non_empty_string,
    one_of,
)
from ecs_pipelines.ecs.task_definitions.checks import (
    COMPATIBILITIES,
    CONTAINER_NAME,
    CPU_ARCHITECTURES,
    FAMILY_PATTERN,
    LOG_DRIVERS,
    NETWORK_MODES,
    OS_FAMILIES,
    SPEC,
    check_image,
    check_log_group,
    check_secret_reference,
    parse_cpu,
    parse_memory,
)
from ecs_pipelines.ecs.task_definitions.spec import TaskDefinitionSpec


def check_spec_fields(spec: TaskDefinitionSpec) -> None:
    """Each given field on its own: types, shapes and syntax."""
    if spec.image is not None:
        check_image(f"{SPEC}.image", spec.image)
    if spec.command is not None:
        command_argv(f"{SPEC}.command", spec.command)
    if spec.cpu is not None:
        parse_cpu(f"{SPEC}.cpu", spec.cpu)
    if spec.memory is not None:
        parse_memory(f"{SPEC}.memory", spec.memory)
    if spec.container_cpu is not None:
        int_range(f"{SPEC}.container_cpu", spec.container_cpu, 0)
    for name in ("container_memory", "container_memory_reservation"):
        if getattr(spec, name) is not None:
            int_range(f"{SPEC}.{name}", getattr(spec, name), 6)  # Docker's 6 MiB floor
    environment_map(f"{SPEC}.environment", spec.environment)
    secrets = environment_map(f"{SPEC}.secrets", spec.secrets)
    for name, reference in secrets.items():
        check_secret_reference(f"{SPEC}.secrets[{name}]", reference)
    both = sorted(set(secrets) & set(spec.environment))
    if both:
        raise EcsSpecError(f"{SPEC}.secrets", f"{both} are also in environment; name each once")
    _check_logging(spec)
    for name in ("task_role_arn", "execution_role_arn"):
        if getattr(spec, name) is not None:
            iam_role_arn(f"{SPEC}.{name}", getattr(spec, name))
    _check_platform(spec)
    if spec.container_name is not None:
        matching(f"{SPEC}.container_name", spec.container_name, CONTAINER_NAME, _NAME_RULE)
    if spec.base is not None:
        non_empty_string(f"{SPEC}.base", spec.base)
    if spec.family is not None:
        matching(f"{SPEC}.family", spec.family, FAMILY_PATTERN, _NAME_RULE)


_NAME_RULE = "1..255 letters, digits, hyphens and underscores"


def _check_logging(spec: TaskDefinitionSpec) -> None:
    if spec.log_group is not None:
        check_log_group(f"{SPEC}.log_group", spec.log_group)
    if spec.log_stream_prefix is not None:
        prefix = non_empty_string(f"{SPEC}.log_stream_prefix", spec.log_stream_prefix)
        if len(prefix) > 512 or ":" in prefix or "*" in prefix:
            raise EcsSpecError(
                f"{SPEC}.log_stream_prefix", "must be 1..512 characters without ':' or '*'"
            )
    config = spec.log_configuration
    if config is None:
        return
    if spec.log_group is not None:
        raise EcsSpecError(f"{SPEC}.log_configuration", "set log_group or log_configuration")
    if not isinstance(config, Mapping) or config.get("logDriver") not in LOG_DRIVERS:
        raise EcsSpecError(
            f"{SPEC}.log_configuration",
            f"must be a mapping with logDriver one of {', '.join(sorted(LOG_DRIVERS))}",
        )
    unknown = sorted(set(config) - {"logDriver", "options", "secretOptions"})
    if unknown:
        raise EcsSpecError(f"{SPEC}.log_configuration", f"unknown keys {unknown}")
    environment_map(f"{SPEC}.log_configuration.options", config.get("options") or {})


def _check_platform(spec: TaskDefinitionSpec) -> None:
    if spec.cpu_architecture is not None:
        one_of(f"{SPEC}.cpu_architecture", spec.cpu_architecture, CPU_ARCHITECTURES)
    family = spec.operating_system_family
    if family is not None:
        one_of(f"{SPEC}.operating_system_family", family, OS_FAMILIES)
    if spec.ephemeral_storage_gib is not None:
        int_range(
            f"{SPEC}.ephemeral_storage_gib",
            spec.ephemeral_storage_gib,
            MIN_EPHEMERAL_GIB,
            MAX_EPHEMERAL_GIB,
        )
    if spec.network_mode is not None:
        one_of(f"{SPEC}.network_mode", spec.network_mode, NETWORK_MODES)
    compatibilities = spec.requires_compatibilities
    if compatibilities is not None:
        if isinstance(compatibilities, str) or not isinstance(compatibilities, Sequence):
            raise EcsSpecError(f"{SPEC}.requires_compatibilities", "must be a list")
        unknown = sorted(set(compatibilities) - COMPATIBILITIES)
        if unknown or not compatibilities:
            raise EcsSpecError(
                f"{SPEC}.requires_compatibilities",
                f"must name some of {', '.join(sorted(COMPATIBILITIES))}, "
                f"got {list(compatibilities)}",
            )
