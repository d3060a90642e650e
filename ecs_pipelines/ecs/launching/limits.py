"""ECS RunTask limits, checked before any API call.

Every rule here is a limit ECS (or botocore's ECS model) documents; none is a house rule, so a
spec that passes can still be refused by ECS for account-specific reasons, but a spec that fails
would certainly have been refused. Sources: the RunTask API reference and the ECS developer
guide (task groups, tagging, capacity providers, Fargate ephemeral storage).

Errors are ``EcsSpecError(field, problem)``; the first problem found is raised, checking fields
in the order ``TaskLaunchSpec`` declares them. Values are echoed only when they cannot be
secret: environment values and command arguments never appear in a message.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.common import (
    MAX_EPHEMERAL_GIB,
    MIN_EPHEMERAL_GIB,
    EcsSpecError,
    cluster_name,
)
from ecs_pipelines.ecs.launching.spec import ContainerOverride, TaskLaunchSpec

MAX_COUNT = 10
MAX_NAME = 255  # cluster names and task group names
MAX_STARTED_BY = 128
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
# botocore's ECS model states "a maximum of 20 capacity providers"; there is no separate,
# smaller per-call limit for FARGATE / FARGATE_SPOT.
MAX_STRATEGY_ITEMS = 20
MAX_WEIGHT = 1000
MAX_BASE = 100_000
MAX_SUBNETS = 16
MAX_SECURITY_GROUPS = 5
MAX_PLACEMENT_CONSTRAINTS = 10
MAX_PLACEMENT_STRATEGY = 5
MAX_CONSTRAINT_EXPRESSION = 2000
MAX_CLIENT_TOKEN = 64
MAX_REFERENCE_ID = 1024
# "A total of 8192 characters are allowed for overrides. This limit includes the JSON
# formatting characters" (RunTask reference). Environment values count, so large configs
# passed through the environment hit this first.
MAX_OVERRIDES_JSON = 8192

# MANAGED_INSTANCES is in botocore's enum even though ECS steers it through capacity providers;
# rejecting it here would refuse input that botocore itself accepts.
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES")
PROPAGATE_TAGS = ("TASK_DEFINITION", "NONE")
STRATEGY_KEYS = frozenset({"capacityProvider", "weight", "base"})
CONSTRAINT_TYPES = ("distinctInstance", "memberOf")
STRATEGY_TYPES = ("random", "spread", "binpack")

_STARTED_BY = re.compile(r"[A-Za-z0-9_/-]+")
# Task-level cpu/memory overrides are strings: CPU units ("1024") or vCPUs ("1 vCPU",
# "0.25 vcpu"); memory in MiB ("2048") or GB ("2 GB", "2GB"), as task definitions accept.
_TASK_CPU = re.compile(r"(?P<amount>\d+(?:\.\d*)?|\.\d+)(?P<unit> ?vcpu)?", re.IGNORECASE)
_TASK_MEMORY = re.compile(r"(?P<amount>\d+(?:\.\d*)?|\.\d+)(?P<unit> ?gb)?", re.IGNORECASE)
# Tag pattern from the ECS model: ([\p{L}\p{Z}\p{N}_.:/=+\-@]*).
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _is_int(value: object) -> bool:
    # bool is an int subclass; True as a count or a memory size is always a mistake.
    return isinstance(value, int) and not isinstance(value, bool)


def _string_list(field: str, value: object) -> Sequence[str]:
    # A bare string is a Sequence[str] too; "subnet-1" must not become ["s", "u", ...].
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise EcsSpecError(field, f"must be a list of strings, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise EcsSpecError(f"{field}[{index}]", "must be a non-empty string")
    return value


def _mapping_list(field: str, value: object) -> Sequence[Mapping[str, Any]]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise EcsSpecError(field, f"must be a list of objects, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise EcsSpecError(f"{field}[{index}]", "must be an object")
    return value


def _int_in(field: str, value: object, low: int, high: int | None = None) -> None:
    bounds = f"{low}..{high}" if high is not None else f">= {low}"
    if not _is_int(value):
        raise EcsSpecError(field, f"must be an integer {bounds}, got {type(value).__name__}")
    assert isinstance(value, int)  # narrowed for mypy; _is_int checked it
    if value < low or (high is not None and value > high):
        raise EcsSpecError(field, f"must be {bounds}, got {value}")


def _optional_bool(field: str, value: object, *, required: bool = False) -> None:
    if (required or value is not None) and not isinstance(value, bool):
        raise EcsSpecError(field, f"must be true or false, got {type(value).__name__}")


def _non_empty(field: str, value: object, max_len: int | None = None) -> None:
    if not isinstance(value, str) or not value:
        raise EcsSpecError(field, "must be a non-empty string")
    if max_len is not None and len(value) > max_len:
        raise EcsSpecError(field, f"must be at most {max_len} characters, got {len(value)}")


def check_spec(spec: TaskLaunchSpec) -> None:
    """Raises ``EcsSpecError`` for the first broken limit of ``spec``, field by field."""
    _check_cluster(spec.cluster)
    _non_empty("task_definition", spec.task_definition)
    check_container_overrides(spec.container_overrides)
    _check_task_size("task_cpu", spec.task_cpu, _TASK_CPU, "CPU units or 'N vCPU'")
    _check_task_size("task_memory", spec.task_memory, _TASK_MEMORY, "MiB or 'N GB'")
    for name in ("task_role_arn", "execution_role_arn"):
        if getattr(spec, name) is not None:
            _non_empty(name, getattr(spec, name))
    storage = spec.ephemeral_storage_gib
    if storage is not None:
        _int_in("ephemeral_storage_gib", storage, MIN_EPHEMERAL_GIB, MAX_EPHEMERAL_GIB)
    _int_in("count", spec.count, 1, MAX_COUNT)
    _check_started_by(spec.started_by)
    if spec.group is not None:
        _non_empty("group", spec.group, MAX_NAME)
    _check_capacity(spec)
    _check_network(spec)
    _check_placement(spec)
    check_tags(spec.tags)
    _check_propagate_tags(spec.propagate_tags)
    _optional_bool("enable_execute_command", spec.enable_execute_command, required=True)
    _optional_bool("enable_ecs_managed_tags", spec.enable_ecs_managed_tags)
    for index, volume in enumerate(
        _mapping_list("volume_configurations", spec.volume_configurations)
    ):
        _non_empty(f"volume_configurations[{index}].name", volume.get("name"))
    if spec.reference_id is not None:
        _non_empty("reference_id", spec.reference_id, MAX_REFERENCE_ID)
    if spec.client_token is not None:
        check_client_token(spec.client_token)


def _check_cluster(cluster: object) -> None:
    _non_empty("cluster", cluster)
    assert isinstance(cluster, str)
    # The 255 limit is on the cluster *name*; an ARN wraps that name in ~50 more characters.
    name = cluster_name(cluster) if cluster.startswith("arn:") else cluster
    if len(name) > MAX_NAME:
        raise EcsSpecError(
            "cluster", f"name must be at most {MAX_NAME} characters, got {len(name)}"
        )


def _check_task_size(field: str, value: object, pattern: re.Pattern[str], forms: str) -> None:
    if value is None:
        return
    match = pattern.fullmatch(value) if isinstance(value, str) else None
    # Fractions only make sense with a unit: "0.5 vCPU" is fine, "0.5" CPU units are not.
    plain_integer = match is not None and (match["unit"] or match["amount"].isdigit())
    if match is None or not plain_integer or float(match["amount"]) <= 0:
        raise EcsSpecError(field, f"must be a positive amount in {forms}, got {value!r}")


def _check_started_by(started_by: str | None) -> None:
    if started_by is None:
        return
    _non_empty("started_by", started_by, MAX_STARTED_BY)
    if not _STARTED_BY.fullmatch(started_by):
        raise EcsSpecError(
            "started_by",
            f"may hold only letters, digits, '-', '/' and '_' (max {MAX_STARTED_BY}), "
            f"got {started_by!r}",
        )


def check_container_overrides(overrides: Sequence[ContainerOverride]) -> None:
    """Checks names (required, unique), command, environment names and sizes per container."""
    if isinstance(overrides, str | bytes) or not isinstance(overrides, Sequence):
        raise EcsSpecError("container_overrides", "must be a list of ContainerOverride")
    seen: set[str] = set()
    for index, override in enumerate(overrides):
        if not isinstance(override.name, str) or not override.name:
            raise EcsSpecError(f"container_overrides[{index}].name", "is required")
        if override.name in seen:
            raise EcsSpecError(
                f"container_overrides[{index}].name", f"duplicate container {override.name!r}"
            )
        seen.add(override.name)
        _check_one_override(f"container_overrides[{override.name}]", override)


def _check_one_override(where: str, override: ContainerOverride) -> None:
    if override.command is not None:
        command: object = override.command
        # Arguments are not echoed: commands often carry tokens or passwords.
        if isinstance(command, str | bytes) or not isinstance(command, Sequence):
            raise EcsSpecError(f"{where}.command", "must be a list of strings, not a single string")
        for position, argument in enumerate(command):
            if not isinstance(argument, str):
                raise EcsSpecError(
                    f"{where}.command[{position}]",
                    f"must be a string, got {type(argument).__name__}",
                )
    if override.environment is not None:
        if not isinstance(override.environment, Mapping):
            raise EcsSpecError(f"{where}.environment", "must be a mapping of name to value")
        for name, value in override.environment.items():
            if not isinstance(name, str) or not name:
                raise EcsSpecError(f"{where}.environment", "variable names must be non-empty")
            if not isinstance(value, str):
                raise EcsSpecError(
                    f"{where}.environment[{name}]",
                    f"value must be a string, got {type(value).__name__}",
                )
    # cpu 0 is legal in ECS (no reserved CPU units); memory sizes must be positive.
    if override.cpu is not None:
        _int_in(f"{where}.cpu", override.cpu, 0)
    for attribute in ("memory", "memory_reservation"):
        if getattr(override, attribute) is not None:
            _int_in(f"{where}.{attribute}", getattr(override, attribute), 1)
    memory, reservation = override.memory, override.memory_reservation
    if memory is not None and reservation is not None and reservation > memory:
        raise EcsSpecError(
            f"{where}.memory_reservation",
            f"must be <= memory ({memory} MiB), got {reservation} MiB",
        )


def check_overrides_size(overrides: Mapping[str, Any]) -> None:
    """Checks the 8192-character limit on the JSON of ``overrides`` (without echoing it)."""
    # Compact separators give the smallest encoding, so this never refuses what ECS accepts.
    size = len(json.dumps(overrides, separators=(",", ":"), ensure_ascii=False))
    if size > MAX_OVERRIDES_JSON:
        raise EcsSpecError(
            "container_overrides",
            f"overrides must be at most {MAX_OVERRIDES_JSON} characters of JSON, got {size} "
            "(large values belong in S3 or a secret, not the environment)",
        )


def _check_capacity(spec: TaskLaunchSpec) -> None:
    strategy = _mapping_list("capacity_provider_strategy", spec.capacity_provider_strategy)
    if spec.launch_type is not None:
        if spec.launch_type not in LAUNCH_TYPES:
            raise EcsSpecError(
                "launch_type", f"must be one of {', '.join(LAUNCH_TYPES)}, got {spec.launch_type!r}"
            )
        if strategy:
            raise EcsSpecError(
                "launch_type", "cannot be combined with capacity_provider_strategy; set one"
            )
    if len(strategy) > MAX_STRATEGY_ITEMS:
        raise EcsSpecError(
            "capacity_provider_strategy",
            f"must have at most {MAX_STRATEGY_ITEMS} items, got {len(strategy)}",
        )
    with_base = 0
    for index, item in enumerate(strategy):
        where = f"capacity_provider_strategy[{index}]"
        unknown = sorted(set(item) - STRATEGY_KEYS)
        if unknown:
            raise EcsSpecError(
                where, f"unknown keys {unknown}; allowed: capacityProvider, weight, base"
            )
        _non_empty(f"{where}.capacityProvider", item.get("capacityProvider"))
        if "weight" in item:
            _int_in(f"{where}.weight", item["weight"], 0, MAX_WEIGHT)
        if "base" in item:
            _int_in(f"{where}.base", item["base"], 0, MAX_BASE)
            # base 0 is the default and tools send it on every item; only a real base counts.
            with_base += item["base"] > 0
    if with_base > 1:
        raise EcsSpecError("capacity_provider_strategy", "at most one item may set a base > 0")
    if len(strategy) > 1 and all(item.get("weight", 0) == 0 for item in strategy):
        raise EcsSpecError(
            "capacity_provider_strategy",
            "with several providers at least one needs weight > 0 (weights are 0..1000)",
        )
    if spec.platform_version is not None:
        _non_empty("platform_version", spec.platform_version)
        # ECS: "The platform version must be null when specifying an EC2 launch type."
        # Without a launch type the cluster's strategy may well be Fargate, so allow it.
        if spec.launch_type not in (None, "FARGATE"):
            raise EcsSpecError(
                "platform_version", f"applies only to Fargate, not launch_type {spec.launch_type}"
            )


def _check_network(spec: TaskLaunchSpec) -> None:
    subnets = _string_list("subnets", spec.subnets)
    groups = _string_list("security_groups", spec.security_groups)
    _optional_bool("assign_public_ip", spec.assign_public_ip)
    if len(subnets) > MAX_SUBNETS:
        raise EcsSpecError("subnets", f"must have at most {MAX_SUBNETS} items, got {len(subnets)}")
    if len(groups) > MAX_SECURITY_GROUPS:
        raise EcsSpecError(
            "security_groups", f"must have at most {MAX_SECURITY_GROUPS} items, got {len(groups)}"
        )
    if not subnets:
        # awsvpcConfiguration requires subnets; the other two would be silently dropped.
        if groups:
            raise EcsSpecError("security_groups", "need subnets (awsvpc configuration)")
        if spec.assign_public_ip is not None:
            raise EcsSpecError("assign_public_ip", "needs subnets (awsvpc configuration)")


def _check_placement(spec: TaskLaunchSpec) -> None:
    constraints = _mapping_list("placement_constraints", spec.placement_constraints)
    strategies = _mapping_list("placement_strategy", spec.placement_strategy)
    if len(constraints) > MAX_PLACEMENT_CONSTRAINTS:
        raise EcsSpecError(
            "placement_constraints",
            f"must have at most {MAX_PLACEMENT_CONSTRAINTS} items, got {len(constraints)}",
        )
    if len(strategies) > MAX_PLACEMENT_STRATEGY:
        raise EcsSpecError(
            "placement_strategy",
            f"must have at most {MAX_PLACEMENT_STRATEGY} items, got {len(strategies)}",
        )
    for field, items in (
        ("placement_constraints", constraints),
        ("placement_strategy", strategies),
    ):
        if items and spec.launch_type == "FARGATE":
            raise EcsSpecError(field, "is not supported with launch_type FARGATE")
    for index, constraint in enumerate(constraints):
        where = f"placement_constraints[{index}]"
        _one_of(f"{where}.type", constraint.get("type"), CONSTRAINT_TYPES)
        expression = constraint.get("expression")
        if expression is not None:
            if constraint["type"] == "distinctInstance":
                raise EcsSpecError(f"{where}.expression", "is not allowed with distinctInstance")
            _non_empty(f"{where}.expression", expression, MAX_CONSTRAINT_EXPRESSION)
    for index, strategy in enumerate(strategies):
        _one_of(f"placement_strategy[{index}].type", strategy.get("type"), STRATEGY_TYPES)


def _one_of(field: str, value: object, allowed: Iterable[str]) -> None:
    choices = tuple(allowed)
    if value not in choices:
        raise EcsSpecError(field, f"must be one of {', '.join(choices)}, got {value!r}")


def check_tags(tags: Mapping[str, str]) -> None:
    """Checks count, key/value lengths and characters, and the reserved ``aws:`` prefix.

    The 50-tag limit is per task, so callers that add their own tags (Dagster run tags, for
    instance) must merge them in before checking, or the total can pass here and fail in ECS.
    """
    if not isinstance(tags, Mapping):
        raise EcsSpecError("tags", "must be a mapping of key to value")
    if len(tags) > MAX_TAGS:
        raise EcsSpecError("tags", f"must have at most {MAX_TAGS} tags per task, got {len(tags)}")
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY:
            raise EcsSpecError("tags", f"keys must be 1..{MAX_TAG_KEY} characters, got {key!r}")
        if key.lower().startswith("aws:"):
            raise EcsSpecError(f"tags[{key}]", "keys starting with 'aws:' are reserved by AWS")
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE:
            raise EcsSpecError(
                f"tags[{key}]", f"value must be a string of at most {MAX_TAG_VALUE} characters"
            )
        for part, text in (("key", key), ("value", value)):
            bad = next((ch for ch in text if not _tag_char(ch)), None)
            if bad is not None:
                raise EcsSpecError(
                    f"tags[{key}]",
                    f"{part} may hold letters, digits, spaces and _ . : / = + - @; got {bad!r}",
                )


def _tag_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LZN" or ch in _TAG_PUNCTUATION


def _check_propagate_tags(value: str | None) -> None:
    if value == "SERVICE":
        raise EcsSpecError(
            "propagate_tags",
            "SERVICE is only for services; a task started by RunTask has no service to copy "
            "tags from (use TASK_DEFINITION or NONE)",
        )
    if value is not None:
        _one_of("propagate_tags", value, PROPAGATE_TAGS)


def check_client_token(token: object) -> None:
    """clientToken: 1..64 characters, each in ASCII 33..126 (printable, no space)."""
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_CLIENT_TOKEN:
        size = len(token) if isinstance(token, str) else type(token).__name__
        raise EcsSpecError("client_token", f"must be 1..{MAX_CLIENT_TOKEN} characters, got {size}")
    if not all(33 <= ord(ch) <= 126 for ch in token):
        raise EcsSpecError(
            "client_token", "may hold only printable ASCII without spaces (codes 33..126)"
        )
