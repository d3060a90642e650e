"""Completion sensors against the embedded ECS: detached assets and ops, tasks launched elsewhere,
exactly once across restarts, failed and lost tasks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetObservation,
    AssetSpec,
    DagsterInstance,
    DailyPartitionsDefinition,
    SensorDefinition,
    instance_for_test,
    job,
    materialize,
)
from dagster._core.definitions.sensor_definition import SensorExecutionData

from ecs_pipelines.ecs.logs.links import AwsConsoleLinks
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.assets import ecs_task_asset, ecs_task_multi_asset
from ecs_pipelines.integration.completion_sensor import ecs_task_completion_sensor
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
from ecs_pipelines.integration.ops import ecs_completion_report_op, ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import DETACHED_TAG, JOB_TAG
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, py, run_op, sensor_context
from ecs_pipelines_tests.support.polling import wait_until

BLOCKING_KEYS = {"task_arn", "task_console", "logs_main", "exit_codes", "last_status"}
ARN = "arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-demo/0123456789abcdef0123456789abcdef"


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as persistent:  # sensor contexts need a persistent instance
        yield persistent


def evaluate(
    sensor_def: SensorDefinition, instance: DagsterInstance, ecs: EcsResource, cursor: str | None
) -> SensorExecutionData:
    """One tick as the daemon runs it: a fresh context from the stored cursor, events stored."""
    context = sensor_context(sensor_def, instance=instance, resources={"ecs": ecs}, cursor=cursor)
    data = sensor_def.evaluate_tick(context)
    for event in data.asset_events:
        instance.report_runless_asset_event(event)
    return data


def wait_for_marker(path: Path) -> list[str]:
    """A task command that runs until ``path`` exists: the test decides when it ends."""
    return py(f"import os, time\nwhile not os.path.exists({str(path)!r}): time.sleep(0.05)")


def stopped(ecs: EcsResource, arn: str) -> bool:
    return ecs.describe_tasks([arn])[0]["lastStatus"] == "STOPPED"


def latest_materialization(instance: DagsterInstance, key: str) -> dict[str, Any] | None:
    event = instance.get_latest_materialization_event(AssetKey(key))
    if event is None or event.asset_materialization is None:
        return None
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def materialization_count(instance: DagsterInstance, key: str) -> int:
    return len(instance.fetch_materializations(AssetKey(key), limit=100).records)


def check_evaluation(instance: DagsterInstance, key: str) -> Any:
    check_key = AssetCheckKey(AssetKey(key), md.ECS_TASK_CHECK)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([check_key])
    found = record.get(check_key)
    return found.event.dagster_event.event_specific_data if found and found.event else None


def launched_arn(instance: DagsterInstance, key: str) -> str:
    [record] = instance.fetch_observations(AssetKey(key), limit=1).records
    return record.asset_observation.metadata["task_arns"].value[0]


# --- detached assets ---------------------------------------------------------------------


def test_detached_asset_returns_while_its_task_still_runs(
    ecs: EcsResource, instance: DagsterInstance, tmp_path: Path
) -> None:
    """The step finishes with the task RUNNING, records its ARN, and does not materialise."""
    asset_def = ecs_task_asset("long", command=wait_for_marker(tmp_path / "go"), detached=True)
    result = materialize([asset_def], resources={"ecs": ecs}, instance=instance)
    assert result.success
    arn = launched_arn(instance, "long")
    [task] = ecs.describe_tasks([arn])
    assert task["lastStatus"] != "STOPPED"
    assert {t["key"]: t["value"] for t in task["tags"]}[DETACHED_TAG] == "true"
    assert latest_materialization(instance, "long") is None
    (tmp_path / "go").touch()


def test_sensor_materialises_a_detached_asset_once_its_task_ends(
    ecs: EcsResource, instance: DagsterInstance, tmp_path: Path
) -> None:
    """After the task ends the sensor stores the materialisation (blocking-path metadata and the
    partition) and a passing check, exactly once, each tick being a fresh context."""
    daily = DailyPartitionsDefinition(start_date="2026-11-01")
    asset_def = ecs_task_asset(
        "daily_detached",
        command=wait_for_marker(tmp_path / "go"),
        partitions_def=daily,
        detached=True,
    )
    sensor_def = ecs_detached_asset_sensor(asset_def)
    assert materialize(
        [asset_def], partition_key="2026-11-20", resources={"ecs": ecs}, instance=instance
    ).success
    running = evaluate(sensor_def, instance, ecs, None)
    assert not running.asset_events and running.cursor
    assert running.skip_message == "No ECS task finished"
    (tmp_path / "go").touch()
    arn = launched_arn(instance, "daily_detached")
    wait_until(lambda: stopped(ecs, arn), what="the task to stop")
    done = evaluate(sensor_def, instance, ecs, running.cursor)
    assert materialization_count(instance, "daily_detached") == 1
    # The tick says what it reported (the UI shows it beside the tick).
    assert done.skip_message is not None
    assert done.skip_message.startswith("Reported 1 finished ECS launch(es): ")
    assert f"materialized daily_detached [2026-11-20] (task {arn.rsplit('/', 1)[-1]}" in (
        done.skip_message
    )
    metadata = latest_materialization(instance, "daily_detached")
    assert metadata is not None and metadata.keys() >= BLOCKING_KEYS
    assert metadata["task_arn"] == arn and metadata["exit_codes"] == {"main": 0}
    event = instance.get_latest_materialization_event(AssetKey("daily_detached"))
    assert event.asset_materialization.partition == "2026-11-20"
    assert check_evaluation(instance, "daily_detached").passed
    # A restarted daemon evaluates from the committed cursor: nothing is reported again.
    evaluate(sensor_def, instance, ecs, done.cursor)
    assert materialization_count(instance, "daily_detached") == 1


def test_detached_and_blocking_materialisations_carry_the_same_metadata_keys(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """The sensor's materialisation has every metadata key the blocking path records, what
    the task cost and used included (read once for the tick)."""
    blocking = ecs_task_asset("blocking_twin", command=py("print(1)"), cpu=256, memory=512)
    detached = ecs_task_asset(
        "detached_twin", command=py("print(1)"), cpu=256, memory=512, detached=True
    )
    assert materialize([blocking, detached], resources={"ecs": ecs}, instance=instance).success
    arn = launched_arn(instance, "detached_twin")
    wait_until(lambda: stopped(ecs, arn), what="the task to stop")
    evaluate(ecs_detached_asset_sensor(detached), instance, ecs, None)
    blocking_keys = latest_materialization(instance, "blocking_twin").keys()
    detached_keys = latest_materialization(instance, "detached_twin").keys()
    assert blocking_keys <= detached_keys
    assert detached_keys - blocking_keys == {"launched_by_run"}
    assert {"ecs/cost_usd", "ecs/memory_peak_mib", "ecs/billed_seconds"} <= detached_keys


def test_failed_detached_task_fails_the_check_with_reason_exit_codes_and_log_tail(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """A failing task leaves the asset unmaterialised and its check failed, severity ERROR."""
    source = "import sys\nfor i in range(30): print(f'line {i}')\nprint('boom'); sys.exit(4)"
    asset_def = ecs_task_asset("fragile", command=py(source), detached=True)
    assert materialize([asset_def], resources={"ecs": ecs}, instance=instance).success
    arn = launched_arn(instance, "fragile")
    wait_until(lambda: stopped(ecs, arn), what="the task to stop")
    tick = evaluate(ecs_detached_asset_sensor(asset_def), instance, ecs, None)
    assert latest_materialization(instance, "fragile") is None
    task_id = arn.rsplit("/", 1)[-1]
    assert f"fragile failed (task {task_id}: EssentialContainerExited, exit main=4" in str(
        tick.skip_message
    )
    check = check_evaluation(instance, "fragile")
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert "EssentialContainerExited" in check.description and "main=4" in check.description
    assert "boom" in check.description and "line 29" in check.description
    assert check.metadata["stop_code"].value == "EssentialContainerExited"
    assert "boom" in check.metadata["log_tail"].value


def test_a_failed_detached_task_gets_its_running_sibling_stopped(
    ecs: EcsResource, instance: DagsterInstance, tmp_path: Path
) -> None:
    """Of a launch of two, the first to fail fails the check and the sensor stops the other
    (in its cluster, saying which sibling failed), as a blocking step does."""
    claim, go = tmp_path / "claim", tmp_path / "go"
    source = (
        f"import os, sys, time\ntry:\n    os.close(os.open({str(claim)!r}, os.O_CREAT | os.O_EXCL))"
        f"\nexcept FileExistsError:\n    while not os.path.exists({str(go)!r}): time.sleep(0.05)"
        "\nelse:\n    sys.exit(3)"
    )
    asset_def = ecs_task_asset("pair", command=py(source), count=2, detached=True)
    assert materialize([asset_def], resources={"ecs": ecs}, instance=instance).success
    [record] = instance.fetch_observations(AssetKey("pair"), limit=1).records
    arns = list(record.asset_observation.metadata["task_arns"].value)
    assert len(arns) == 2
    wait_until(lambda: any(stopped(ecs, a) for a in arns), what="one task to fail")
    [failed] = [a for a in arns if stopped(ecs, a)]
    [sibling] = [a for a in arns if a != failed]
    evaluate(ecs_detached_asset_sensor(asset_def), instance, ecs, None)
    assert not check_evaluation(instance, "pair").passed
    wait_until(lambda: stopped(ecs, sibling), what="the sibling to be stopped")
    [task] = ecs.describe_tasks([sibling])
    assert task["stopCode"] == "UserInitiated"
    assert task["stoppedReason"] == f"Sibling task {failed.rsplit('/', 1)[-1]} failed"


def test_failure_is_still_reported_when_the_tick_has_no_time_left_for_log_tails(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """Out of budget, the check still fails with reason and exit codes, without the log tail."""
    asset_def = ecs_task_asset("hurried", command=py("print('boom'); exit(6)"), detached=True)
    assert materialize([asset_def], resources={"ecs": ecs}, instance=instance).success
    arn = launched_arn(instance, "hurried")
    wait_until(lambda: stopped(ecs, arn), what="the task to stop")
    evaluate(ecs_detached_asset_sensor(asset_def, budget_seconds=0.0), instance, ecs, None)
    check = check_evaluation(instance, "hurried")
    assert not check.passed and "main=6" in check.description
    assert "Log tail not read" in check.description and "boom" not in check.description


def test_multi_asset_detached_launch_materialises_every_key_from_one_task(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """Both keys of a detached multi-asset are materialised when their one task ends."""
    asset_def = ecs_task_multi_asset(
        [AssetSpec("west"), AssetSpec("east")], name="coasts", command=py("1"), detached=True
    )
    assert materialize([asset_def], resources={"ecs": ecs}, instance=instance).success
    arn = launched_arn(instance, "west")
    wait_until(lambda: stopped(ecs, arn), what="the task to stop")
    evaluate(ecs_detached_asset_sensor(asset_def), instance, ecs, None)
    assert check_evaluation(instance, "west").passed and check_evaluation(instance, "east").passed
    assert latest_materialization(instance, "west")["task_arn"] == arn
    assert latest_materialization(instance, "east")["task_arn"] == arn


def stubbed_resource(monkeypatch: pytest.MonkeyPatch) -> tuple[EcsResource, Any]:
    """A resource whose ECS client is a Stubber's: Dagster rebuilds resources from their config,
    so the client is patched in rather than handed over."""
    client = boto3.client(
        "ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(EcsResource, "ecs_client", lambda self: client)
    return EcsResource(region_name="us-east-1", cluster="ecs-pipelines-demo"), client


def test_lost_detached_task_is_reported_not_dropped(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A launch ECS no longer knows is given one tick of grace, then fails the check as lost."""
    asset_def = ecs_task_asset("forgotten", command=py("1"), detached=True)
    instance.report_runless_asset_event(
        AssetObservation(
            "forgotten",
            metadata=md.detached_launch_metadata(
                links=AwsConsoleLinks("us-east-1"),
                cluster="ecs-pipelines-demo",
                task_arns=[ARN],
                log_refs={},
            ),
        )
    )
    ecs, client = stubbed_resource(monkeypatch)
    sensor_def = ecs_detached_asset_sensor(asset_def)
    with Stubber(client) as stubber:
        for _ in range(2):
            stubber.add_response(
                "describe_tasks",
                {"tasks": [], "failures": [{"arn": ARN, "reason": "MISSING"}]},
                {"cluster": "ecs-pipelines-demo", "tasks": [ARN], "include": ["TAGS"]},
            )
        first = evaluate(sensor_def, instance, ecs, None)
        assert not first.asset_events  # grace: ECS may not show a new task yet
        second = evaluate(sensor_def, instance, ecs, first.cursor)
    check = check_evaluation(instance, "forgotten")
    assert not check.passed and "ECS does not know this task" in check.description
    assert not evaluate(sensor_def, instance, ecs, second.cursor).asset_events


