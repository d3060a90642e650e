"""The detached-asset sensor run by Dagster's own sensor daemon, on SQLite and on PostgreSQL:
a partition materialised again (a rerun, a backfill) is reported again.

Each tick goes through the daemon's code path (``support.sensor_daemon``). The harness here
(this module's ``defs`` as the code location, SQLite and PostgreSQL homes, one daemon per
simulated process) serves ``test_sensor_replays`` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    Definitions,
    EventRecordsFilter,
    instance_for_test,
    materialize,
)
from dagster._core.event_api import PartitionKeyFilter

from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.postgres import PostgresServer, running_postgres
from ecs_pipelines_tests.support.sensor_daemon import (
    ModuleLocation,
    SensorDaemon,
    daemon_resource,
    point_daemon_at,
    sensor_daemon,
)

LOCATION = "sensor_reruns"
ASSET = "rerun_export"
CHECK_KEY = AssetCheckKey(AssetKey(ASSET), md.ECS_TASK_CHECK)
EXIT_WITH_CODE = ["python", "-c", "import os, sys; sys.exit(int(os.environ['EXIT_CODE']))"]

rerun_export = ecs_task_asset(
    ASSET,
    command=EXIT_WITH_CODE,
    partitions_def=DailyPartitionsDefinition(start_date="2026-01-01"),
    detached=True,
)
# One second: the daemon's shortest interval (0 means its 30 s default).
rerun_sensor = ecs_detached_asset_sensor(
    rerun_export, minimum_interval_seconds=1, default_status=DefaultSensorStatus.RUNNING
)
# What the daemon loads: the code location of these tests, its resource on the embedded ECS.
defs = Definitions(
    assets=[rerun_export],
    sensors=[rerun_sensor],
    resources={"ecs": daemon_resource()},
)


# This module's ``defs`` as the code location the daemon runs.
THIS_MODULE = ModuleLocation(__name__, LOCATION)


@dataclass
class Home:
    """A DAGSTER_HOME, and the PostgreSQL database behind it (None: SQLite)."""

    path: Path
    database: str | None = None


@contextmanager
def dagster_home(postgres: PostgresServer | None) -> Iterator[Home]:
    overrides: dict[str, Any] = {}
    database = postgres.new_database() if postgres else None
    if postgres and database:
        overrides["storage"] = postgres.dagster_storage(database)
    with instance_for_test(overrides=overrides) as instance:
        yield Home(Path(instance.root_directory), database)


# Fixtures are named apart from their functions so another module can import them.
@pytest.fixture(scope="module", name="postgres_server")
def postgres_server_fixture() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(name="code_location_env")
def code_location_env_fixture(local_ecs: LocalEcs, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code location's resource reads the embedded ECS's address from the environment."""
    point_daemon_at(monkeypatch, local_ecs)


@pytest.fixture(name="home", params=["sqlite", "postgres"])
def home_fixture(request: pytest.FixtureRequest, code_location_env: None) -> Iterator[Home]:
    """A DAGSTER_HOME on SQLite, or on a database of its own on a real PostgreSQL server."""
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    with dagster_home(server) as found:
        yield found


@contextmanager
def daemon(home: Home) -> Iterator[SensorDaemon]:
    with sensor_daemon(home.path, THIS_MODULE, rerun_sensor.name) as found:
        yield found


def launch(instance: DagsterInstance, ecs: EcsResource, partition: str, exit_code: int) -> str:
    """Materialises ``partition`` (a detached step: it returns while its task runs), waits for
    the task to end, and returns the launching run's id."""
    config = {"ops": {ASSET: {"config": {"environment": {"EXIT_CODE": str(exit_code)}}}}}
    result = materialize(
        [rerun_export],
        partition_key=partition,
        resources={"ecs": ecs},
        instance=instance,
        run_config=config,
    )
    assert result.success
    [observation] = result.asset_observations_for_node(ASSET)
    launched = md.launch_record(observation.metadata)
    assert launched is not None
    ecs.wait_for_tasks(launched[1], timeout_seconds=60)
    return result.run_id


