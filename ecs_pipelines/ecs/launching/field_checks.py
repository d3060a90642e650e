"""The checks of RunTask's options that have a structure of their own (container overrides,
capacity provider strategies, placement, task sizes, the client token...), each built from the
vocabulary of ``ecs.common.validation`` with RunTask's constants (``limits.py``). Pure.

Each check takes the option's name and its value and raises ``EcsSpecError`` naming the field
(``container_overrides[main].memory``) and the limit. The declaration (``options.py``) gives
every option its check; simple ones come straight from the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from ecs_pipelines.ecs.common import (
    EcsSpecError,
    cluster_name,
    command_argv,
    environment_map,
    int_range,
    mapping_list,
    non_empty_string,
    one_of,
    string_list,
)
from ecs_pipelines.ecs.launching.limits import (
    CONSTRAINT_TYPES,
    MAX_BASE,
    MAX_CLIENT_TOKEN,
    MAX_CONSTRAINT_EXPRESSION,
    MAX_NAME,
    MAX_PLACEMENT_CONSTRAINTS,
    MAX_PLACEMENT_STRATEGY,
    MAX_RETRY_BUDGET_SECONDS,
    MAX_SECURITY_GROUPS,
    MAX_STRATEGY_ITEMS,
    MAX_SUBNETS,
    MAX_WEIGHT,
    PROPAGATE_TAGS,
    STRATEGY_KEYS,
    STRATEGY_TYPES,
    check_container_sizes,
)
from ecs_pipelines.ecs.launching.settings import ContainerOverride
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec, check_spec

_Item = TypeVar("_Item")

# Task-level cpu/memory overrides are strings: CPU units ("1024") or vCPUs ("1 vCPU",
# "0.25 vcpu"); memory in MiB ("2048") or GB ("2 GB", "2GB"), as task definitions accept.
_TASK_CPU = re.compile(r"(?P<amount>\d+(?:\.\d*)?|\.\d+)(?P<unit> ?vcpu)?", re.IGNORECASE)
_TASK_MEMORY = re.compile(r"(?P<amount>\d+(?:\.\d*)?|\.\d+)(?P<unit> ?gb)?", re.IGNORECASE)


def cluster(field: str, value: object) -> None:
    text = non_empty_string(field, value)
    # The 255 limit is on the cluster *name*; an ARN wraps that name in ~50 more characters.
    name = cluster_name(text) if text.startswith("arn:") else text
    if len(name) > MAX_NAME:
        raise EcsSpecError(field, f"name must be at most {MAX_NAME} characters, got {len(name)}")


def task_definition_spec(field: str, value: object) -> None:
    """A task definition described in code: every rule checkable before the resource is known."""
    if not isinstance(value, TaskDefinitionSpec):
        raise EcsSpecError(field, f"must be a TaskDefinitionSpec, got {type(value).__name__}")
    check_spec(value)


def _task_size(field: str, value: object, pattern: re.Pattern[str], forms: str) -> None:
    match = pattern.fullmatch(value) if isinstance(value, str) else None
    # Fractions only make sense with a unit: "0.5 vCPU" is fine, "0.5" CPU units are not.
    plain_integer = match is not None and (match["unit"] or match["amount"].isdigit())
    if match is None or not plain_integer or float(match["amount"]) <= 0:
        raise EcsSpecError(field, f"must be a positive amount in {forms}, got {value!r}")


def task_cpu(field: str, value: object) -> None:
    _task_size(field, value, _TASK_CPU, "CPU units or 'N vCPU'")


def task_memory(field: str, value: object) -> None:
    _task_size(field, value, _TASK_MEMORY, "MiB or 'N GB'")


def container_cpu(field: str, value: object) -> None:
    # cpu 0 is legal in ECS (no reserved CPU units).
    int_range(field, value, 0)


def container_memory(field: str, value: object) -> None:
    int_range(field, value, 1)


def container_overrides(field: str, value: object) -> None:
    """Names (required, unique), command, environment names and sizes per container."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise EcsSpecError(field, "must be a list of ContainerOverride")
    seen: set[str] = set()
    for index, override in enumerate(value):
        if not isinstance(override, ContainerOverride):
            raise EcsSpecError(f"{field}[{index}]", "must be a ContainerOverride")
        if not isinstance(override.name, str) or not override.name:
            raise EcsSpecError(f"{field}[{index}].name", "is required")
        if override.name in seen:
            raise EcsSpecError(f"{field}[{index}].name", f"duplicate container {override.name!r}")
        seen.add(override.name)
        one_container(f"{field}[{override.name}]", override)


