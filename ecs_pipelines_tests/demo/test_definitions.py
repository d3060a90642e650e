"""The code location loads and validates as Dagster tools see it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_pipelines.cli.target import resource_for, target_from_env

ROOT = Path(__file__).resolve().parents[2]


def test_dagster_definitions_validate_passes(tmp_path: Path) -> None:
    """`dagster definitions validate -w workspace.yaml` exits 0."""
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_one_variable_switches_to_aws() -> None:
    """ECS_PIPELINES_TARGET=aws takes cluster, networking and region from the environment."""
    target = target_from_env(
        {
            "ECS_PIPELINES_TARGET": "aws",
            "ECS_PIPELINES_CLUSTER": "prod",
            "ECS_PIPELINES_SUBNETS": "subnet-1, subnet-2",
            "ECS_PIPELINES_SECURITY_GROUPS": "sg-1",
            "AWS_REGION": "eu-west-1",
        }
    )
    assert (target.name, target.cluster, target.region) == ("aws", "prod", "eu-west-1")
    assert target.subnets == ("subnet-1", "subnet-2")
    assert target.endpoint_url is None
    assert "AWS ECS in eu-west-1" in target.description


def test_a_role_variable_makes_every_call_of_the_aws_target_as_that_role() -> None:
    """ECS_PIPELINES_ROLE_ARN gives the AWS target's resource the role to assume (no call is
    made until a client signs)."""
    role = "arn:aws:iam::444455556666:role/ecs-pipelines-launcher"
    target = target_from_env({"ECS_PIPELINES_TARGET": "aws", "ECS_PIPELINES_ROLE_ARN": role})
    assert target.role_arn == role
    assert resource_for(target).role_arn == role
    assert resource_for(target_from_env({"ECS_PIPELINES_TARGET": "aws"})).role_arn is None


def test_local_is_the_default_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no variable set, the embedded ECS is the target: the checkout's own server, none
    yet in a fresh checkout (make run starts it), never a fixed port shared by all."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'fresh'\n")
    monkeypatch.chdir(tmp_path)
    target = target_from_env({})
    assert target.name == "local"
    assert target.endpoint_url is None


def test_launchpad_command_defaults_are_readable() -> None:
    """Every demo op's and asset's Launchpad command names a workload module with short
    arguments, never a program's source escaped into YAML."""
    from ecs_pipelines.demo.definitions import defs

    repository = defs.get_repository_def()
    nodes = [n for job in repository.get_all_jobs() for n in job.graph.node_defs]
    commands = {
        node.name: node.config_schema.as_field().default_value.get("command")
        for node in nodes
        if node.config_schema is not None
        # An op without config (the ecs_executor demo's own ops) has no fields.
        and "command" in getattr(node.config_schema.as_field().config_type, "fields", {})
    }
    assert commands
    for name, command in commands.items():
        assert command[:2] == ["python", "-m"], name
        assert all("\n" not in part and len(part) < 60 for part in command), name


def test_the_yaml_assets_load_with_their_component_tree() -> None:
    """The code location holds every asset of demo/defs/*/defs.yaml and the component tree
    they came from (what Dagster's UI shows of components), without the catalogue of installed
    component types that nothing in Dagster reads."""
    from ecs_pipelines.demo.definitions import defs

    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {"yaml/hourly_counts", "yaml/weekly_report"} <= keys
    assert defs.component_tree is not None
    assert "plugin_component_types_json" not in (defs.metadata or {})