def materialised_by(instance: DagsterInstance, partition: str) -> list[str]:
    """The run each materialisation of ``partition`` is stored in, oldest first."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(ASSET), asset_partitions=[partition]),
        limit=100,
        ascending=True,
    ).records
    return [record.run_id for record in records]


def verdicts(instance: DagsterInstance, partition: str) -> list[tuple[str, bool]]:
    """(run, passed) of each evaluation of the check for ``partition``, oldest first."""
    history = instance.event_log_storage.get_asset_check_execution_history(
        CHECK_KEY, limit=100, partition_filter=PartitionKeyFilter(key=partition)
    )
    evaluated = [r for r in reversed(history) if isinstance(r.evaluation, AssetCheckEvaluation)]
    return [(r.run_id, r.evaluation.passed) for r in evaluated]  # type: ignore[union-attr]


def stored_events(instance: DagsterInstance) -> dict[str, int]:
    """How many materialisations, observations and check evaluations the event log holds."""
    kinds = (
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_OBSERVATION,
        DagsterEventType.ASSET_CHECK_EVALUATION,
    )
    return {
        kind.value: len(instance.get_event_records(EventRecordsFilter(kind), limit=1000))
        for kind in kinds
    }


def test_a_partition_materialised_again_is_reported_again(home: Home, ecs: EcsResource) -> None:
    """A second and third completion of one partition are stored (materialisation, check),
    the newest verdict is the check's latest, and the completion queued behind is reported."""
    with DagsterInstance.from_config(str(home.path)) as instance, daemon(home) as sensor_daemon:
        first = launch(instance, ecs, "2026-01-05", 0)
        sensor_daemon.tick()
        assert materialised_by(instance, "2026-01-05") == [first]

        rerun = launch(instance, ecs, "2026-01-05", 0)
        behind = launch(instance, ecs, "2026-01-06", 0)
        sensor_daemon.tick()
        assert materialised_by(instance, "2026-01-05") == [first, rerun]
        assert verdicts(instance, "2026-01-05") == [(first, True), (rerun, True)]
        assert materialised_by(instance, "2026-01-06") == [behind]

        failing = launch(instance, ecs, "2026-01-05", 3)
        sensor_daemon.tick()
        assert materialised_by(instance, "2026-01-05") == [first, rerun]
        assert verdicts(instance, "2026-01-05")[-1] == (failing, False)
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [CHECK_KEY], partition_filter=PartitionKeyFilter(key="2026-01-05")
        )[CHECK_KEY]
        assert latest.run_id == failing
        assert latest.evaluation is not None and not latest.evaluation.passed

        counts = stored_events(instance)
        sensor_daemon.tick()
        assert stored_events(instance) == counts  # nothing is stored twice


def test_the_check_evaluates_the_materialisation_of_its_own_run(
    home: Home, ecs: EcsResource
) -> None:
    """The materialisation and the check evaluation go into the launching run, the evaluation
    fills the check execution that run planned and targets that materialisation: Dagster sees
    the check as current for the partition."""
    with DagsterInstance.from_config(str(home.path)) as instance, daemon(home) as sensor_daemon:
        run_id = launch(instance, ecs, "2026-01-07", 0)
        [planned] = instance.event_log_storage.get_asset_check_execution_history(
            CHECK_KEY, limit=10, partition_filter=PartitionKeyFilter(key="2026-01-07")
        )
        sensor_daemon.tick()
        [materialisation] = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey(ASSET), asset_partitions=["2026-01-07"]),
            limit=10,
        ).records
        assert materialisation.run_id == run_id
        [execution] = instance.event_log_storage.get_asset_check_execution_history(
            CHECK_KEY, limit=10, partition_filter=PartitionKeyFilter(key="2026-01-07")
        )
        assert (execution.id, execution.run_id) == (planned.id, run_id)
        assert execution.evaluation is not None and execution.evaluation.passed
        target = execution.evaluation.target_materialization_data
        assert target is not None and target.storage_id == materialisation.storage_id
        [info] = instance.event_log_storage.get_asset_check_partition_info(
            [CHECK_KEY], partition_keys=["2026-01-07"]
        )
        assert info.is_current
        logged = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        assert [record.dagster_event.partition for record in logged] == ["2026-01-07"]  # type: ignore[union-attr]
