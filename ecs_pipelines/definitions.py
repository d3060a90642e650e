"""The code location: demo pipelines wired to EcsResource, on the embedded ECS by default.

``ECS_PIPELINES_TARGET=aws`` switches every definition to AWS (see README for the variables).
"""

from __future__ import annotations

from dagster import Definitions

from .demo_assets import DEMO_ASSETS
from .jobs import build_exec_job, build_report_job, daily_assets_job
from .schedules import daily_report_schedule
from .target import resource_for, target_from_env

target = target_from_env()
report_job = build_report_job(target.description)

defs = Definitions(
    assets=DEMO_ASSETS,
    jobs=[report_job, build_exec_job(target.description), daily_assets_job],
    schedules=[daily_report_schedule(report_job)],
    resources={"ecs": resource_for(target)},
)
