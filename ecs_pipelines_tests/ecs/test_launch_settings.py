"""Launch settings: the precedence of their levels, and a call's arguments by either name."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.launching.arguments import settings_from_arguments
from ecs_pipelines.ecs.launching.options import LAUNCH_OPTIONS, Merge
from ecs_pipelines.ecs.launching.precedence import edited, merge
from ecs_pipelines.ecs.launching.settings import ContainerOverride, LaunchSettings
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec

LEVELS = ("resource", "factory", "launchpad", "call")
SPEC = TaskDefinitionSpec(image="python:3.12-slim", family="etl")


def levels(name: str, values: dict[str, Any]) -> list[LaunchSettings]:
    """Four levels, lowest first, each setting ``name`` to its value in ``values`` (if any)."""
    return [
        LaunchSettings(**({name: values[level]} if level in values else {})) for level in LEVELS
    ]


@pytest.mark.parametrize("upper", range(1, len(LEVELS)))
def test_each_level_wins_over_the_levels_below(upper: int) -> None:
    """An option set at a level wins over every level below it; levels above that leave it
    unset do not change it."""
    values = {level: f"{level}-value" for level in LEVELS[: upper + 1]}
    merged = merge(*levels("group", values))
    assert merged.group == f"{LEVELS[upper]}-value"


def test_an_unset_level_leaves_the_option_to_the_level_below() -> None:
    """None at the call level keeps the resource's value; False is a value and wins."""
    resource = LaunchSettings(enable_execute_command=True, launch_type="FARGATE")
    assert merge(resource, LaunchSettings()).enable_execute_command is True
    merged = merge(resource, LaunchSettings(enable_execute_command=False))
    assert merged.enable_execute_command is False
    assert merged.launch_type == "FARGATE"


@pytest.mark.parametrize("name", ["tags", "environment", "secret_environment"])
def test_mappings_merge_by_key_with_the_higher_key_winning(name: str) -> None:
    """Tags, environment and secret environment keep every level's keys; a key set higher
    wins."""
    values = {
        "resource": {"A": "resource", "B": "resource"},
        "factory": {"B": "factory", "C": "factory"},
        "launchpad": {"C": "launchpad"},
        "call": {"D": "call"},
    }
    merged = getattr(merge(*levels(name, values)), name)
    assert merged == {"A": "resource", "B": "factory", "C": "launchpad", "D": "call"}


def test_a_higher_task_definition_choice_drops_the_other_one() -> None:
    """task_definition and task_definition_spec are one choice: the higher level's, of
    either kind, wins and the other is dropped."""
    resource = LaunchSettings(task_definition="etl:3", container_name="app")
    coded = merge(resource, LaunchSettings(task_definition_spec=SPEC))
    assert (coded.task_definition, coded.task_definition_spec) == (None, SPEC)
    named = merge(LaunchSettings(task_definition_spec=SPEC), LaunchSettings(task_definition="x"))
    assert (named.task_definition, named.task_definition_spec) == ("x", None)


def test_a_code_defined_task_definition_drops_the_container_named_below() -> None:
    """A level choosing a task definition in code drops the container named below it (a
    container of another task definition); a registered task definition keeps it."""
    resource = LaunchSettings(task_definition="etl:3", container_name="app")
    assert merge(resource, LaunchSettings(task_definition_spec=SPEC)).container_name is None
    same_level = LaunchSettings(task_definition_spec=SPEC, container_name="worker")
    assert merge(resource, same_level).container_name == "worker"
    assert merge(resource, LaunchSettings(task_definition="etl:4")).container_name == "app"


def test_every_option_has_one_merge_rule() -> None:
    """Every LaunchSettings field is declared once, and only the mappings merge by key."""
    fields = [f.name for f in dataclasses.fields(LaunchSettings)]
    assert [o.name for o in LAUNCH_OPTIONS] == fields
    by_key = {o.name for o in LAUNCH_OPTIONS if o.merge is Merge.BY_KEY}
    assert by_key == {"tags", "environment", "secret_environment"}


