"""ECS assets: partitions reach the task, metadata, Pipes reports, multi-assets, failures."""

from __future__ import annotations

from dagster import (
    AssetCheckSpec,
    AssetKey,
    AssetSpec,
    DagsterInstance,
    DailyPartitionsDefinition,
    materialize,
)

from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.integration.assets import ecs_task_asset, ecs_task_multi_asset
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import ASSET_KEY_TAG, PARTITION_TAG
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, py, tasks_of_run

DAILY = DailyPartitionsDefinition(start_date="2026-11-01")


def materialization_metadata(instance: DagsterInstance, key: str) -> dict:
    event = instance.get_latest_materialization_event(AssetKey(key))
    assert event is not None and event.asset_materialization is not None
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_partition_key_reaches_the_task_and_tags(ecs: EcsResource) -> None:
    """The partition key is in the task's environment and on its tags."""
    instance = DagsterInstance.ephemeral()
    asset_def = ecs_task_asset("events", command=python_command("partition"), partitions_def=DAILY)
    result = materialize(
        [asset_def], partition_key="2026-11-20", resources={"ecs": ecs}, instance=instance
    )
    assert result.success
    text = all_log_text(instance, result.run_id)
    assert "materialising events for partition 2026-11-20" in text
    assert "window 2026-11-20T00:00:00+00:00 .. 2026-11-21T00:00:00+00:00" in text
    [task] = tasks_of_run(ecs, result.run_id)
    tags = {t["key"]: t["value"] for t in task["tags"]}
    assert tags[ASSET_KEY_TAG] == "events"
    assert tags[PARTITION_TAG] == "2026-11-20"


def test_materialization_metadata_describes_the_task(ecs: EcsResource) -> None:
    """A materialisation records task ARN, links, exit codes, duration, cpu and memory."""
    instance = DagsterInstance.ephemeral()
    asset_def = ecs_task_asset("described", command=py("print('ok')"), cpu=256, memory=512)
    assert materialize([asset_def], resources={"ecs": ecs}, instance=instance).success
    metadata = materialization_metadata(instance, "described")
    assert metadata["task_arn"].startswith("arn:aws:ecs:us-east-1:")
    assert metadata["exit_codes"] == {"main": 0}
    assert metadata["duration_seconds"] >= 0
    # On the embedded ECS the links open its own task and log pages.
    assert metadata["task_console"].startswith(f"{ecs.endpoint_url}/_local/tasks/")
    assert "/logs/main?" in metadata["logs_main"]
    assert metadata["cpu"] == "256" and metadata["memory"] == "512"


def test_pipes_reports_become_metadata_and_check_results(ecs: EcsResource) -> None:
    """What the task reports through dagster-pipes lands as metadata and an asset check."""
    instance = DagsterInstance.ephemeral()
    asset_def = ecs_task_asset(
        "scores",
        command=python_command("pipes_scores"),
        pipes=True,
        check_specs=[AssetCheckSpec("scores_in_range", asset="scores")],
    )
    result = materialize([asset_def], resources={"ecs": ecs}, instance=instance)
    assert result.success
    metadata = materialization_metadata(instance, "scores")
    assert metadata["models_scored"] == 3
    assert metadata["best_score"] == 0.95
    assert metadata["task_arn"].startswith("arn:aws:ecs:")
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "scores_in_range" and check.passed
    assert '"__dagster_pipes_version"' not in all_log_text(instance, result.run_id)


def test_multi_asset_materialises_every_key_from_one_task(ecs: EcsResource) -> None:
    """A multi-asset runs one task and materialises each of its keys."""
    instance = DagsterInstance.ephemeral()
    asset_def = ecs_task_multi_asset(
        [AssetSpec("left"), AssetSpec("right")], name="pair", command=py("print('both')")
    )
    result = materialize([asset_def], resources={"ecs": ecs}, instance=instance)
    assert result.success
    assert len(tasks_of_run(ecs, result.run_id)) == 1
    left, right = (materialization_metadata(instance, k) for k in ("left", "right"))
    assert left["task_arn"] == right["task_arn"]


def test_failed_task_leaves_the_asset_unmaterialised(ecs: EcsResource) -> None:
    """A task exiting non-zero fails the materialisation and records no new materialisation."""
    instance = DagsterInstance.ephemeral()
    asset_def = ecs_task_asset("broken", command=py("import sys; sys.exit(7)"))
    result = materialize(
        [asset_def], resources={"ecs": ecs}, instance=instance, raise_on_error=False
    )
    assert not result.success
    assert instance.get_latest_materialization_event(AssetKey("broken")) is None
