"""Completion sensors on task state events, exactly once: a tick applies its events to its
cursor, the next tick deletes their messages, a tick replayed from an older cursor (a daemon
that died before storing it) reports nothing twice, and a restart loses nothing.

The detached-asset sensor runs under Dagster's own sensor daemon code path
(``support.sensor_daemon``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    Definitions,
    EnvVar,
    instance_for_test,
    job,
    materialize,
)

from ecs_pipelines.demo.task_events_queue import delete_task_events_queue
from ecs_pipelines.ecs.tracking import TrackingState
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.completion_sensor import ecs_task_completion_sensor
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
from ecs_pipelines.integration.ops import ecs_completion_report_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import ApiCalls
from ecs_pipelines_tests.support.dagster_helpers import py, sensor_context
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.sensor_daemon import (
    ModuleLocation,
    SensorDaemon,
    daemon_resource,
    point_daemon_at,
    sensor_daemon,
)
from ecs_pipelines_tests.support.task_events import (
    client,
    ecs_calls_fixture,  # noqa: F401 (the ecs_calls fixture)
    events_queue_fixture,  # noqa: F401 (the events_queue fixture)
    new_queue,
)

QUEUE_ENV = "ECS_PIPELINES_SENSOR_TEST_QUEUE_URL"
LOCATION = "sensor_task_events"
ASSET = "evented_export"
# Ends with EXIT_CODE once UNTIL exists (when given: the test decides when it ends).
EXIT_WITH_CODE = py("import os, sys, time\nuntil = os.environ.get('UNTIL')\n"
                    "while until and not os.path.exists(until): time.sleep(0.05)\n"
                    "sys.exit(int(os.environ['EXIT_CODE']))")  # fmt: skip

evented_export = ecs_task_asset(
    ASSET,
    command=EXIT_WITH_CODE,
    partitions_def=DailyPartitionsDefinition(start_date="2026-01-01"),
    detached=True,
)
evented_sensor = ecs_detached_asset_sensor(
    evented_export,
    minimum_interval_seconds=1,
    default_status=DefaultSensorStatus.RUNNING,
    task_events_queue_url=EnvVar(QUEUE_ENV),
)
defs = Definitions(
    assets=[evented_export],
    sensors=[evented_sensor],
    resources={"ecs": daemon_resource()},
)


@job
def report_job() -> None:
    ecs_completion_report_op()


THIS_MODULE = ModuleLocation(__name__, LOCATION)


@pytest.fixture
def home(local_ecs: LocalEcs, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A DAGSTER_HOME, and the sensor's own queue named in the code location's environment."""
    point_daemon_at(monkeypatch, local_ecs)
    queue = new_queue(local_ecs)
    monkeypatch.setenv(QUEUE_ENV, queue)
    with instance_for_test() as instance:
        yield instance.root_directory
    delete_task_events_queue(
        local_ecs.endpoint_url, local_ecs.region, queue, credentials=local_ecs.credentials
    )


@contextmanager
def daemon(home: str) -> Iterator[SensorDaemon]:
    with sensor_daemon(home, THIS_MODULE, evented_sensor.name) as found:
        yield found


def launch(instance: DagsterInstance, ecs: EcsResource, partition: str, **env: str) -> str:
    """Materialises ``partition`` (detached: it returns at once); the task's ARN."""
    environment = {"EXIT_CODE": "0", **env}
    config = {"ops": {ASSET: {"config": {"environment": environment}}}}
    result = materialize(
        [evented_export], partition_key=partition, resources={"ecs": ecs}, instance=instance,
        run_config=config,
    )  # fmt: skip
    assert result.success
    [observation] = result.asset_observations_for_node(ASSET)
    launched = md.launch_record(observation.metadata)
    assert launched is not None
    return str(launched[1][0])


def materialised(instance: DagsterInstance, partition: str) -> int:
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(ASSET), asset_partitions=[partition]), limit=100
    ).records
    return len(records)


