"""Demo assets: daily-partitioned ECS assets, one that reports through Dagster Pipes, and a
detached one that a completion sensor materialises when its task ends."""

from __future__ import annotations

from dagster import AssetCheckSpec, AssetKey

from ecs_pipelines.demo.jobs import DAILY
from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.integration.assets import ecs_task_asset

daily_events = ecs_task_asset(
    "daily_events",
    command=python_command("partition"),
    partitions_def=DAILY,
    group_name="daily",
    description="One day of events, produced by an ECS task that gets the day as "
    "DAGSTER_PARTITION_KEY.",
)

daily_summary = ecs_task_asset(
    "daily_summary",
    deps=["daily_events"],
    command=python_command("partition"),
    partitions_def=DAILY,
    group_name="daily",
    description="Summary of a day of events, computed by an ECS task.",
)

model_scores = ecs_task_asset(
    "model_scores",
    command=python_command("pipes_scores"),
    pipes=True,
    check_specs=[AssetCheckSpec("scores_in_range", asset=AssetKey("model_scores"))],
    group_name="pipes",
    description="An ECS task that reports its metadata and an asset check through Dagster Pipes.",
)

detached_export = ecs_task_asset(
    "detached_export",
    command=python_command("sleep", "--seconds", "20"),
    detached=True,
    group_name="detached",
    description="A 20 s ECS task launched detached: the step returns at once and "
    "ecs_detached_export_sensor materialises the asset (or fails its ecs_task_succeeded "
    "check) when the task ends.",
)

DEMO_ASSETS = [daily_events, daily_summary, model_scores, detached_export]
