"""The detached-asset sensor run by Dagster's own sensor daemon, on SQLite and on PostgreSQL:
a partition materialised again (a rerun, a backfill) is reported again.

Each tick goes through the daemon's code path (``execute_sensor_iteration``): it evaluates the
sensor in a code location, stores what the tick produced and saves the cursor, or, when the
tick fails, keeps the old one. The harness here (a code location made of this module's
``defs``, one ``Daemon`` per simulated daemon process) serves ``test_sensor_replays`` too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
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
    EnvVar,
    EventRecordsFilter,
    instance_for_test,
    materialize,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.remote_representation.external import RemoteSensor
from dagster._core.scheduler.instigation import (
    InstigatorTick,
    SensorInstigatorData,
    TickStatus,
)
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceLoadTarget
from dagster._daemon.sensor import execute_sensor_iteration

from ecs_pipelines.integration import metadata as md
from ecs_pipelines.integration.assets import ecs_task_asset
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import DEMO_CLUSTER, LocalEcs
from ecs_pipelines.local.seed import DEMO_SECURITY_GROUP, DEMO_SUBNET
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.postgres import PostgresServer, running_postgres

ENDPOINT_ENV = "ECS_PIPELINES_SENSOR_TEST_ENDPOINT_URL"
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
    resources={
        "ecs": EcsResource(
            region_name="us-east-1",
            endpoint_url=EnvVar(ENDPOINT_ENV),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            cluster=DEMO_CLUSTER,
            task_definition="ecs-pipelines-python",
            container_name="main",
            launch_type="FARGATE",
            subnets=[DEMO_SUBNET],
            security_groups=[DEMO_SECURITY_GROUP],
        )
    },
)


class ThisModule(WorkspaceLoadTarget):
    """This module's ``defs`` as an in-process code location."""

    def create_origins(self) -> Sequence[InProcessCodeLocationOrigin]:
        target = LoadableTargetOrigin(
            executable_path=sys.executable, module_name=__name__, attribute="defs"
        )
        return [InProcessCodeLocationOrigin(target, location_name=LOCATION)]


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
    monkeypatch.setenv(ENDPOINT_ENV, local_ecs.endpoint_url)


@pytest.fixture(name="home", params=["sqlite", "postgres"])
def home_fixture(request: pytest.FixtureRequest, code_location_env: None) -> Iterator[Home]:
    """A DAGSTER_HOME on SQLite, or on a database of its own on a real PostgreSQL server."""
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    with dagster_home(server) as found:
        yield found


class Daemon:
    """A sensor daemon process: its own instance and workspace; ``tick()`` is one iteration."""

    def __init__(self, instance: DagsterInstance, workspace: WorkspaceProcessContext) -> None:
        self.instance = instance
        self.workspace = workspace
        location = workspace.create_request_context().get_code_location(LOCATION)
        repository = location.get_repository("__repository__")
        self.sensor: RemoteSensor = repository.get_sensor(rerun_sensor.name)

    def tick(self) -> InstigatorTick:
        """Runs daemon iterations until one evaluates the sensor (they wait out its interval)
        and returns that tick; a failed tick fails the test."""
        before = len(self.ticks())

        def iterate() -> InstigatorTick | None:
            logger = logging.getLogger("SensorDaemon")
            list(execute_sensor_iteration(self.workspace, logger, None, None))
            ticks = self.ticks()
            return ticks[0] if len(ticks) > before else None

        tick = wait_until(iterate, timeout=30, interval=0.1, what="a sensor tick")
        assert tick.status != TickStatus.FAILURE, tick.error
        return tick

    def ticks(self) -> Sequence[InstigatorTick]:
        origin, selector = self.sensor.get_remote_origin_id(), self.sensor.selector_id
        return self.instance.get_ticks(origin, selector, limit=1000)

    def state(self) -> tuple[Any, SensorInstigatorData]:
        origin, selector = self.sensor.get_remote_origin_id(), self.sensor.selector_id
        state = self.instance.get_instigator_state(origin, selector)
        assert state is not None and isinstance(state.instigator_data, SensorInstigatorData)
        return state, state.instigator_data

    def cursor(self) -> str | None:
        return self.state()[1].cursor

    def set_cursor(self, cursor: str | None) -> None:
        """As if the last tick died after storing its events and before saving its cursor."""
        state, data = self.state()
        self.instance.update_instigator_state(state.with_data(data._replace(cursor=cursor)))


@contextmanager
def daemon(home: Home) -> Iterator[Daemon]:
    with (
        DagsterInstance.from_config(str(home.path)) as instance,
        create_test_daemon_workspace_context(ThisModule(), instance) as workspace,
    ):
        yield Daemon(instance, workspace)


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