# --- tasks launched elsewhere ------------------------------------------------------------


@job(name="completion_report_job")
def completion_report_job() -> None:
    ecs_completion_report_op()()


@job(name="failure_report_job")
def failure_report_job() -> None:
    ecs_completion_report_op()()


def unique_started_by() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_external_tasks_request_runs_keyed_by_task_arn_with_completion_config(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """A finished task requests one run of the success or failure job: run_key = task ARN,
    run config with exit codes and stop code that the report op accepts."""
    started_by = unique_started_by()
    sensor_def = ecs_task_completion_sensor(
        "watch",
        started_by=started_by,
        job=completion_report_job,
        failure_job=failure_report_job,
    )
    first = evaluate(sensor_def, instance, ecs, None)
    [good] = ecs.run_task(command=py("print('fine')"), started_by=started_by)
    [bad] = ecs.run_task(command=py("import sys; sys.exit(5)"), started_by=started_by)
    ecs.run_task(command=py("1"), started_by=unique_started_by())  # not watched
    wait_until(lambda: stopped(ecs, good) and stopped(ecs, bad), what="both tasks to stop")
    data = evaluate(sensor_def, instance, ecs, first.cursor)
    requests = {r.run_key: r for r in data.run_requests}
    assert set(requests) == {good, bad}
    assert requests[good].job_name == "completion_report_job"
    assert requests[bad].job_name == "failure_report_job"
    config = requests[bad].run_config["ops"]["ecs_completion_report"]["config"]
    assert config["task_arn"] == bad and config["exit_codes"] == {"main": 5}
    assert config["stop_code"] == "EssentialContainerExited" and not config["succeeded"]
    ok = completion_report_job.execute_in_process(run_config=requests[good].run_config)
    assert ok.success and ok.output_for_node("ecs_completion_report")["exit_codes"] == {"main": 0}
    failing = failure_report_job.execute_in_process(
        run_config=requests[bad].run_config, raise_on_error=False
    )
    assert not failing.success
    assert not evaluate(sensor_def, instance, ecs, data.cursor).run_requests  # exactly once


def test_tasks_stopped_before_the_first_tick_are_history(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """A new sensor reports only tasks that end after its first tick (unless told otherwise)."""
    started_by = unique_started_by()
    [old] = ecs.run_task(command=py("1"), started_by=started_by)
    wait_until(lambda: stopped(ecs, old), what="the task to stop")
    kwargs: dict[str, Any] = {"started_by": started_by, "job": completion_report_job}
    assert not evaluate(ecs_task_completion_sensor("s", **kwargs), instance, ecs, None).run_requests
    everything = ecs_task_completion_sensor("s", include_stopped_before_start=True, **kwargs)
    assert [r.run_key for r in evaluate(everything, instance, ecs, None).run_requests] == [old]


def test_skipped_outcome_is_remembered_and_not_reported(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """Without a failure_job a failed task requests nothing, now or on later ticks."""
    started_by = unique_started_by()
    sensor_def = ecs_task_completion_sensor(
        "only_successes", started_by=started_by, job=completion_report_job
    )
    cursor = evaluate(sensor_def, instance, ecs, None).cursor
    [bad] = ecs.run_task(command=py("import sys; sys.exit(1)"), started_by=started_by)
    wait_until(lambda: stopped(ecs, bad), what="the task to stop")
    for _ in range(2):
        data = evaluate(sensor_def, instance, ecs, cursor)
        assert not data.run_requests
        cursor = data.cursor


def test_detached_op_tasks_are_reported_by_a_tag_filtered_sensor(
    ecs: EcsResource, instance: DagsterInstance, tmp_path: Path
) -> None:
    """A detached op returns its task ARNs while the task runs; a sensor filtered on the
    job tag reports the task once it ends, and ignores other tasks."""
    op_def = ecs_task_op("fire_and_forget", command=wait_for_marker(tmp_path / "go"), detached=True)
    sensor_def = ecs_task_completion_sensor(
        "by_tag", tags={JOB_TAG: "fire_and_forget_job"}, job=completion_report_job
    )
    cursor = evaluate(sensor_def, instance, ecs, None).cursor
    result = run_op(op_def, ecs)
    assert result.success
    [arn] = result.output_for_node("fire_and_forget")
    assert not stopped(ecs, arn)
    ecs.run_task(command=py("1"))  # another task of the cluster, without the tag
    running = evaluate(sensor_def, instance, ecs, cursor)
    assert not running.run_requests
    (tmp_path / "go").touch()
    wait_until(lambda: stopped(ecs, arn), what="the task to stop")
    data = evaluate(sensor_def, instance, ecs, running.cursor)
    assert [r.run_key for r in data.run_requests] == [arn]


def test_tracked_task_that_ecs_forgets_is_reported_lost(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task seen running that vanishes from ECS requests a failure run marked lost."""
    ecs, client = stubbed_resource(monkeypatch)
    sensor_def = ecs_task_completion_sensor(
        "lost", started_by="nightly", failure_job=failure_report_job
    )
    listing = {"cluster": "ecs-pipelines-demo", "maxResults": 100, "startedBy": "nightly"}

    def listed(status: str, arns: list[str]) -> None:
        stubber.add_response("list_tasks", {"taskArns": arns}, {**listing, "desiredStatus": status})

    with Stubber(client) as stubber:
        listed("RUNNING", [ARN])
        listed("STOPPED", [])
        first = evaluate(sensor_def, instance, ecs, None)  # running: no DescribeTasks needed
        listed("RUNNING", [])
        listed("STOPPED", [])
        stubber.add_response(
            "describe_tasks",
            {"tasks": [], "failures": [{"arn": ARN, "reason": "MISSING"}]},
            {"cluster": "ecs-pipelines-demo", "tasks": ANY, "include": ["TAGS"]},
        )
        second = evaluate(sensor_def, instance, ecs, first.cursor)
        stubber.assert_no_pending_responses()
    [request] = second.run_requests
    assert request.run_key == ARN and request.tags["ecs-pipelines/outcome"] == "lost"
    assert request.run_config["ops"]["ecs_completion_report"]["config"]["lost"] is True


def test_demo_definitions_wire_both_sensors() -> None:
    """The code location runs the detached-asset and the nightly-export sensors by default."""
    from dagster import DefaultSensorStatus

    from ecs_pipelines.demo.definitions import defs

    sensors = {s.name: s for s in defs.sensors or []}
    detached = sensors["ecs_detached_export_sensor"]
    nightly = sensors["ecs_nightly_export_sensor"]
    assert detached.minimum_interval_seconds == 10
    assert detached.default_status == nightly.default_status == DefaultSensorStatus.RUNNING
    assert nightly.job_name == "ecs_completion_report_job"


def test_detached_step_says_the_sensor_will_report_it(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """The run log of a detached launch says the task was launched and that the completion
    sensor materialises the asset when it ends (the e2e test sees the sensor named)."""
    watched = ecs_task_asset("announced", command=py("print(1)"), detached=True)
    result = materialize([watched], resources={"ecs": ecs}, instance=instance)
    text = all_log_text(instance, result.run_id)
    assert "left them running (detached)" in text
    assert "sensor ecs_detached_asset_sensor materialises announced" in text


def test_executing_the_check_alone_keeps_the_sensors_verdict(
    ecs: EcsResource, instance: DagsterInstance
) -> None:
    """ "Execute" on the ecs_task_succeeded check repeats the sensor's failing verdict instead
    of replacing it with "not evaluated"."""
    from dagster import AssetSelection

    asset_def = ecs_task_asset("judged", command=py("import sys; sys.exit(5)"), detached=True)
    assert materialize([asset_def], resources={"ecs": ecs}, instance=instance).success
    arn = launched_arn(instance, "judged")
    wait_until(lambda: stopped(ecs, arn), what="the task to stop")
    evaluate(ecs_detached_asset_sensor(asset_def), instance, ecs, None)
    sensor_verdict = check_evaluation(instance, "judged")
    assert not sensor_verdict.passed
    check_key = AssetCheckKey(AssetKey("judged"), md.ECS_TASK_CHECK)
    again = materialize(
        [asset_def],
        resources={"ecs": ecs},
        instance=instance,
        selection=AssetSelection.checks(check_key),
    )
    assert again.success
    repeated = check_evaluation(instance, "judged")
    assert not repeated.passed and repeated.description == sensor_verdict.description
    assert repeated.metadata["repeats_sensor_verdict"].value is True