def in_flight(local: LocalEcs) -> int:
    """Messages of the sensor's queue received and neither deleted nor back yet."""
    attributes = client(local, "sqs").get_queue_attributes(
        QueueUrl=str(EnvVar(QUEUE_ENV).get_value()),
        AttributeNames=["ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_detached_sensor_on_events_reports_each_completion_once_across_restarts(
    home: str, local_ecs: LocalEcs, ecs: EcsResource, tmp_path: Path
) -> None:
    """Under the sensor daemon with events on: a tick replayed from an older cursor stores
    nothing twice; a task that ends while no daemon runs is reported by the next one, once;
    the messages a stored cursor applied are deleted by the tick after (those of the cursor
    that was lost stay hidden until their visibility timeout, then are dropped)."""
    with DagsterInstance.from_config(home) as instance:
        with daemon(home) as first:
            first.tick()
            before = first.cursor()
            quick = launch(instance, ecs, "2026-03-01")
            ecs.wait_for_tasks([quick], timeout_seconds=60)
            first.tick()
            assert materialised(instance, "2026-03-01") == 1
            assert TrackingState.from_cursor(first.cursor()).receipts  # deleted next tick
            first.set_cursor(before)  # the tick died before its cursor was stored
            lost = in_flight(local_ecs)
            assert lost > 0
        with daemon(home) as restarted:
            restarted.tick()  # replays the launch: found, and stored nothing twice
            assert materialised(instance, "2026-03-01") == 1
            slow = launch(instance, ecs, "2026-03-02", UNTIL=str(tmp_path / "end"))
            restarted.tick()  # tracks the running task
            assert materialised(instance, "2026-03-02") == 0
        (tmp_path / "end").touch()
        ecs.wait_for_tasks([slow], timeout_seconds=60)  # it ends while no daemon runs
        with daemon(home) as again:
            again.tick()
            assert materialised(instance, "2026-03-02") == 1
            again.tick()
            assert materialised(instance, "2026-03-01") == 1
            assert materialised(instance, "2026-03-02") == 1
            assert TrackingState.from_cursor(again.cursor()).groups == ()
            assert in_flight(local_ecs) == lost  # the slow task's messages are all deleted


# --- tasks launched elsewhere ------------------------------------------------------------


def evaluate(sensor_def: Any, ecs: EcsResource, cursor: str | None) -> Any:
    with instance_for_test() as instance:
        context = sensor_context(
            sensor_def, instance=instance, resources={"ecs": ecs}, cursor=cursor
        )
        return sensor_def.evaluate_tick(context)


def test_completion_sensor_on_events_lists_nothing_between_sweeps_and_describes_to_confirm(
    ecs: EcsResource, events_queue: str, ecs_calls: ApiCalls, local_ecs: LocalEcs, tmp_path: Path
) -> None:
    """Between sweeps a task is found and ended by its events with no ListTasks: one
    DescribeTasks confirms it when found, one confirms its end; a tick replayed from the older
    cursor, once the messages are back, asks for the same run key (Dagster runs it once), and
    the tick after deletes them."""
    started_by = f"events-{uuid.uuid4().hex[:8]}"
    sensor_def = ecs_task_completion_sensor(
        "evented", started_by=started_by, job=report_job, task_events_queue_url=events_queue
    )
    first = evaluate(sensor_def, ecs, None)
    marker = tmp_path / "end"
    until = py(f"import os, time\nwhile not os.path.exists({str(marker)!r}): time.sleep(0.05)")
    [arn] = ecs.run_task(command=until, started_by=started_by)
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "RUNNING", what="run")
    ecs_calls.counts.clear()
    tracking = evaluate(sensor_def, ecs, first.cursor)  # its events: described once, tracked
    assert not tracking.run_requests
    assert [g.task_arns for g in TrackingState.from_cursor(tracking.cursor).groups] == [(arn,)]
    assert (ecs_calls.counts["DescribeTasks"], ecs_calls.counts["ListTasks"]) == (1, 0)
    marker.touch()
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "STOPPED", what="stop")
    ecs_calls.counts.clear()
    ended = evaluate(sensor_def, ecs, tracking.cursor)
    assert [r.run_key for r in ended.run_requests] == [arn]
    assert (ecs_calls.counts["DescribeTasks"], ecs_calls.counts["ListTasks"]) == (1, 0)
    held = TrackingState.from_cursor(ended.cursor).receipts
    assert held
    # Its cursor was never stored: the messages it applied come back after their visibility
    # timeout (here: at once), and the replay from the older cursor asks for the same run.
    sqs = client(local_ecs, "sqs")
    for receipt in held:
        sqs.change_message_visibility(
            QueueUrl=events_queue, ReceiptHandle=receipt, VisibilityTimeout=0
        )
    replayed = evaluate(sensor_def, ecs, tracking.cursor)
    assert [r.run_key for r in replayed.run_requests] == [arn]
    after = evaluate(sensor_def, ecs, replayed.cursor)
    assert not after.run_requests
    assert in_flight_of(local_ecs, events_queue) == 0


