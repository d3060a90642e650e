"""Running ops and assets in-process against the embedded ECS, and reading what they left."""

from __future__ import annotations

from typing import Any

from dagster import (
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    OpDefinition,
    RetryPolicy,
    SensorDefinition,
    SensorEvaluationContext,
    build_sensor_context,
    job,
)
from dagster._core.definitions.asset_selection import KeysAssetSelection

from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import started_by_for_run


def run_op(
    op_def: OpDefinition,
    ecs: EcsResource,
    *,
    run_config: dict[str, Any] | None = None,
    instance: DagsterInstance | None = None,
    run_id: str | None = None,
    retry_policy: RetryPolicy | None = None,
) -> ExecuteInProcessResult:
    @job(name=f"{op_def.name}_job", resource_defs={"ecs": ecs})
    def one_op_job() -> None:
        op_def()

    config = {"ops": {op_def.name: {"config": run_config}}} if run_config else None
    return one_op_job.execute_in_process(
        run_config=config,
        instance=instance or DagsterInstance.ephemeral(),
        raise_on_error=False,
        run_id=run_id,
    )


def all_log_text(instance: DagsterInstance, run_id: str) -> str:
    """Every message of the run's event log, user logs and Dagster events alike."""
    return "\n".join(
        record.user_message for record in instance.all_logs(run_id) if record.user_message
    )


def engine_event_metadata(instance: DagsterInstance, run_id: str) -> list[dict[str, Any]]:
    found = []
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        if event and event.engine_event_data and event.engine_event_data.metadata:
            found.append(dict(event.engine_event_data.metadata))
    return found


def py(source: str) -> list[str]:
    """A container command running ``source`` with the task's Python."""
    return ["python", "-c", source]


def tasks_started_by(
    ecs: EcsResource, started_by: str, cluster: str | None = None
) -> list[dict[str, Any]]:
    """Every task with this startedBy in ``cluster`` (the resource's by default), running or
    stopped, asked with the resource's own client."""
    client = ecs.task_client()
    where = cluster or ecs.cluster
    arns = [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in client.list_task_arns(where, started_by=started_by, desired_status=status)
    ]
    return list(client.describe(where, arns).tasks.values())


def tasks_of_run(ecs: EcsResource, run_id: str) -> list[dict[str, Any]]:
    """Every task the run launched (found by its startedBy), running or stopped."""
    return tasks_started_by(ecs, started_by_for_run(run_id))


def sensor_context(
    sensor_def: SensorDefinition,
    *,
    instance: DagsterInstance | None,
    resources: dict[str, Any],
    cursor: str | None = None,
) -> SensorEvaluationContext:
    """A tick's context as the daemon builds it: with a code location holding the sensor and
    the assets it targets, which Dagster reads for a sensor with an asset selection."""
    selection = sensor_def.asset_selection
    keys = selection.selected_keys if isinstance(selection, KeysAssetSelection) else []
    definitions = Definitions(assets=[AssetSpec(key) for key in keys], sensors=[sensor_def])
    return build_sensor_context(
        instance=instance, resources=resources, cursor=cursor, definitions=definitions
    )