def test_secret_environment_values_stay_out_of_the_repr() -> None:
    """A settings object in a traceback shows no secret value."""
    settings = LaunchSettings(secret_environment={"TOKEN": "s3cr3t"}, environment={"A": "1"})
    assert "s3cr3t" not in repr(settings)


# --- a call's arguments ---------------------------------------------------------------------


def test_runtask_names_and_project_names_give_the_same_settings() -> None:
    """placementConstraints= and placement_constraints= (and each other RunTask name) set the
    same option."""
    constraints = [{"type": "distinctInstance"}]
    by_api = settings_from_arguments(
        {"placementConstraints": constraints, "launchType": "EC2", "enableExecuteCommand": True}
    )
    by_project = settings_from_arguments(
        {"placement_constraints": constraints, "launch_type": "EC2", "enable_execute_command": True}
    )
    assert by_api == by_project
    assert by_api.placement_constraints == ({"type": "distinctInstance"},)


def test_runtask_objects_are_parsed_into_their_options() -> None:
    """overrides, networkConfiguration and the tag list become the options they hold."""
    settings = settings_from_arguments(
        {
            "overrides": {
                "containerOverrides": [
                    {
                        "name": "app",
                        "command": ["run"],
                        "environment": [{"name": "A", "value": "1"}],
                    }
                ],
                "cpu": "1 vCPU",
                "taskRoleArn": "arn:aws:iam::123456789012:role/task",
                "ephemeralStorage": {"sizeInGiB": 30},
            },
            "networkConfiguration": {
                "awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}
            },
            "tags": [{"key": "team", "value": "data"}],
        }
    )
    assert settings.container_overrides == (
        ContainerOverride(name="app", command=["run"], environment={"A": "1"}),
    )
    assert (settings.task_cpu, settings.ephemeral_storage_gib) == ("1 vCPU", 30)
    assert settings.task_role_arn == "arn:aws:iam::123456789012:role/task"
    assert (settings.subnets, settings.security_groups) == (("subnet-1",), ())
    assert settings.assign_public_ip is False
    assert settings.tags == {"team": "data"}


def test_none_leaves_an_option_unset() -> None:
    """An argument given as None is not set at the call level (the resource's applies)."""
    assert settings_from_arguments({"task_definition": None, "count": None}) == LaunchSettings()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"launchType": "EC2", "launch_type": "FARGATE"}, "launch_type"),
        ({"overrides": {"cpu": "256"}, "task_cpu": "512"}, "task_cpu"),
        ({"networkConfiguration": {"awsvpcConfiguration": {}}, "subnets": ["s"]}, "subnets"),
    ],
    ids=["both spellings", "overrides and its option", "network and subnets"],
)
def test_an_option_given_twice_is_refused(arguments: dict[str, Any], field: str) -> None:
    """One option by two names is refused, naming it, rather than one of them dropped."""
    with pytest.raises(EcsSpecError, match=f"sets {field}"):
        settings_from_arguments(arguments)


def test_an_unknown_argument_is_refused() -> None:
    """A name that is no launch option, by either spelling, is refused by name."""
    with pytest.raises(EcsSpecError, match="launchTypo: is not a RunTask option"):
        settings_from_arguments({"launchTypo": "EC2"})


def test_the_launchpad_edits_the_factorys_arguments_whole() -> None:
    """A run's Launchpad config replaces the factory's values it sets, maps included: a
    variable removed in the Launchpad is gone; what it does not set stays the factory's."""
    factory = LaunchSettings(environment={"KEEP": "1", "DROP": "2"}, count=2, tags={"a": "1"})
    launchpad = LaunchSettings(environment={"KEEP": "1"}, tags={"b": "2"})
    result = edited(factory, launchpad)
    assert result.environment == {"KEEP": "1"}
    assert result.tags == {"b": "2"}
    assert result.count == 2


def test_a_launchpad_task_definition_replaces_the_factorys_spec() -> None:
    """Choosing a task definition in the Launchpad drops the factory's code-defined one."""
    factory = LaunchSettings(task_definition_spec=TaskDefinitionSpec(image="python:3.12"))
    result = edited(factory, LaunchSettings(task_definition="etl:3"))
    assert (result.task_definition, result.task_definition_spec) == ("etl:3", None)
