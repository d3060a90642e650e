"""Tasks a failed run left running are stopped by the run status sensors; detached ones stay."""

from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    MetadataValue,
    OpExecutionContext,
    build_run_status_sensor_context,
    job,
    op,
)
from dagster._core.events import EngineEventData

from ecs_pipelines.integration.cleanup import ecs_orphaned_task_sensors
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import DETACHED_TAG, started_by_for_run

SLEEP = ["python", "-c", "import time; time.sleep(120)"]


def test_failed_run_leaves_no_task_running(ecs: EcsResource) -> None:
    """After a run fails with its task still running, the FAILURE sensor stops the task but
    leaves the run's detached task alone."""

    @op
    def launch_then_crash(context: OpExecutionContext) -> None:
        started_by = started_by_for_run(context.run_id)
        ecs.run_task(command=SLEEP, started_by=started_by)
        ecs.run_task(command=SLEEP, started_by=started_by, tags={DETACHED_TAG: "true"})
        raise RuntimeError("a bug after the launch, with no cleanup of its own")

    @job
    def crashing_job() -> None:
        launch_then_crash()

    instance = DagsterInstance.ephemeral()
    result = crashing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    client = ecs.task_client()
    arns = list(client.list_task_arns(ecs.cluster, started_by=started_by_for_run(result.run_id)))
    described = client.describe(ecs.cluster, arns).tasks
    detached = next(
        a for a, t in described.items() if {"key": DETACHED_TAG, "value": "true"} in t["tags"]
    )
    orphan = next(a for a in arns if a != detached)

    [failure_event] = [
        r.dagster_event
        for r in instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_FAILURE)
    ]
    failure_sensor = ecs_orphaned_task_sensors()[0]
    context = build_run_status_sensor_context(
        sensor_name=failure_sensor.name,
        dagster_event=failure_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        resources={"ecs": ecs},
    )
    failure_sensor(context)

    [stopped] = ecs.wait_for_tasks([orphan], timeout_seconds=30)
    assert stopped.stop_code == "UserInitiated"
    assert result.run_id in (stopped.stopped_reason or "")
    [still] = ecs.describe_tasks([detached])
    assert still["desiredStatus"] == "RUNNING"
    ecs.stop_task(detached, reason="test done")


def step_worker_starting(job_name: str, step_key: str, task_arn: str) -> DagsterEvent:
    """The event dagster-aws's ecs_executor logs when it starts a step in an ECS task."""
    return DagsterEvent(
        DagsterEventType.STEP_WORKER_STARTING.value,
        job_name=job_name,
        step_key=step_key,
        message=f'Executing step "{step_key}" in ECS task.',
        event_specific_data=EngineEventData(metadata={"Task ARN": MetadataValue.text(task_arn)}),
    )


def test_canceled_run_leaves_no_ecs_executor_step_task_running(ecs: EcsResource) -> None:
    """The CANCELED sensor stops the tasks dagster-aws's ecs_executor started the run's steps
    in (named by its step-worker events, not by startedBy), which Dagster leaves running when
    it may resume the run."""

    @op
    def step() -> None:
        pass

    @job
    def executor_job() -> None:
        step()

    instance = DagsterInstance.ephemeral()
    result = executor_job.execute_in_process(instance=instance)
    [step_task] = ecs.run_task(command=SLEEP)
    [finished_task] = ecs.run_task(command=["python", "-c", "pass"])
    ecs.wait_for_tasks([finished_task], timeout_seconds=30)
    for arn in (step_task, finished_task):
        event = step_worker_starting(executor_job.name, "step", arn)
        instance.report_dagster_event(event, result.run_id)
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    canceled = run.with_status(DagsterRunStatus.CANCELED)
    [success_event] = [
        r.dagster_event
        for r in instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_SUCCESS)
    ]
    canceled_sensor = ecs_orphaned_task_sensors()[1]
    context = build_run_status_sensor_context(
        sensor_name=canceled_sensor.name,
        dagster_event=success_event,
        dagster_instance=instance,
        dagster_run=canceled,
        resources={"ecs": ecs},
    )
    canceled_sensor(context)

    [stopped] = ecs.wait_for_tasks([step_task], timeout_seconds=30)
    assert stopped.stop_code == "UserInitiated"
    assert stopped.stopped_reason == (
        f"Dagster run {result.run_id} ended (CANCELED) while this task was still running"
    )


def test_one_sensor_per_bad_ending() -> None:
    """There is a sensor for failed runs and one for canceled runs."""
    names = [s.name for s in ecs_orphaned_task_sensors()]
    assert names == ["ecs_stop_tasks_of_failure_runs", "ecs_stop_tasks_of_canceled_runs"]
