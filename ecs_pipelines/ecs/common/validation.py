"""Field checks: one vocabulary for every value a user gives, before any AWS call. Pure.

Each check names the field and the limit in an ``EcsSpecError`` and never coerces: a value of
the wrong shape is refused rather than turned into something else (``"echo hi"`` into seven
one-letter arguments, ``None`` into the string ``"None"``). Values are not echoed where they
may be secret (environment values, command arguments).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.common.errors import EcsSpecError

# Fargate ephemeral storage, in GiB: "The minimum supported value is 21 GiB and the maximum
# supported value is 200 GiB" (RunTask EphemeralStorage, TaskDefinition ephemeralStorage).
MIN_EPHEMERAL_GIB, MAX_EPHEMERAL_GIB = 21, 200


def mapping(field: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EcsSpecError(field, f"must be an object (mapping), got {type(value).__name__}")
    return value


def list_of(field: str, value: object) -> Sequence[Any]:
    # A bare string is a Sequence too; "subnet-1" must not become ["s", "u", ...].
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise EcsSpecError(field, f"must be a list, got {type(value).__name__}")
    return value


def string_list(field: str, value: object) -> list[str]:
    """A list of non-empty strings, as given; anything else is refused."""
    items = list_of(field, value)
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise EcsSpecError(f"{field}[{index}]", "must be a non-empty string")
    return list(items)


def command_argv(field: str, value: object) -> list[str]:
    """A container command: a list of strings, never one string (arguments are not echoed)."""
    if isinstance(value, str):
        raise EcsSpecError(
            field, "must be a list of strings, one per argument (e.g. ['echo', 'hi']), not a string"
        )
    items = list_of(field, value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise EcsSpecError(f"{field}[{index}]", f"must be a string, got {type(item).__name__}")
    return list(items)


def environment_map(field: str, value: object) -> dict[str, str]:
    """Environment as name -> value, from a mapping; values must already be strings."""
    env = mapping(field, value)
    for name, item in env.items():
        if not isinstance(name, str) or not name:
            raise EcsSpecError(field, "variable names must be non-empty strings")
        if not isinstance(item, str):
            # The value is not echoed: environments carry credentials.
            raise EcsSpecError(f"{field}[{name}]", f"must be a string, got {type(item).__name__}")
    return dict(env)
