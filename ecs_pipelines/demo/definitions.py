"""The code location: demo pipelines wired to EcsResource, on the embedded ECS by default.

``ECS_PIPELINES_TARGET=aws`` switches every definition to AWS (see README for the variables).
"""

from __future__ import annotations

from dagster import DefaultSensorStatus, Definitions

from ecs_pipelines.cli.target import resource_for, target_from_env
from ecs_pipelines.demo.assets import DEMO_ASSETS, detached_export
from ecs_pipelines.demo.jobs import (
    NIGHTLY_EXPORT_STARTED_BY,
    build_completion_report_job,
    build_exec_job,
    build_nightly_export_job,
    build_report_job,
    daily_assets_job,
)
from ecs_pipelines.demo.schedules import daily_report_schedule
from ecs_pipelines.integration.cleanup import ecs_orphaned_task_sensors
from ecs_pipelines.integration.sensors import ecs_detached_asset_sensor, ecs_task_completion_sensor

target = target_from_env()
report_job = build_report_job(target.description)
completion_report_job = build_completion_report_job(target.description)

# Running by default, so that `make ui` shows detached work finishing without a toggle.
detached_export_sensor = ecs_detached_asset_sensor(
    detached_export,
    name="ecs_detached_export_sensor",
    minimum_interval_seconds=10,
    default_status=DefaultSensorStatus.RUNNING,
)
nightly_export_sensor = ecs_task_completion_sensor(
    "ecs_nightly_export_sensor",
    started_by=NIGHTLY_EXPORT_STARTED_BY,
    job=completion_report_job,
    failure_job=completion_report_job,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts ecs_completion_report_job when a task with startedBy nightly-export "
    "ends, however it was launched (ecs_nightly_export_job, EventBridge, the console).",
)

defs = Definitions(
    assets=DEMO_ASSETS,
    jobs=[
        report_job,
        build_exec_job(target.description),
        daily_assets_job,
        build_nightly_export_job(target.description),
        completion_report_job,
    ],
    schedules=[daily_report_schedule(report_job)],
    # The cleanup sensors stop tasks that a failed or canceled run left running.
    sensors=[detached_export_sensor, nightly_export_sensor, *ecs_orphaned_task_sensors()],
    resources={"ecs": resource_for(target)},
)
