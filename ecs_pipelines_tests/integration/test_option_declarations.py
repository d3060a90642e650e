"""Each launch option is declared once: the resource, the factories and the Launchpad show
its one description, and a factory takes every option by the names run_task takes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from dagster import job
from dagster._config import process_config
from dagster._core.snap.snap_to_yaml import default_values_yaml_from_type_snap

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.launching import LAUNCH_OPTIONS, OPTIONS, argument_names
from ecs_pipelines.integration.launchpad import (
    launchpad_options,
    launchpad_schema,
    step_options_for_run,
)
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.step_options import STEP_ONLY, StepOptions, option_names

DECLARED = {option.name: option.description for option in (*LAUNCH_OPTIONS, *STEP_ONLY.values())}


def test_every_resource_launch_setting_has_the_declared_description() -> None:
    """A resource field that is a launch option shows that option's declared description."""
    shared = [name for name in EcsResource.model_fields if name in OPTIONS]
    assert len(shared) >= 16  # cluster, task_definition, container_name, launch_type, ...
    for name in shared:
        assert EcsResource.model_fields[name].description == OPTIONS[name].description, name


def test_every_step_option_is_declared_once() -> None:
    """A factory's options are the launch options and the step's own, each declared once."""
    names = option_names()
    assert len(names) == len(set(names))
    assert set(names) == set(DECLARED)
    assert not set(STEP_ONLY) & set(OPTIONS)


def test_every_launchpad_field_has_the_declared_description() -> None:
    """The Launchpad shows the declared options, each with its declared description."""
    schema = launchpad_schema(StepOptions.from_kwargs({"count": 2}, factory="test"))
    assert set(schema) == {option.name for option in launchpad_options()}
    assert {"task_definition", "command", "environment", "cpu", "memory", "count"} <= set(schema)
    assert {"enable_execute_command", "image", "timeout_seconds", "detached"} <= set(schema)
    for name, field in schema.items():
        assert field.description.startswith(DECLARED[name]), name
    assert schema["count"].default_value == 2


def test_an_op_takes_launch_options_by_either_name() -> None:
    """A factory takes a launch option by RunTask's name too, and checks it when the
    definitions load."""
    assert "launchType" in argument_names()
    ecs_task_op("fargate_spot", launchType="FARGATE", command=["true"])
    with pytest.raises(EcsSpecError, match="launch_type: must be one of"):
        ecs_task_op("lambda", launchType="LAMBDA")


def test_launchpad_environment_replaces_the_factorys() -> None:
    """The Launchpad's environment is the whole environment meant (its default is the
    factory's): a variable removed there is not launched."""
    defaults = StepOptions.from_kwargs({"environment": {"A": "1", "B": "2"}}, factory="test")
    assert defaults.with_config({"environment": {"A": "1"}}).launch.environment == {"A": "1"}


def scaffolded_op_config(op: Any) -> dict[str, Any]:
    """The op's config as the Launchpad's "Scaffold all default config" writes it."""

    @job
    def one_step() -> None:
        op()

    snapshot = one_step.get_job_snapshot()
    schema = snapshot.config_schema_snapshot
    root = schema.get_config_snap(snapshot.mode_def_snaps[0].root_config_key)
    scaffold = yaml.safe_load(default_values_yaml_from_type_snap(schema, root))
    return dict(scaffold["ops"][op.name]["config"])


def test_scaffolded_default_config_shows_every_launchpad_option() -> None:
    """The Launchpad's default config shows every Launchpad option, those the factory leaves
    unset included (cpu, memory, image, task_definition, timeout_seconds, command), but a
    yes/no the resource decides (no third value to show for "the resource's")."""
    shown = scaffolded_op_config(ecs_task_op("plain"))
    everything = {option.name for option in launchpad_options()}
    assert set(shown) == everything - {"enable_execute_command"}


def test_scaffolded_default_config_launches_as_no_config() -> None:
    """A run with the scaffolded default config gets the step options of a run with no config:
    every option the factory left unset stays unset (the resource's, or the definition's)."""
    op = ecs_task_op("sized", cpu=256, command=["true"])
    schema = op.config_schema.as_field().config_type
    defaults = StepOptions.from_kwargs({"cpu": 256, "command": ["true"]}, factory="test")
    scaffolded = process_config(schema, scaffolded_op_config(op))
    no_config = process_config(schema, {})
    assert scaffolded.success and no_config.success
    with_scaffold = step_options_for_run(defaults, scaffolded.value or {})
    assert with_scaffold == step_options_for_run(defaults, no_config.value or {})
    launch = with_scaffold.launch
    assert (launch.cpu, launch.memory, launch.task_definition) == (256, None, None)
    assert (with_scaffold.image, with_scaffold.timeout_seconds) == (None, None)
