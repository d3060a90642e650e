"""RunTask's parameter rules as ECS answers them, decided without a server."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from ecs_pipelines.local.contract import RequestRejected
from ecs_pipelines.local.rules.run_task_rules import (
    MAX_OVERRIDES_CHARACTERS,
    check_count,
    check_launch_type,
    check_launch_type_or_strategy,
    check_override_names,
    check_overrides_size,
    check_propagate_tags,
    check_task_definition_active,
)

INVALID = "InvalidParameterException"


def refused(check: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(RequestRejected) as raised:
        check()
    return raised.value.code, raised.value.message


@pytest.mark.parametrize(("count", "expected"), [(None, 1), (1, 1), (10, 10), ("3", 3)])
def test_count_defaults_to_one_and_takes_up_to_ten(count: object, expected: int) -> None:
    """RunTask launches one task unless told; 1 to 10 are taken."""
    assert check_count(count) == expected


@pytest.mark.parametrize("count", [0, 11, -1])
def test_count_outside_one_to_ten_is_refused(count: int) -> None:
    """A count below 1 or above 10 is InvalidParameterException, saying the range."""
    assert refused(lambda: check_count(count)) == (INVALID, "Count must be between 1 and 10.")


def test_propagate_tags_service_is_for_services_only() -> None:
    """propagateTags SERVICE is refused for RunTask; TASK_DEFINITION, NONE and none pass."""
    for value in (None, "NONE", "TASK_DEFINITION"):
        check_propagate_tags(value)
    assert refused(lambda: check_propagate_tags("SERVICE")) == (
        INVALID,
        "The propagateTags value SERVICE is not valid for RunTask.",
    )


def test_overrides_fit_in_8192_characters_of_compact_json() -> None:
    """Overrides of exactly 8192 characters (compact JSON, UTF-8 as is) pass; one more does not."""
    base = {"containerOverrides": [{"name": "main", "command": [""]}]}
    compact = len(json.dumps(base, separators=(",", ":")))
    fits = {"containerOverrides": [{"name": "main", "command": ["é" * (8192 - compact)]}]}
    check_overrides_size(fits)
    check_overrides_size(None)
    too_long = {"containerOverrides": [{"name": "main", "command": ["é" * (8193 - compact)]}]}
    assert refused(lambda: check_overrides_size(too_long)) == (
        INVALID,
        f"Container Overrides length must be at most {MAX_OVERRIDES_CHARACTERS}",
    )


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("RunTask", INVALID),
        ("StartTask", INVALID),
        ("CreateService", "ClientException"),
        ("UpdateService", "ClientException"),
        ("CreateTaskSet", "ClientException"),
    ],
)
def test_an_inactive_revision_is_refused_with_each_actions_code(action: str, code: str) -> None:
    """An INACTIVE revision starts nothing: "TaskDefinition is inactive", with the action's code."""
    check_task_definition_active(action, "ACTIVE")
    assert refused(lambda: check_task_definition_active(action, "INACTIVE")) == (
        code,
        "TaskDefinition is inactive",
    )


def test_overrides_name_only_containers_of_the_definition() -> None:
    """An override for a container the definition lacks is refused, naming it."""
    overrides = {"containerOverrides": [{"name": "main"}, {"command": ["x"]}]}
    check_override_names(overrides, ["main", "side"])
    check_override_names(None, [])
    bad = {"containerOverrides": [{"name": "mian"}]}
    assert refused(lambda: check_override_names(bad, ["main"])) == (
        INVALID,
        "Override for container named mian is not a container in the TaskDefinition.",
    )


def test_launch_type_is_one_moto_can_place() -> None:
    """EC2, FARGATE, EXTERNAL (or none) pass; anything else is refused, listing them."""
    for launch_type in (None, "", "EC2", "FARGATE", "EXTERNAL"):
        check_launch_type(launch_type)
    assert refused(lambda: check_launch_type("LAMBDA")) == (
        INVALID,
        "launch type should be one of [EC2,FARGATE,EXTERNAL]",
    )


def test_launch_type_and_capacity_provider_strategy_exclude_each_other() -> None:
    """Either a launchType or a capacityProviderStrategy, not both."""
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    check_launch_type_or_strategy("FARGATE", None)
    check_launch_type_or_strategy(None, strategy)
    assert refused(lambda: check_launch_type_or_strategy("FARGATE", strategy)) == (
        INVALID,
        "Specify either Launch Type or Capacity Provider Strategy, but not both.",
    )
