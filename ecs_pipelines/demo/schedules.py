"""Schedules of the demo jobs."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, JobDefinition, ScheduleDefinition


def daily_report_schedule(report_job: JobDefinition) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="daily_report_schedule",
        job=report_job,
        cron_schedule="0 6 * * *",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.STOPPED,
        description="Runs the extract -> transform -> report ECS job every day at 06:00 UTC.",
    )
