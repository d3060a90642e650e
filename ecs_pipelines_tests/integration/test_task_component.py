"""EcsTaskComponent: assets declared in YAML, scaffolded and checked with `dg`, launched on the
embedded ECS like the Python factories' assets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import (
    AssetKey,
    ComponentTree,
    DagsterInstance,
    Definitions,
    HourlyPartitionsDefinition,
    StaticPartitionsDefinition,
    load_from_defs_folder,
    materialize,
)

from ecs_pipelines.demo.seed import DEMO_EXECUTION_ROLE_ARN
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import tasks_of_run

ROOT = Path(__file__).resolve().parents[2]
DG = str(Path(sys.executable).parent / "dg")


def dg(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`dg ARGUMENTS` in ``project``, the project's sources importable."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [DG, *arguments], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty dg project whose components come from ecs_pipelines."""
    package = tmp_path / "src" / "yamlproj"
    (package / "defs").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "defs" / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "yamlproj"
            version = "0.0.1"

            [tool.dg]
            directory_type = "project"

            [tool.dg.project]
            root_module = "yamlproj"
            """
        )
    )
    (package / "definitions.py").write_text(
        textwrap.dedent(
            """\
            from pathlib import Path

            import dagster as dg

            from ecs_pipelines import EcsResource


            @dg.definitions
            def defs():
                return dg.Definitions.merge(
                    dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
                    dg.Definitions(resources={"ecs": EcsResource()}),
                )
            """
        )
    )
    return tmp_path


def load_project_defs(project: Path) -> Definitions:
    """The project's YAML definitions, loaded in this process."""
    sys.path.insert(0, str(project / "src"))
    try:
        return load_from_defs_folder(project_root=project)
    finally:
        sys.path.remove(str(project / "src"))


def test_dg_lists_the_component() -> None:
    """`dg list components` shows ecs_pipelines.EcsTaskComponent."""
    listed = dg(ROOT, "list", "components", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "ecs_pipelines.EcsTaskComponent" in listed.stdout


def test_scaffolded_then_edited_yaml_materialises_on_the_embedded_ecs(
    project: Path, local_ecs: LocalEcs
) -> None:
    """`dg scaffold defs` writes a defs.yaml that checks; once edited, its asset runs as an ECS
    task with the YAML's command, environment and size, and `dg check defs` passes."""
    scaffolded = dg(project, "scaffold", "defs", "ecs_pipelines.EcsTaskComponent", "my_task")
    assert scaffolded.returncode == 0, scaffolded.stderr
    defs_yaml = project / "src" / "yamlproj" / "defs" / "my_task" / "defs.yaml"
    document = yaml.safe_load(defs_yaml.read_text())
    assert document["type"] == "ecs_pipelines.EcsTaskComponent"
    [asset] = document["attributes"]["assets"]
    asset.update(
        key="sales/daily_totals",
        command=["python", "-c", "import os; print('total for', os.environ['REGION_CODE'])"],
        environment={"REGION_CODE": "{{ env.TEST_REGION_CODE }}"},
        memory=1024,
        cpu=512,
        deps=["sales/raw"],
        owners=["team:sales"],
    )
    defs_yaml.write_text(yaml.safe_dump(document))
    os.environ["TEST_REGION_CODE"] = "0042"
    try:
        checked = dg(project, "check", "defs")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        defs = load_project_defs(project)
    finally:
        del os.environ["TEST_REGION_CODE"]
    [assets_def] = [a for a in defs.assets or () if AssetKey(["sales", "daily_totals"]) in a.keys]  # type: ignore[union-attr]
    spec = assets_def.specs_by_key[AssetKey(["sales", "daily_totals"])]
    assert spec.owners == ["team:sales"]
    assert AssetKey(["sales", "raw"]) in {dep.asset_key for dep in spec.deps}
    assert spec.kinds == {"ecs"}

    ecs = make_resource(local_ecs)
    with DagsterInstance.ephemeral() as instance:
        result = materialize([assets_def], resources={"ecs": ecs}, instance=instance)
        assert result.success
        [task] = tasks_of_run(ecs, result.run_id)
    overrides = task["overrides"]["containerOverrides"][0]
    environment = {item["name"]: item["value"] for item in overrides["environment"]}
    # The template resolved, and "0042" stayed text (not the number 42).
    assert environment["REGION_CODE"] == "0042"
    assert overrides["command"][-1].endswith("os.environ['REGION_CODE'])")
    assert (overrides["cpu"], overrides["memory"]) == (512, 1024)
    assert task["containers"][0]["exitCode"] == 0


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda a: a.update(cpu="lots"), "cpu"),
        (lambda a: a.update(no_such_option=1), "no_such_option"),
        (lambda a: a.update(partitions={"type": "weekly", "start": "2026-01-01"}), "type"),
        (lambda a: a.update(partitions={"type": "daily"}), "start date"),
    ],
    ids=["wrong type", "unknown field", "unknown partitions type", "incomplete partitions"],
)
def test_a_broken_defs_yaml_is_refused_naming_the_field_and_line(
    project: Path, edit: Any, field: str
) -> None:
    """`dg check yaml` (schema) or `dg check defs` (values, once templates resolve) refuses a
    defs.yaml with a wrong field, naming the field and the file's line."""
    target = project / "src" / "yamlproj" / "defs" / "broken"
    target.mkdir()
    asset: dict[str, Any] = {"key": "broken_asset", "command": ["true"]}
    edit(asset)
    (target / "defs.yaml").write_text(
        yaml.safe_dump(
            {"type": "ecs_pipelines.EcsTaskComponent", "attributes": {"assets": [asset]}},
            sort_keys=False,
        )
    )
    checked = dg(project, "check", "yaml")
    if checked.returncode == 0:
        # A string may be a template ("{{ env.CPU }}"): its type is checked once resolved.
        checked = dg(project, "check", "defs")
    output = checked.stdout + checked.stderr
    assert checked.returncode != 0, output
    assert field in output
    assert re.search(r"broken/defs\.yaml:\d+", output), output


