"""Field checks: one vocabulary for every value a user gives, before any AWS call. Pure.

Each check takes the field's name and the value, raises ``EcsSpecError(field, problem)``
naming the field and the limit, and returns the value as the type it checked. Checks never
coerce: a value of the wrong shape is refused rather than turned into something else
(``"echo hi"`` into seven one-letter arguments, ``None`` into the string ``"None"``). Values
are not echoed where they may be secret (environment values, command arguments).

The launch options (``ecs.launching``), task definitions described in code
(``ecs.task_definitions``), the step options and the resource's settings (``integration``)
and the CLI all check their fields with these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ecs_pipelines.ecs.common.arns import MAX_STARTED_BY, STARTED_BY_PATTERN
from ecs_pipelines.ecs.common.errors import EcsSpecError

# Fargate ephemeral storage, in GiB: "The minimum supported value is 21 GiB and the maximum
# supported value is 200 GiB" (RunTask EphemeralStorage, TaskDefinition ephemeralStorage).
MIN_EPHEMERAL_GIB, MAX_EPHEMERAL_GIB = 21, 200
# Tags (ECS "Tagging your resources": 50 per resource, keys 1..128, values 0..256; the model's
# pattern ([\p{L}\p{Z}\p{N}_.:/=+\-@]*); "aws:" is reserved).
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
# IAM role ARNs: arn:<partition>:iam::<12-digit account>:role/<path and name>.
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}")


# --- shapes -------------------------------------------------------------------------------


def mapping(field: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EcsSpecError(field, f"must be an object (mapping), got {type(value).__name__}")
    return value


def list_of(field: str, value: object) -> Sequence[Any]:
    # A bare string is a Sequence too; "subnet-1" must not become ["s", "u", ...].
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise EcsSpecError(field, f"must be a list, got {type(value).__name__}")
    return value


def mapping_list(field: str, value: object) -> list[Mapping[str, Any]]:
    """A list of objects (RunTask's strategies, constraints, volume configurations)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise EcsSpecError(field, f"must be a list of objects, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise EcsSpecError(f"{field}[{index}]", "must be an object")
    return list(value)


def string_list(field: str, value: object) -> list[str]:
    """A list of non-empty strings, as given; anything else is refused."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise EcsSpecError(field, f"must be a list of strings, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise EcsSpecError(f"{field}[{index}]", "must be a non-empty string")
    return list(value)


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


# --- scalars ------------------------------------------------------------------------------


def boolean(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise EcsSpecError(field, f"must be true or false, got {type(value).__name__}")
    return value


def int_range(field: str, value: object, low: int, high: int | None = None) -> int:
    """An integer in ``low..high`` (``>= low`` without ``high``); True is not 1."""
    bounds = f"{low}..{high}" if high is not None else f">= {low}"
    # bool is an int subclass; True as a count or a memory size is always a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise EcsSpecError(field, f"must be an integer {bounds}, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        raise EcsSpecError(field, f"must be {bounds}, got {value}")
    return value


def positive_seconds(field: str, value: object) -> float:
    """A number of seconds greater than zero (an interval, a grace period)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EcsSpecError(field, f"must be a number of seconds, got {type(value).__name__}")
    if not value > 0:
        raise EcsSpecError(field, f"must be > 0, got {value}")
    return float(value)


def optional_timeout(field: str, value: object) -> float | None:
    """A timeout: None (wait as long as it takes) or a positive number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EcsSpecError(field, f"must be a number of seconds, got {type(value).__name__}")
    if not value > 0:
        raise EcsSpecError(field, f"must be > 0 seconds (or None to wait), got {value}")
    return float(value)


def non_empty_string(field: str, value: object, max_length: int | None = None) -> str:
    """A string with something in it (blank is refused), at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise EcsSpecError(field, "must be a non-empty string")
    if max_length is not None and len(value) > max_length:
        raise EcsSpecError(field, f"must be at most {max_length} characters, got {len(value)}")
    return value


def matching(field: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    """A non-empty string that ``pattern`` matches whole; ``what`` says what it must be."""
    text = non_empty_string(field, value)
    if not pattern.fullmatch(text):
        raise EcsSpecError(field, f"must be {what}, got {text!r}")
    return text


def one_of(field: str, value: object, allowed: Iterable[str]) -> str:
    choices = tuple(allowed)
    if value not in choices:
        raise EcsSpecError(field, f"must be one of {', '.join(choices)}, got {value!r}")
    assert isinstance(value, str)  # it is one of the choices
    return value


# --- ECS and IAM values -------------------------------------------------------------------


def iam_role_arn(field: str, value: object) -> str:
    return matching(field, value, ROLE_ARN, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)")


def started_by_string(field: str, value: object) -> str:
    """RunTask's startedBy (and ListTasks' filter): up to 128 letters, digits, '-', '/', '_'."""
    text = non_empty_string(field, value, MAX_STARTED_BY)
    if not STARTED_BY_PATTERN.fullmatch(text):
        raise EcsSpecError(
            field,
            f"may hold only letters, digits, '-', '/' and '_' (max {MAX_STARTED_BY}), got {text!r}",
        )
    return text


def tag_map(field: str, value: object) -> dict[str, str]:
    """Tags: count, key/value lengths and characters, and the reserved ``aws:`` prefix.

    The 50-tag limit is per task, so callers that add their own tags (Dagster run tags, for
    instance) must merge them in before checking, or the total can pass here and fail in ECS.
    """
    if not isinstance(value, Mapping):
        raise EcsSpecError(field, "must be a mapping of key to value")
    if len(value) > MAX_TAGS:
        raise EcsSpecError(field, f"must have at most {MAX_TAGS} tags per task, got {len(value)}")
    for key, text in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY:
            raise EcsSpecError(field, f"keys must be 1..{MAX_TAG_KEY} characters, got {key!r}")
        if key.lower().startswith("aws:"):
            raise EcsSpecError(f"{field}[{key}]", "keys starting with 'aws:' are reserved by AWS")
        if not isinstance(text, str) or len(text) > MAX_TAG_VALUE:
            raise EcsSpecError(
                f"{field}[{key}]", f"value must be a string of at most {MAX_TAG_VALUE} characters"
            )
        for part, checked in (("key", key), ("value", text)):
            bad = next((ch for ch in checked if not _tag_char(ch)), None)
            if bad is not None:
                raise EcsSpecError(
                    f"{field}[{key}]",
                    f"{part} may hold letters, digits, spaces and _ . : / = + - @; got {bad!r}",
                )
    return dict(value)


def _tag_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LZN" or ch in _TAG_PUNCTUATION
