"""Storing a finished detached launch: its events go into the run that launched its tasks,
each event once (``CompletionRecorder``), so reruns, backfills and replayed ticks all report
right. The events themselves come from ``sensor_events.completion_asset_events``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    AssetRecordsFilter,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    EventLogRecord,
    MetadataValue,
    RunsFilter,
)

# Private names: Dagster has no public API to add an asset event to an existing run's event
# log, or to read a check's executions for one partition.
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData as TargetMaterialization,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.events import AssetObservationData, StepMaterializationData
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecord
from dagster._record import copy

from ecs_pipelines.ecs.tracking import GroupCompletion
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.sensor_events import AssetEvent, launching_run_id

# Why the sensor stores these events itself, in the run that launched the tasks, rather than
# hand them to the daemon in its SensorResult: the daemon stores asset_events runless, run id ""
# (dagster/_daemon/sensor.py, _evaluate_sensor). A runless AssetCheckEvaluation is inserted into
# asset_check_executions (dagster/_core/storage/event_log/sql_event_log.py,
# _store_runless_asset_check_evaluation), whose unique index idx_asset_check_executions_unique
# (event_log/schema.py) is on (asset_key, check_name, run_id, partition): every runless
# evaluation of a partition has the same key, so the second one (a rerun, a backfill) violates
# it, on SQLite and PostgreSQL alike (unpartitioned ones escape: NULL partitions are distinct).
# The event row is committed before the insert fails; the tick fails before the daemon saves its
# cursor, so every later tick stores the same events again and fails again, and the completions
# queued behind are never reported. No runless evaluation can have another key.
#
# Dagster's own model is one evaluation per check, partition and run: the launching run holds a
# PLANNED row for the check and partition (ASSET_CHECK_EVALUATION_PLANNED at its start), and an
# evaluation carrying that run id updates that row (_update_asset_check_evaluation). Each launch
# comes from its own run, so each completion has its own row, and the newest launch's row is
# the check's latest execution. The materialisation goes into the same run: the evaluation
# names it (target_materialization_data), the asset's history names the run that built it, and
# an asset backfill counts the partition as materialised by its run.
#
# Materialisations and observations have no unique index, but a tick that dies before its
# cursor is saved meets the same completion again: each event is looked up first (by the task
# ARNs in its metadata, among the latest RECENT_EVENTS of its asset partition) and stored only
# if absent, so a replay stores nothing twice.

RECENT_EVENTS = 20


def _task_arns(metadata: Mapping[str, Any]) -> set[str]:
    """The task ARNs an event's metadata names: what ties a stored event to its launch."""
    found: set[str] = set()
    for name in ("task_arn", "task_arns"):
        value = getattr(metadata.get(name), "value", None)
        found.update(
            v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
        )
    return found