def test_the_demo_checks_and_lists_its_yaml_assets(tmp_path: Path) -> None:
    """`dg check defs` passes on the demo and `dg list defs` lists its YAML assets; a broken
    copy of the demo's YAML fails, naming the field."""
    checked = dg(ROOT, "check", "defs")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = dg(ROOT, "list", "defs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "yaml/weekly_report" in listed.stdout
    assert "yaml/hourly_counts" in listed.stdout

    copy = tmp_path / "demo_copy"
    shutil.copytree(ROOT / "ecs_pipelines" / "demo" / "defs", copy / "src" / "copyproj" / "defs")
    (copy / "src" / "copyproj" / "__init__.py").write_text("")
    (copy / "pyproject.toml").write_text(
        '[project]\nname = "copyproj"\nversion = "0"\n[tool.dg]\ndirectory_type = "project"\n'
        '[tool.dg.project]\nroot_module = "copyproj"\n'
    )
    broken = copy / "src" / "copyproj" / "defs" / "yaml_weekly_report" / "defs.yaml"
    broken.write_text(broken.read_text().replace("memory: 512", "memory: [512]"))
    refused = dg(copy, "check", "yaml")
    assert refused.returncode != 0
    assert "memory" in refused.stdout + refused.stderr


def test_yaml_partitions_and_task_definition_become_the_assets() -> None:
    """The demo's YAML assets carry their partitions, task definition spec and group."""
    from ecs_pipelines.demo.definitions import yaml_definitions

    defs = yaml_definitions()
    by_key = {k: a for a in defs.assets or () for k in a.keys}  # type: ignore[union-attr]
    hourly = by_key[AssetKey(["yaml", "hourly_counts"])]
    assert isinstance(hourly.partitions_def, HourlyPartitionsDefinition)
    weekly = by_key[AssetKey(["yaml", "weekly_report"])]
    assert weekly.specs_by_key[AssetKey(["yaml", "weekly_report"])].group_name == "yaml"
    assert weekly.specs_by_key[AssetKey(["yaml", "weekly_report"])].tags["declared_in"] == "yaml"


def test_static_partitions_and_a_schedule_from_yaml() -> None:
    """A static partitions block and a schedule give a partitioned asset, its job and the
    schedule's cron."""
    from ecs_pipelines import EcsTaskComponent

    component = EcsTaskComponent.resolve_from_yaml(
        textwrap.dedent(
            """\
            assets:
              - key: per_region
                command: ["true"]
                partitions: {type: static, keys: [eu, us]}
            schedule: {cron_schedule: "0 6 * * *"}
            """
        )
    )
    defs = component.build_defs(ComponentTree.for_test().load_context)
    [asset] = defs.assets  # type: ignore[misc]
    assert isinstance(asset.partitions_def, StaticPartitionsDefinition)
    assert asset.partitions_def.get_partition_keys() == ["eu", "us"]
    [schedule] = defs.schedules  # type: ignore[misc]
    assert schedule.cron_schedule == "0 6 * * *"


def test_a_detached_yaml_asset_gets_its_completion_sensor() -> None:
    """A detached asset declared in YAML is skippable and reported by a sensor of its own."""
    from ecs_pipelines import EcsTaskComponent

    component = EcsTaskComponent.resolve_from_yaml(
        'assets:\n  - {key: exported, command: ["true"], detached: true}\n'
    )
    defs = component.build_defs(ComponentTree.for_test().load_context)
    [sensor] = defs.sensors  # type: ignore[misc]
    assert sensor.name == "exported_ecs_sensor"


def test_role_for_yaml_task_definitions_comes_from_the_resource(local_ecs: LocalEcs) -> None:
    """A task definition described in YAML registers with the resource's roles and runs."""
    from ecs_pipelines.demo.definitions import yaml_definitions

    defs = yaml_definitions()
    [weekly] = [a for a in defs.assets or () if AssetKey(["yaml", "weekly_report"]) in a.keys]  # type: ignore[union-attr]
    ecs = make_resource(
        local_ecs, code_task_definitions={"execution_role_arn": DEMO_EXECUTION_ROLE_ARN}
    )
    with DagsterInstance.ephemeral() as instance:
        result = materialize([weekly], resources={"ecs": ecs}, instance=instance)
        assert result.success
        [task] = tasks_of_run(ecs, result.run_id)
    assert "weekly_report" in task["taskDefinitionArn"]


OP_JOB_YAML = """\
job:
  name: yaml_maintenance
  ops:
    - name: vacuum
      command: ["python", "-c", "print('vacuumed')"]
    - name: reindex
      after: [vacuum]
      command: ["python", "-c", "print('reindexed')"]
      environment: {INDEX: "all"}
schedule: {cron_schedule: "0 3 * * *"}
"""


def test_an_op_job_declared_in_yaml_runs_its_ops_in_order_on_the_embedded_ecs(
    local_ecs: LocalEcs,
) -> None:
    """A YAML op job runs each op as an ECS task, the one declared after another once that one
    has finished, and its schedule targets that job."""
    from ecs_pipelines import EcsTaskComponent

    component = EcsTaskComponent.resolve_from_yaml(OP_JOB_YAML)
    defs = component.build_defs(ComponentTree.for_test().load_context)
    [job_def] = defs.jobs  # type: ignore[misc]
    [schedule] = defs.schedules  # type: ignore[misc]
    assert schedule.job_name == "yaml_maintenance"
    ecs = make_resource(local_ecs)
    with DagsterInstance.ephemeral() as instance:
        result = job_def.execute_in_process(instance=instance, resources={"ecs": ecs})
        assert result.success
        tasks = tasks_of_run(ecs, result.run_id)
    by_step = {
        next(t["value"] for t in task["tags"] if t["key"] == "dagster/step-key"): task
        for task in tasks
    }
    assert sorted(by_step) == ["reindex", "vacuum"]
    assert by_step["vacuum"]["stoppedAt"] <= by_step["reindex"]["createdAt"]


def test_an_op_after_an_op_not_listed_above_it_is_refused() -> None:
    """An op job whose op runs after an unknown (or later) op is refused, naming both."""
    from dagster.components.resolved.errors import ResolutionException

    from ecs_pipelines import EcsTaskComponent

    broken = OP_JOB_YAML.replace("after: [vacuum]", "after: [analyse]")
    with pytest.raises((ResolutionException, ValueError), match="analyse"):
        EcsTaskComponent.resolve_from_yaml(broken)
