"""Forged task state events on the embedded ECS's real queue (EventBridge -> SQS): an event is a
hint. A stop naming the task under another account, region or cluster, or its own ARN with a
huge version, decides nothing for the waiter or either sensor; the real end is reported, once,
and the run or sensor log says how many events were ignored (never what they held)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    SensorDefinition,
    instance_for_test,
    job,
    materialize,
)

from ecs_pipelines.ecs.tasks import EcsTaskResult
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.completion_sensor import OUTCOME_RUN_TAG, ecs_task_completion_sensor
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
from ecs_pipelines.integration.ops import ecs_completion_report_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import py, sensor_context
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.task_events import (
    ELSEWHERE_ACCOUNT,
    events_queue_fixture,  # noqa: F401 (the events_queue fixture)
    forged_stop,
    send_events,
)

HUGE_VERSION = 10**9
FOREIGN = "another account, region or cluster"
UNCONFIRMED = "DescribeTasks did not confirm"


def exit_3_at(marker: Path) -> list[str]:
    """A task command that runs until ``marker`` exists, then exits 3: the test decides when."""
    source = f"import os, sys, time\nwhile not os.path.exists({str(marker)!r}): time.sleep(0.05)"
    return py(source + "\nsys.exit(3)")


def running(ecs: EcsResource, arn: str) -> dict[str, Any]:
    """The task as DescribeTasks shows it once it runs."""
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "RUNNING", what="RUNNING")
    [task] = ecs.describe_tasks([arn])
    return task


def ignored_count(watcher: Any) -> int:
    return sum(getattr(watcher, "ignored_events", {}).values())


def wait_through(ecs: EcsResource, arn: str, marker: Path) -> tuple[EcsTaskResult, Any, list[str]]:
    """Waits for ``arn`` as ``wait_for_tasks`` does (the resource's watcher on its queue); the
    task is let end only once the wait has handled the forged events (or returned)."""
    notices: list[str] = []
    watcher = ecs.task_watcher(ecs.cluster, ecs.watch_settings(60), on_notice=notices.append)
    outcome: dict[str, list[EcsTaskResult]] = {}
    waiting = threading.Thread(target=lambda: outcome.update(results=watcher.wait([arn])))
    waiting.start()
    try:
        wait_until(
            lambda: not waiting.is_alive() or ignored_count(watcher) > 0,
            what="the wait to handle the forged events",
        )
    finally:
        marker.touch()
        waiting.join(timeout=60)
    [result] = outcome["results"]
    return result, watcher, notices


# --- the waiter ----------------------------------------------------------------------------


def test_a_forged_stop_of_another_account_region_and_cluster_never_ends_a_wait(
    local_ecs: LocalEcs, events_queue: str, tmp_path: Path
) -> None:
    """A success event naming the task's id under another account, region and cluster is
    ignored and counted: the wait reports the task's real failure (exit 3)."""
    ecs = make_resource(local_ecs, task_events_queue_url=events_queue)
    marker = tmp_path / "end"
    [arn] = ecs.run_task(command=exit_3_at(marker))
    known = running(ecs, arn)
    send_events(
        local_ecs, events_queue, forged_stop(known, version=known["version"] + 1, elsewhere=True)
    )
    result, watcher, notices = wait_through(ecs, arn, marker)
    assert not result.succeeded and result.exit_codes == {"main": 3}
    assert watcher.ignored_events["foreign"] == 1
    [notice] = [n for n in notices if "ignored" in n]
    assert FOREIGN in notice and ELSEWHERE_ACCOUNT not in notice


def test_a_forged_stop_with_the_tasks_arn_and_a_huge_version_is_not_believed(
    local_ecs: LocalEcs, events_queue: str, tmp_path: Path
) -> None:
    """A success event with the task's exact ARN and a huge version is checked against
    DescribeTasks, dropped and counted; the real stop (a lower version) is still seen."""
    ecs = make_resource(local_ecs, task_events_queue_url=events_queue)
    marker = tmp_path / "end"
    [arn] = ecs.run_task(command=exit_3_at(marker))
    known = running(ecs, arn)
    send_events(local_ecs, events_queue, forged_stop(known, version=HUGE_VERSION))
    result, watcher, notices = wait_through(ecs, arn, marker)
    assert not result.succeeded and result.exit_codes == {"main": 3}
    assert watcher.ignored_events["unconfirmed"] == 1
    [notice] = [n for n in notices if "ignored" in n]
    assert UNCONFIRMED in notice


# --- the sensors ---------------------------------------------------------------------------


@job
def report_job() -> None:
    ecs_completion_report_op()


@job
def failure_report_job() -> None:
    ecs_completion_report_op()


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as persistent:  # sensor contexts need a persistent instance
        yield persistent


class Lines(logging.Handler):
    """The lines a sensor logs in its ticks."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def evaluate(
    sensor_def: SensorDefinition,
    instance: DagsterInstance,
    ecs: EcsResource,
    cursor: str | None,
    log: Lines,
) -> Any:
    """One tick as the daemon runs it (a fresh context from the stored cursor); its log lines
    go to ``log``."""
    context = sensor_context(sensor_def, instance=instance, resources={"ecs": ecs}, cursor=cursor)
    context.log.addHandler(log)
    data = sensor_def.evaluate_tick(context)
    for event in data.asset_events:
        instance.report_runless_asset_event(event)
    return data


def forge_both(local: LocalEcs, queue: str, known: dict[str, Any]) -> None:
    send_events(
        local,
        queue,
        forged_stop(known, version=known["version"] + 1, elsewhere=True),
        forged_stop(known, version=HUGE_VERSION),
    )


def said_ignored(log: Lines) -> str:
    [line] = [line for line in log.lines if "ignored" in line]
    return line


def check_evaluations(instance: DagsterInstance, key: str) -> list[Any]:
    check_key = AssetCheckKey(AssetKey(key), md.ECS_TASK_CHECK)
    records = instance.event_log_storage.get_asset_check_execution_history(check_key, limit=10)
    found = [r.event.dagster_event.event_specific_data for r in records if r.event]
    return [e for e in found if isinstance(e, AssetCheckEvaluation)]  # not the planned ones


def test_the_detached_sensor_reports_the_real_end_through_forged_stops(
    ecs: EcsResource,
    local_ecs: LocalEcs,
    events_queue: str,
    instance: DagsterInstance,
    tmp_path: Path,
) -> None:
    """Both forgeries reach the detached sensor's queue while its task runs: nothing is
    materialised, the tick says what it ignored, and the real failure is reported once."""
    marker = tmp_path / "end"
    asset_def = ecs_task_asset("forged_detached", command=exit_3_at(marker), detached=True)
    sensor_def = ecs_detached_asset_sensor(asset_def, task_events_queue_url=events_queue)
    assert materialize([asset_def], resources={"ecs": ecs}, instance=instance).success
    [record] = instance.fetch_observations(AssetKey("forged_detached"), limit=1).records
    arn = record.asset_observation.metadata["task_arns"].value[0]
    log = Lines()
    tracking = evaluate(sensor_def, instance, ecs, None, log)
    known = running(ecs, arn)
    forge_both(local_ecs, events_queue, known)
    forged = evaluate(sensor_def, instance, ecs, tracking.cursor, log)
    assert instance.get_latest_materialization_event(AssetKey("forged_detached")) is None
    assert check_evaluations(instance, "forged_detached") == []
    line = said_ignored(log)
    assert FOREIGN in line and UNCONFIRMED in line and ELSEWHERE_ACCOUNT not in line
    marker.touch()
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "STOPPED", what="stop")
    ended = evaluate(sensor_def, instance, ecs, forged.cursor, log)
    evaluate(sensor_def, instance, ecs, ended.cursor, log)
    [check] = check_evaluations(instance, "forged_detached")
    assert not check.passed and "main=3" in check.description
    assert instance.get_latest_materialization_event(AssetKey("forged_detached")) is None


def test_the_completion_sensor_requests_one_run_for_the_real_end_through_forged_stops(
    ecs: EcsResource,
    local_ecs: LocalEcs,
    events_queue: str,
    instance: DagsterInstance,
    tmp_path: Path,
) -> None:
    """Both forgeries reach the completion sensor's queue while the task it tracks runs: no
    run is requested, the tick says what it ignored; the real failure gets one run."""
    started_by = f"forged-{uuid.uuid4().hex[:8]}"
    sensor_def = ecs_task_completion_sensor(
        "forged_completion",
        started_by=started_by,
        job=report_job,
        failure_job=failure_report_job,
        task_events_queue_url=events_queue,
    )
    log = Lines()
    first = evaluate(sensor_def, instance, ecs, None, log)
    marker = tmp_path / "end"
    [arn] = ecs.run_task(command=exit_3_at(marker), started_by=started_by)
    known = running(ecs, arn)
    tracking = evaluate(sensor_def, instance, ecs, first.cursor, log)
    assert not tracking.run_requests
    forge_both(local_ecs, events_queue, known)
    forged = evaluate(sensor_def, instance, ecs, tracking.cursor, log)
    assert not forged.run_requests
    line = said_ignored(log)
    assert FOREIGN in line and UNCONFIRMED in line and ELSEWHERE_ACCOUNT not in line
    marker.touch()
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "STOPPED", what="stop")
    ended = evaluate(sensor_def, instance, ecs, forged.cursor, log)
    [request] = ended.run_requests
    assert request.run_key == arn and request.job_name == failure_report_job.name
    assert request.tags[OUTCOME_RUN_TAG] == "failed"
    after = evaluate(sensor_def, instance, ecs, ended.cursor, log)
    assert not after.run_requests