class CompletionRecorder:
    """Stores finished launches' events in the runs that launched them, each event once."""

    def __init__(self, instance: DagsterInstance, completions: Sequence[GroupCompletion]) -> None:
        self._instance = instance
        run_ids = sorted({r for r in map(launching_run_id, completions) if r})
        records = instance.get_run_records(RunsFilter(run_ids=run_ids)) if run_ids else []
        # A launching run that was deleted cannot take events: its launches are reported runless.
        self._runs = {r.dagster_run.run_id: r.dagster_run for r in records}

    def record(self, completion: GroupCompletion, events: Sequence[AssetEvent]) -> None:
        """Stores ``events`` (as ``completion_asset_events`` orders them) unless stored before."""
        run_id = launching_run_id(completion)
        run = self._runs.get(run_id) if run_id else None
        arns = set(completion.group.task_arns)
        targets: dict[AssetKey, TargetMaterialization] = {}
        fresh: set[AssetKey] = set()  # keys whose materialisation this call stored
        for event in events:
            if isinstance(event, AssetMaterialization):
                found = self._stored(event, arns)
                if found is None:
                    self._store(run, event)
                    fresh.add(event.asset_key)
                    found = self._stored(event, arns)
                if found is not None:
                    targets[event.asset_key] = TargetMaterialization(
                        storage_id=found.storage_id, run_id=found.run_id, timestamp=found.timestamp
                    )
            elif isinstance(event, AssetObservation):
                if self._stored(event, arns) is None:
                    self._store(run, event)
            # A check is stored after its materialisation: a fresh one has no check yet.
            elif event.asset_key in fresh or not self._evaluated(event, arns):
                target = targets.get(event.asset_key)
                self._store_evaluation(run, copy(event, target_materialization_data=target), arns)

    def _store_evaluation(
        self, run: DagsterRun | None, event: AssetCheckEvaluation, arns: set[str]
    ) -> None:
        if run is None and event.partition is not None and self._evaluated_runless(event):
            # Dagster keeps one runless evaluation per check and partition (see above): a
            # launch no run owns leaves its verdict on the asset instead.
            verdict = {
                "check": MetadataValue.text(event.check_name),
                "passed": MetadataValue.bool(event.passed),
                "description": MetadataValue.text(event.description or ""),
            }
            observation = AssetObservation(
                event.asset_key, partition=event.partition, metadata={**event.metadata, **verdict}
            )
            if self._stored(observation, arns) is None:
                self._store(None, observation)
            return
        self._store(run, event)

    def _store(self, run: DagsterRun | None, event: AssetEvent) -> None:
        if run is None:
            self._instance.report_runless_asset_event(event)
            return
        key = event.asset_key.to_user_string()
        data: Any
        if isinstance(event, AssetMaterialization):
            kind, data = DagsterEventType.ASSET_MATERIALIZATION, StepMaterializationData(event)
            message = f"Materialized {key}: its detached ECS task(s) succeeded."
        elif isinstance(event, AssetObservation):
            kind, data = DagsterEventType.ASSET_OBSERVATION, AssetObservationData(event)
            message = f"Observed {key}: its detached ECS task(s) failed."
        else:
            kind, data = DagsterEventType.ASSET_CHECK_EVALUATION, event
            verdict = "passed" if event.passed else "failed"
            message = f"Asset check {event.check_name!r} on {key} {verdict}."
        self._instance.report_dagster_event(
            DagsterEvent(
                event_type_value=kind.value,
                job_name=run.job_name,
                event_specific_data=data,
                message=f"{message} (Reported by the ECS completion sensor.)",
            ),
            run_id=run.run_id,
        )

    def _stored(
        self, event: AssetMaterialization | AssetObservation, arns: set[str]
    ) -> EventLogRecord | None:
        """The stored report of ``event``'s launch, among its asset partition's latest events."""
        partitions = [event.partition] if event.partition is not None else None
        records_filter = AssetRecordsFilter(asset_key=event.asset_key, asset_partitions=partitions)
        if isinstance(event, AssetMaterialization):
            page = self._instance.fetch_materializations(records_filter, RECENT_EVENTS)
        else:
            page = self._instance.fetch_observations(records_filter, RECENT_EVENTS)
        for record in page.records:
            stored = record.asset_materialization or record.asset_observation
            # A launch record names the same tasks, but reports nothing.
            launch = stored is not None and md.launch_record(stored.metadata) is not None
            if stored is not None and not launch and arns & _task_arns(stored.metadata):
                return record
        return None

    def _history(
        self, event: AssetCheckEvaluation, limit: int, cursor: int | None = None
    ) -> Sequence[AssetCheckExecutionRecord]:
        return self._instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(event.asset_key, event.check_name),
            limit=limit,
            cursor=cursor,
            partition_filter=PartitionKeyFilter(key=event.partition),
        )

    def _evaluated(self, event: AssetCheckEvaluation, arns: set[str]) -> bool:
        # A PLANNED row holds the planned event, which names no tasks.
        return any(
            isinstance(r.evaluation, AssetCheckEvaluation)
            and arns & _task_arns(r.evaluation.metadata)
            for r in self._history(event, RECENT_EVENTS)
        )

    def _evaluated_runless(self, event: AssetCheckEvaluation) -> bool:
        """Whether the check has a runless evaluation for the event's partition already."""
        cursor = None
        while True:
            page = self._history(event, 100, cursor)
            if any(not record.run_id for record in page):
                return True
            if len(page) < 100:
                return False
            cursor = page[-1].id
