"""Demo assets: daily-partitioned ECS assets, one that reports through Dagster Pipes, a
detached one that a completion sensor materialises when its task ends, one whose task
definition is described here, in code, rather than registered beforehand, and an oversized
one that is told the smaller size it fits."""

from __future__ import annotations

import os

from dagster import AssetCheckSpec, AssetKey

from ecs_pipelines.demo.jobs import DAILY
from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.ecs.task_definitions import TaskDefinitionSpec
from ecs_pipelines.integration.assets import ecs_task_asset

# The embedded ECS records the image and runs the command with the project's Python; on AWS
# the image must hold the project (docs/deploy.md builds one).
DEMO_IMAGE = os.environ.get("ECS_PIPELINES_IMAGE", "python:3.12-slim")

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

weekly_rollup = ecs_task_asset(
    "weekly_rollup",
    task_definition_spec=TaskDefinitionSpec(
        image=DEMO_IMAGE,
        command=python_command("stage", "--stage", "weekly_rollup", "--batches", "2"),
        cpu=512,
        memory=1024,
        environment={"ROLLUP_WINDOW_DAYS": "7"},
    ),
    group_name="code_defined",
    description="An ECS task whose task definition is declared here, in Python: the first "
    "materialisation registers it (family dagster-weekly_rollup), later ones reuse that "
    "revision until its image, command or size changes.",
)

oversized_report = ecs_task_asset(
    "oversized_report",
    command=python_command("stage", "--stage", "oversized_report", "--batches", "1"),
    task_cpu="1024",
    task_memory="4096",
    group_name="cost",
    description="An ECS task that reserves 1 vCPU and 4 GiB and uses a sliver of them: each "
    "materialisation records its cost and use (ecs/cost_usd, ecs/memory_peak_mib, plotted on "
    "the asset's page), and from the third on its metadata and run log name the smaller "
    "Fargate size that fits, with the saving.",
)

DEMO_ASSETS = [
    daily_events,
    daily_summary,
    model_scores,
    detached_export,
    weekly_rollup,
    oversized_report,
]
