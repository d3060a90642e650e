"""What a detached asset step says and does besides launching: it names the sensor that will
report the task's end, and when only its ``ecs_task_succeeded`` check is executed it repeats
that sensor's latest verdict instead of leaving the check "not evaluated".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
)
from dagster._core.event_api import PartitionKeyFilter

from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.step_runner import StepTaskRunner
from ecs_pipelines.integration.task_naming import WATCHED_ASSETS_TAG

HISTORY = 20


def watching_sensors(
    context: AssetExecutionContext, key_strings: Sequence[str]
) -> list[str] | None:
    """Names of the code location's sensors that report these detached assets; None when the
    step runs outside a code location (``execute_in_process``) and cannot tell."""
    try:
        repository = context.repository_def
    except Exception:  # Dagster raises a CheckError when no repository is set
        return None
    found = []
    for sensor_def in repository.sensor_defs:
        watched = (sensor_def.tags or {}).get(WATCHED_ASSETS_TAG, "").split()
        if set(key_strings) & set(watched):
            found.append(sensor_def.name)
    return sorted(found)


def detached_launch_message(
    context: AssetExecutionContext, keys: Sequence[AssetKey], task_arns: Sequence[str]
) -> str:
    names = [k.to_user_string() for k in keys]  # AssetKey
    tasks = ", ".join(task_id(arn) for arn in task_arns)
    sensors = watching_sensors(context, names)
    what = ", ".join(names)
    if sensors is None:
        sensors = ["ecs_detached_asset_sensor"]
    if not sensors:
        return (
            f"Launched ECS task(s) {tasks} for {what} and left them running (detached). "
            f"No ecs_detached_asset_sensor in this code location watches {what}: nothing will "
            "materialise it when the task ends. Add one: ecs_detached_asset_sensor(asset)."
        )
    return (
        f"Launched ECS task(s) {tasks} for {what} and left them running (detached). When the "
        f"task ends, sensor {' / '.join(sensors)} materialises {what} and evaluates its "
        f"{md.ECS_TASK_CHECK} check; until then the asset keeps its last materialisation and "
        f"this run does not evaluate the check."
    )


def sensor_verdicts(
    context: AssetExecutionContext, runner: StepTaskRunner
) -> Iterator[AssetCheckResult]:
    """The latest verdict the sensor gave each selected ecs_task_succeeded check."""
    storage = context.instance.event_log_storage
    partition = runner.partition_key
    for check_key in sorted(context.selected_asset_check_keys, key=str):
        if check_key.name != md.ECS_TASK_CHECK:
            continue
        verdict = next(
            (
                record.evaluation
                for record in storage.get_asset_check_execution_history(
                    AssetCheckKey(check_key.asset_key, check_key.name),
                    limit=HISTORY,
                    partition_filter=PartitionKeyFilter(key=partition),
                )
                if isinstance(record.evaluation, AssetCheckEvaluation)
            ),
            None,
        )
        if verdict is None:
            runner.log.info(
                f"{check_key.name} on {check_key.asset_key.to_user_string()} has no verdict "
                "yet: the completion sensor gives it when the launched task ends."
            )
            continue
        yield AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=verdict.passed,
            severity=verdict.severity,
            description=verdict.description,
            metadata={**verdict.metadata, "repeats_sensor_verdict": True},
        )