def one_container(where: str, override: ContainerOverride) -> None:
    """One container's override: command, environment, sizes and their relation."""
    if override.command is not None:
        # Arguments are not echoed: commands often carry tokens or passwords.
        command_argv(f"{where}.command", override.command)
    if override.environment is not None:
        environment_map(f"{where}.environment", override.environment)
    if override.cpu is not None:
        container_cpu(f"{where}.cpu", override.cpu)
    for attribute in ("memory", "memory_reservation"):
        if getattr(override, attribute) is not None:
            container_memory(f"{where}.{attribute}", getattr(override, attribute))
    mapping_list(f"{where}.environment_files", override.environment_files)
    mapping_list(f"{where}.resource_requirements", override.resource_requirements)
    check_container_sizes(where, override.memory, override.memory_reservation)


def capacity_provider_strategy(field: str, value: object) -> None:
    strategy = mapping_list(field, value)
    if len(strategy) > MAX_STRATEGY_ITEMS:
        raise EcsSpecError(
            field, f"must have at most {MAX_STRATEGY_ITEMS} items, got {len(strategy)}"
        )
    with_base = 0
    for index, item in enumerate(strategy):
        where = f"{field}[{index}]"
        unknown = sorted(set(item) - STRATEGY_KEYS)
        if unknown:
            raise EcsSpecError(
                where, f"unknown keys {unknown}; allowed: capacityProvider, weight, base"
            )
        non_empty_string(f"{where}.capacityProvider", item.get("capacityProvider"))
        if "weight" in item:
            int_range(f"{where}.weight", item["weight"], 0, MAX_WEIGHT)
        if "base" in item:
            # base 0 is the default and tools send it on every item; only a real base counts.
            with_base += int_range(f"{where}.base", item["base"], 0, MAX_BASE) > 0
    if with_base > 1:
        raise EcsSpecError(field, "at most one item may set a base > 0")
    if len(strategy) > 1 and all(item.get("weight", 0) == 0 for item in strategy):
        raise EcsSpecError(
            field, "with several providers at least one needs weight > 0 (weights are 0..1000)"
        )


def subnets(field: str, value: object) -> None:
    _at_most(field, string_list(field, value), MAX_SUBNETS)


def security_groups(field: str, value: object) -> None:
    _at_most(field, string_list(field, value), MAX_SECURITY_GROUPS)


def placement_constraints(field: str, value: object) -> None:
    constraints = _at_most(field, mapping_list(field, value), MAX_PLACEMENT_CONSTRAINTS)
    for index, constraint in enumerate(constraints):
        where = f"{field}[{index}]"
        kind = one_of(f"{where}.type", constraint.get("type"), CONSTRAINT_TYPES)
        expression = constraint.get("expression")
        if expression is not None:
            if kind == "distinctInstance":
                raise EcsSpecError(f"{where}.expression", "is not allowed with distinctInstance")
            non_empty_string(f"{where}.expression", expression, MAX_CONSTRAINT_EXPRESSION)


def placement_strategy(field: str, value: object) -> None:
    strategies = _at_most(field, mapping_list(field, value), MAX_PLACEMENT_STRATEGY)
    for index, strategy in enumerate(strategies):
        one_of(f"{field}[{index}].type", strategy.get("type"), STRATEGY_TYPES)


def _at_most(field: str, items: list[_Item], limit: int) -> list[_Item]:
    if len(items) > limit:
        raise EcsSpecError(field, f"must have at most {limit} items, got {len(items)}")
    return items


def propagate_tags(field: str, value: object) -> None:
    if value == "SERVICE":
        raise EcsSpecError(
            field,
            "SERVICE is only for services; a task started by RunTask has no service to copy "
            "tags from (use TASK_DEFINITION or NONE)",
        )
    one_of(field, value, PROPAGATE_TAGS)


def volume_configurations(field: str, value: object) -> None:
    for index, volume in enumerate(mapping_list(field, value)):
        non_empty_string(f"{field}[{index}].name", volume.get("name"))


def retry_budget(field: str, value: object) -> None:
    """A number of seconds, 0 (no retry) or more."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EcsSpecError(field, f"must be a number of seconds, got {type(value).__name__}")
    if not 0 <= value <= MAX_RETRY_BUDGET_SECONDS:
        raise EcsSpecError(field, f"must be 0..{MAX_RETRY_BUDGET_SECONDS} seconds, got {value}")


def client_token(field: str, value: object) -> None:
    """clientToken: 1..64 characters, each in ASCII 33..126 (printable, no space)."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CLIENT_TOKEN:
        size = len(value) if isinstance(value, str) else type(value).__name__
        raise EcsSpecError(field, f"must be 1..{MAX_CLIENT_TOKEN} characters, got {size}")
    if not all(33 <= ord(ch) <= 126 for ch in value):
        raise EcsSpecError(field, "may hold only printable ASCII without spaces (codes 33..126)")