def test_completion_sensor_on_events_reports_a_task_whose_events_are_lost_at_the_sweep(
    ecs: EcsResource, events_queue: str, ecs_calls: ApiCalls, local_ecs: LocalEcs
) -> None:
    """A task none of whose events arrive is found by the next sweep's ListTasks and reported
    once; tasks of another startedBy on the same queue are neither tracked nor reported."""
    started_by = f"events-{uuid.uuid4().hex[:8]}"
    sensor_def = ecs_task_completion_sensor(
        "lossy", started_by=started_by, job=report_job, task_events_queue_url=events_queue
    )
    first = evaluate(sensor_def, ecs, None)
    [other] = ecs.run_task(command=py("print(1)"), started_by=f"{started_by}-other")
    [lost] = ecs.run_task(command=py("print(2)"), started_by=started_by)
    ecs.wait_for_tasks([other, lost], timeout_seconds=60)
    sqs = client(local_ecs, "sqs")
    wait_until(lambda: in_queue(local_ecs, events_queue) > 0, what="the tasks' events")
    sqs.purge_queue(QueueUrl=events_queue)  # every event of both tasks is lost
    between = evaluate(sensor_def, ecs, first.cursor)
    assert not between.run_requests  # nothing told it, and no sweep is due
    assert TrackingState.from_cursor(between.cursor).groups == ()
    due = replace(TrackingState.from_cursor(between.cursor), swept_at=0).to_cursor()
    swept = evaluate(sensor_def, ecs, due)
    assert [r.run_key for r in swept.run_requests] == [lost]
    after = evaluate(sensor_def, ecs, swept.cursor)
    assert not after.run_requests


def in_queue(local: LocalEcs, queue_url: str) -> int:
    attributes = client(local, "sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def in_flight_of(local: LocalEcs, queue_url: str) -> int:
    attributes = client(local, "sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_sensor_whose_queue_is_gone_polls_and_says_so(
    ecs: EcsResource, local_ecs: LocalEcs
) -> None:
    """With its queue deleted, the completion sensor describes its tasks and still reports."""
    queue = new_queue(local_ecs)
    delete_task_events_queue(
        local_ecs.endpoint_url, local_ecs.region, queue, credentials=local_ecs.credentials
    )
    started_by = f"events-{uuid.uuid4().hex[:8]}"
    sensor_def = ecs_task_completion_sensor(
        "gone", started_by=started_by, job=report_job, task_events_queue_url=queue
    )
    first = evaluate(sensor_def, ecs, None)
    [arn] = ecs.run_task(command=py("print(1)"), started_by=started_by)
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "STOPPED", what="stop")
    data = evaluate(sensor_def, ecs, first.cursor)
    assert [r.run_key for r in data.run_requests] == [arn]
