"""Sensors that stop ECS tasks a failed or canceled run left running.

A step stops its own tasks when it is interrupted, but a run worker that dies outright (OOM,
a lost host, SIGKILL) cannot; if the run then fails (or is retried as a new run), its tasks
would run on with nobody waiting. These sensors find them by ``startedBy`` (every step names
its run there) and stop them. Detached tasks are left alone: they outlive their run on purpose
and a completion sensor tracks them.

dagster-aws's ``ecs_executor`` starts each step in a task without a startedBy; its step-worker
events name those tasks. Dagster does not forward a termination to them while run monitoring
may resume the run (dagster-io/dagster#21476), so a canceled run's step tasks would run on:
these sensors stop them too.
"""

from collections import defaultdict

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunStatusSensorContext,
    SensorDefinition,
    run_status_sensor,
)

from ecs_pipelines.ecs.common import TaskStatus, tags_of, task_cluster
from ecs_pipelines.ecs.tasks import StopReport, stop_tasks
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import DETACHED_TAG, started_by_for_run

ENDED_BADLY = (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
ORPHAN_STOP_REASON = "Dagster run {run_id} ended ({status}) while this task was still running"
# The metadata key of the task ARN in ecs_executor's STEP_WORKER_STARTING events.
EXECUTOR_TASK_ARN_KEY = "Task ARN"


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


def executor_step_tasks(instance: DagsterInstance, run_id: str) -> list[str]:
    """The tasks dagster-aws's ecs_executor started the run's steps in, from its events."""
    records = instance.all_logs(run_id, of_type=DagsterEventType.STEP_WORKER_STARTING)
    arns = []
    for record in records:
        event = record.dagster_event
        data = event.engine_event_data if event else None
        value = data.metadata.get(EXECUTOR_TASK_ARN_KEY) if data else None
        if value is not None and isinstance(value.value, str):
            arns.append(value.value)
    return arns


def stop_executor_step_tasks(
    ecs: EcsResource, instance: DagsterInstance, run_id: str, status: str
) -> StopReport:
    """Stops the run's ecs_executor step tasks still running, each in the cluster its ARN
    names (the run launcher's, not necessarily the resource's); a StopTask that fails is in
    the report, not raised."""
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for arn in executor_step_tasks(instance, run_id):
        by_cluster[task_cluster(arn) or ecs.cluster].append(arn)
    reason = ORPHAN_STOP_REASON.format(run_id=run_id, status=status)
    report = StopReport()
    for cluster, arns in by_cluster.items():
        part = stop_tasks(ecs.task_client(), cluster, arns, reason=reason)
        report.stopped += part.stopped
        report.already_stopped += part.already_stopped
        report.failed.update(part.failed)
        report.interrupted = report.interrupted or part.interrupted
    return report


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
            "(not detached ones), ecs_executor step tasks included.",
        )
        def _stop_tasks(context: RunStatusSensorContext, ecs: EcsResource) -> None:
            run_id, status = context.dagster_run.run_id, context.dagster_run.status.value
            reports = (
                stop_tasks_of_ended_run(ecs, run_id, status),
                stop_executor_step_tasks(ecs, context.instance, run_id, status),
            )
            for report in reports:
                for arn in report.stopped:
                    context.log.warning(f"Stopped ECS task {arn} left running by run {run_id}")
                for problem in report.failed.values():
                    context.log.warning(problem)

        sensors.append(_stop_tasks)
    return sensors
