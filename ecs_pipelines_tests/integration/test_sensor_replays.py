"""The detached-asset sensor under Dagster's own sensor daemon when a tick is lost or refused:
a replayed tick stores nothing twice, a completion the storage refuses holds back no other,
launches tracked before labels named their run and launches no run owns are all reported.

The harness (code location, daemon, SQLite and PostgreSQL homes) is in
``test_sensor_reruns``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from dagster import AssetKey, AssetObservation, AssetRecordsFilter, DagsterInstance

from ecs_pipelines.ecs.tracking import TaskGroup, TrackingState
from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.integration.test_sensor_reruns import (
    ASSET,
    EXIT_WITH_CODE,
    Home,
    code_location_env_fixture,  # noqa: F401 (the code_location_env fixture)
    daemon,
    dagster_home,
    home_fixture,  # noqa: F401 (the home fixture)
    launch,
    materialised_by,
    postgres_server_fixture,  # noqa: F401 (the postgres_server fixture)
    stored_events,
    verdicts,
)
from ecs_pipelines_tests.support.postgres import PostgresServer


def test_a_replayed_tick_stores_nothing_twice_after_a_daemon_restart(
    home: Home, ecs: EcsResource
) -> None:
    """A tick that stored its events but died before saving its cursor is evaluated again by
    a restarted daemon: the same completions are found, and nothing is stored twice."""
    with DagsterInstance.from_config(str(home.path)) as instance:
        with daemon(home) as first:
            first.tick()
            before = first.cursor()
            succeeded = launch(instance, ecs, "2026-02-01", 0)
            failed = launch(instance, ecs, "2026-02-02", 4)
            first.tick()
            stored = stored_events(instance)
            first.set_cursor(before)
        with daemon(home) as restarted:
            restarted.tick()
            assert stored_events(instance) == stored
            assert materialised_by(instance, "2026-02-01") == [succeeded]
            assert verdicts(instance, "2026-02-01") == [(succeeded, True)]
            assert verdicts(instance, "2026-02-02") == [(failed, False)]
            restarted.tick()
            assert stored_events(instance) == stored


def test_a_launch_tracked_under_an_older_label_is_reported_in_its_run(
    home: Home, ecs: EcsResource
) -> None:
    """A cursor written before group labels named the launching run still reports its
    launches, in the run their tasks are tagged with."""
    with DagsterInstance.from_config(str(home.path)) as instance, daemon(home) as sensor_daemon:
        sensor_daemon.tick()
        run_id = launch(instance, ecs, "2026-02-03", 0)
        [record] = instance.fetch_observations(AssetKey(ASSET), limit=1).records
        assert record.asset_observation is not None
        launched = md.launch_record(record.asset_observation.metadata)
        assert launched is not None
        label = json.dumps(["2026-02-03", [ASSET]], separators=(",", ":"))
        group = TaskGroup(launched[0], tuple(launched[1]), label)
        sensor_daemon.set_cursor(TrackingState((group,), after=record.storage_id).to_cursor())
        sensor_daemon.tick()
        assert materialised_by(instance, "2026-02-03") == [run_id]
        assert verdicts(instance, "2026-02-03") == [(run_id, True)]


@pytest.fixture
def postgres_home(postgres_server: PostgresServer, code_location_env: None) -> Iterator[Home]:
    with dagster_home(postgres_server) as found:
        yield found


REFUSE_EVALUATIONS = """
CREATE FUNCTION refuse_evaluation() RETURNS trigger AS $$
BEGIN
    IF NEW.partition = %s AND NEW.execution_status <> 'PLANNED' THEN
        RAISE EXCEPTION 'check evaluation refused by the test';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_evaluation BEFORE INSERT OR UPDATE ON asset_check_executions
    FOR EACH ROW EXECUTE FUNCTION refuse_evaluation();
"""


def run_sql(server: PostgresServer, database: str | None, sql: str, *args: object) -> None:
    assert database is not None
    connection = server.connect(database)
    with connection, connection.cursor() as cursor:
        cursor.execute(sql, args)
    connection.close()


def test_a_completion_the_storage_refuses_holds_back_no_other(
    postgres_home: Home, postgres_server: PostgresServer, ecs: EcsResource
) -> None:
    """When PostgreSQL refuses a completion's check evaluation, the tick still succeeds, the
    completion behind it is reported, and the refused one is completed on a later tick
    without storing its materialisation twice."""
    home = postgres_home
    with DagsterInstance.from_config(str(home.path)) as instance, daemon(home) as sensor_daemon:
        refused = launch(instance, ecs, "2026-02-04", 0)
        behind = launch(instance, ecs, "2026-02-05", 0)
        run_sql(postgres_server, home.database, REFUSE_EVALUATIONS, "2026-02-04")
        sensor_daemon.tick()
        assert materialised_by(instance, "2026-02-05") == [behind]
        assert verdicts(instance, "2026-02-05") == [(behind, True)]
        assert materialised_by(instance, "2026-02-04") == [refused]
        assert verdicts(instance, "2026-02-04") == []

        run_sql(
            postgres_server,
            home.database,
            "DROP TRIGGER refuse_evaluation ON asset_check_executions",
        )
        sensor_daemon.tick()
        assert materialised_by(instance, "2026-02-04") == [refused]
        assert verdicts(instance, "2026-02-04") == [(refused, True)]


def record_runless_launch(instance: DagsterInstance, ecs: EcsResource, partition: str) -> str:
    """A launch no run owns: a task started outside Dagster, its launch record reported."""
    [arn] = ecs.run_task(command=EXIT_WITH_CODE, environment={"EXIT_CODE": "0"})
    metadata = md.detached_launch_metadata(
        links=ecs.links(), cluster=ecs.cluster, task_arns=[arn], log_refs={}
    )
    instance.report_runless_asset_event(
        AssetObservation(ASSET, partition=partition, metadata=metadata)
    )
    ecs.wait_for_tasks([arn], timeout_seconds=60)
    return arn


def test_launches_no_run_owns_are_all_reported(home: Home, ecs: EcsResource) -> None:
    """Two runless launches of one partition are both materialised; Dagster holds one runless
    check evaluation per partition, so the second verdict is left on the asset instead."""
    with DagsterInstance.from_config(str(home.path)) as instance, daemon(home) as sensor_daemon:
        first = record_runless_launch(instance, ecs, "2026-02-06")
        sensor_daemon.tick()
        second = record_runless_launch(instance, ecs, "2026-02-06")
        sensor_daemon.tick()
        assert materialised_by(instance, "2026-02-06") == ["", ""]
        assert verdicts(instance, "2026-02-06") == [("", True)]
        observations = instance.fetch_observations(
            AssetRecordsFilter(asset_key=AssetKey(ASSET), asset_partitions=["2026-02-06"]),
            limit=10,
        ).records
        reports = [
            r.asset_observation.metadata
            for r in observations
            if r.asset_observation and "passed" in r.asset_observation.metadata
        ]
        assert [(m["task_arn"].value, m["passed"].value) for m in reports] == [(second, True)]
        counts = stored_events(instance)
        sensor_daemon.tick()
        assert stored_events(instance) == counts
        assert first != second
