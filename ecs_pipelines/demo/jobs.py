"""Demo jobs: three chained ECS ops, an ECS Exec op, the daily assets job, a detached nightly
export (tasks launched with startedBy ``nightly-export`` and left running) and the completion
report job a sensor starts when such a task ends."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DailyPartitionsDefinition,
    JobDefinition,
    OpDefinition,
    define_asset_job,
    job,
)

from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.integration.ops import ecs_completion_report_op, ecs_task_op

DAILY = DailyPartitionsDefinition(start_date="2026-11-01", end_offset=1)
# What the demo's "external" launches put in startedBy, as an EventBridge schedule would.
NIGHTLY_EXPORT_STARTED_BY = "nightly-export"


def stage_op(name: str, batches: int) -> OpDefinition:
    return ecs_task_op(
        name,
        command=python_command("stage", "--stage", name, "--batches", str(batches)),
        description=f"The {name} stage: an ECS task that prints its progress.",
    )


extract = stage_op("extract", 3)
transform = stage_op("transform", 2)
report = stage_op("report", 1)

exec_demo = ecs_task_op(
    "exec_demo",
    command=python_command("sleep", "--seconds", "120"),
    enable_execute_command=True,
    description="A 2-minute ECS task with ECS Exec enabled: the run log gives the command "
    "that opens a shell in it.",
)


def build_report_job(target_description: str) -> JobDefinition:
    @job(
        name="ecs_report_job",
        description=f"extract -> transform -> report, each an ECS task. Runs on "
        f"{target_description}.",
        tags={"ecs_pipelines/target": target_description},
    )
    def ecs_report_job() -> None:
        report(after=transform(after=extract()))

    return ecs_report_job


def build_exec_job(target_description: str) -> JobDefinition:
    @job(
        name="ecs_exec_job",
        description=f"One long ECS task with ECS Exec enabled. Runs on {target_description}.",
    )
    def ecs_exec_job() -> None:
        exec_demo()

    return ecs_exec_job


nightly_export = ecs_task_op(
    "nightly_export",
    command=python_command("sleep", "--seconds", "15"),
    detached=True,
    started_by=NIGHTLY_EXPORT_STARTED_BY,
    description="Launches a 15 s ECS task with startedBy nightly-export and returns at once; "
    "ecs_nightly_export_sensor starts ecs_completion_report_job when the task ends.",
)

ecs_completion_report = ecs_completion_report_op()


def build_nightly_export_job(target_description: str) -> JobDefinition:
    @job(
        name="ecs_nightly_export_job",
        description=f"Launches the nightly export ECS task, detached. Runs on "
        f"{target_description}.",
    )
    def ecs_nightly_export_job() -> None:
        nightly_export()

    return ecs_nightly_export_job


def build_completion_report_job(target_description: str) -> JobDefinition:
    @job(
        name="ecs_completion_report_job",
        description="Reports one finished ECS task (ARN, exit codes, stop code) from the run "
        f"config a completion sensor gives it; fails when the task failed. Target: "
        f"{target_description}.",
    )
    def ecs_completion_report_job() -> None:
        ecs_completion_report()

    return ecs_completion_report_job


daily_assets_job = define_asset_job(
    "daily_assets_job",
    selection=AssetSelection.groups("daily"),
    partitions_def=DAILY,
    description="Materialises the daily ECS assets for one day.",
)
