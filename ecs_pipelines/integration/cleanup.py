"""Sensors that stop ECS tasks a failed or canceled run left running.

A step stops its own tasks when it is interrupted, but a run worker that dies outright (OOM,
a lost host, SIGKILL) cannot; if the run then fails (or is retried as a new run), its tasks
would run on with nobody waiting. These sensors find them by ``startedBy`` (every step names
its run there) and stop them. Detached tasks are left alone: they outlive their run on purpose
and a completion sensor tracks them.
"""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunStatusSensorContext,
    SensorDefinition,
    run_status_sensor,
)

from ecs_pipelines.ecs.common import TaskStatus, tags_of
from ecs_pipelines.ecs.tasks import StopReport, stop_tasks
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import DETACHED_TAG, started_by_for_run

ENDED_BADLY = (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
ORPHAN_STOP_REASON = "Dagster run {run_id} ended ({status}) while this task was still running"


def stop_tasks_of_ended_run(ecs: EcsResource, run_id: str, status: str) -> StopReport:
    """Stops the run's still-running, non-detached tasks (best effort, never raises)."""
    client = ecs.task_client()
    started_by = started_by_for_run(run_id)
    arns = list(
        client.list_task_arns(ecs.cluster, started_by=started_by, desired_status=TaskStatus.RUNNING)
    )
    if not arns:
        return StopReport()
    orphans = [
        arn
        for arn, task in client.describe(ecs.cluster, arns).tasks.items()
        if tags_of(task).get(DETACHED_TAG) != "true"
    ]
    reason = ORPHAN_STOP_REASON.format(run_id=run_id, status=status)
    return stop_tasks(client, ecs.cluster, orphans, reason=reason)


def ecs_orphaned_task_sensors(
    *,
    minimum_interval_seconds: int = 30,
    default_status: DefaultSensorStatus = DefaultSensorStatus.RUNNING,
    monitor_all_code_locations: bool = False,
) -> list[SensorDefinition]:
    """One run status sensor per bad ending (FAILURE, CANCELED), using the ``ecs`` resource."""
    sensors: list[SensorDefinition] = []
    for status in ENDED_BADLY:

        @run_status_sensor(
            run_status=status,
            name=f"ecs_stop_tasks_of_{status.value.lower()}_runs",
            minimum_interval_seconds=minimum_interval_seconds,
            default_status=default_status,
            monitor_all_code_locations=monitor_all_code_locations,
            description=f"Stops the ECS tasks a run that ended in {status.value} left running "
            "(not detached ones).",
        )
        def _stop_tasks(context: RunStatusSensorContext, ecs: EcsResource) -> None:
            run_id = context.dagster_run.run_id
            report = stop_tasks_of_ended_run(ecs, run_id, context.dagster_run.status.value)
            for arn in report.stopped:
                context.log.warning(f"Stopped ECS task {arn} left running by run {run_id}")
            for problem in report.failed.values():
                context.log.warning(problem)

        sensors.append(_stop_tasks)
    return sensors
