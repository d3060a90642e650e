"""deploy/dagster.yaml runs the code location end to end on a real PostgreSQL.

The test starts Debian's PostgreSQL server on a free loopback port, loads the shipped instance
file with only two changes (the ECS run launcher swapped for the default one, since there is
no AWS here, and the server's port), queues ``ecs_report_job`` through the shipped queued run
coordinator, launches it through the code location's gRPC server and lets the run worker run
its three ECS tasks on the embedded ECS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._config import process_config, resolve_to_config_type
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.remote_representation.grpc_server_registry import GrpcServerRegistry
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)
from dagster._grpc.constants import GrpcServerCommand
from dagster_aws.ecs import EcsRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.postgres import (
    DB_NAME,
    DB_PASSWORD,
    DB_USER,
    PostgresServer,
    postgres_fixture,  # noqa: F401 (the ``postgres`` fixture)
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "dagster.yaml"
STEPS = ("extract", "transform", "report")


def shipped_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(SHIPPED.read_text())
    return config


def deploy_config(port: int) -> dict[str, Any]:
    """The shipped file, with the default run launcher and the test server's port."""
    config = shipped_config()
    config["run_launcher"] = {"module": "dagster.core.launcher", "class": "DefaultRunLauncher"}
    # Resuming a run needs a launcher that can start a replacement worker: EcsRunLauncher can,
    # the default launcher cannot, and the instance refuses resume attempts without it.
    config["run_monitoring"]["max_resume_run_attempts"] = 0
    config["storage"]["postgres"]["postgres_db"]["port"] = port
    return config


@pytest.fixture(scope="module")
def deployed(
    postgres: PostgresServer, local_ecs: LocalEcs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DagsterInstance]:
    """A DAGSTER_HOME with the shipped instance file, and the environment it reads."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(yaml.safe_dump(deploy_config(postgres.port)))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home))
        env.setenv("DAGSTER_PG_HOST", "127.0.0.1")
        env.setenv("DAGSTER_PG_USER", DB_USER)
        env.setenv("DAGSTER_PG_PASSWORD", DB_PASSWORD)
        env.setenv("DAGSTER_PG_DB", DB_NAME)
        # The code server and run worker processes inherit these: the code location's
        # resource points at the embedded ECS of this test session.
        env.setenv("ECS_PIPELINES_TARGET", "local")
        env.setenv("ECS_PIPELINES_ENDPOINT_URL", local_ecs.endpoint_url)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        instance = DagsterInstance.from_config(str(home))
        try:
            yield instance
        finally:
            instance.dispose()


def test_shipped_run_launcher_config_is_valid_for_the_ecs_run_launcher() -> None:
    """The run_launcher section the test swaps out is valid EcsRunLauncher config."""
    section = shipped_config()["run_launcher"]
    assert (section["module"], section["class"]) == ("dagster_aws.ecs", "EcsRunLauncher")
    result = process_config(resolve_to_config_type(EcsRunLauncher.config_type()), section["config"])
    assert result.success, result.errors
    assert result.value["use_current_ecs_task_config"] is True
    assert result.value["run_resources"] == {"cpu": "512", "memory": "1024"}
    # The shipped run monitoring resumes runs, which this launcher supports.
    assert shipped_config()["run_monitoring"]["max_resume_run_attempts"] > 0
    assert EcsRunLauncher.supports_resume_run.fget(None)  # type: ignore[attr-defined]


def test_instance_keeps_the_shipped_settings(deployed: DagsterInstance) -> None:
    """Storage is Postgres; the queue, its limits, monitoring and retries are as shipped."""
    shipped = shipped_config()
    assert isinstance(deployed.run_storage, PostgresRunStorage)
    assert isinstance(deployed.event_log_storage, PostgresEventLogStorage)
    assert isinstance(deployed.run_launcher, DefaultRunLauncher)
    coordinator = deployed.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    queue = shipped["run_coordinator"]["config"]
    settings = coordinator.get_run_queue_config()
    assert settings.max_concurrent_runs == queue["max_concurrent_runs"]
    assert list(settings.tag_concurrency_limits) == queue["tag_concurrency_limits"]
    assert coordinator.dequeue_interval_seconds == queue["dequeue_interval_seconds"]
    assert deployed.run_monitoring_enabled
    monitoring = shipped["run_monitoring"]
    assert deployed.run_monitoring_start_timeout_seconds == monitoring["start_timeout_seconds"]
    assert deployed.run_monitoring_poll_interval_seconds == monitoring["poll_interval_seconds"]
    assert deployed.run_retries_enabled and deployed.run_retries_max_retries == 1
    assert not deployed.run_retries_retry_on_asset_or_op_failure


def test_queued_report_job_runs_end_to_end_with_postgres_storage(
    deployed: DagsterInstance, postgres: PostgresServer, local_ecs: LocalEcs
) -> None:
    """A queued ecs_report_job run succeeds, stored in PostgreSQL, its three ECS tasks done."""
    from ecs_pipelines.demo.definitions import defs

    target = WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])
    # The code server is waited for on exit, so it is gone before the database stops.
    servers = GrpcServerRegistry(
        instance_ref=deployed.get_ref(),
        server_command=GrpcServerCommand.API_GRPC,
        heartbeat_ttl=30,
        startup_timeout=120,
        wait_for_processes_on_shutdown=True,
    )
    with (
        servers,
        WorkspaceProcessContext(deployed, target, grpc_server_registry=servers) as process_context,
    ):
        workspace = process_context.create_request_context()
        location = workspace.get_code_location("ecs_pipelines")
        remote_job = location.get_repository("__repository__").get_full_job("ecs_report_job")
        run = deployed.create_run_for_job(
            job_def=defs.get_job_def("ecs_report_job"),
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
        )
        deployed.submit_run(run.run_id, workspace)
        assert deployed.get_run_by_id(run.run_id).status == DagsterRunStatus.QUEUED

        # One pass of the daemon's queue: the run is dequeued within the shipped limits and
        # handed to the run launcher, whose run worker executes it in its own process.
        list(QueuedRunCoordinatorDaemon(interval_seconds=1).run_iteration(process_context))
        finished = wait_until(
            lambda: _finished(deployed, run.run_id),
            timeout=180,
            interval=0.5,
            what=f"run {run.run_id} to finish",
        )
    assert finished.status == DagsterRunStatus.SUCCESS, _failure_text(deployed, run.run_id)

    step_successes = deployed.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)
    assert sorted(record.step_key for record in step_successes) == sorted(STEPS)
    # Straight from PostgreSQL: the run row and its event log.
    [(status,)] = postgres.query("SELECT status FROM runs WHERE run_id = %s", run.run_id)
    assert status == "SUCCESS"
    [(events,)] = postgres.query("SELECT count(*) FROM event_logs WHERE run_id = %s", run.run_id)
    assert events >= len(STEPS) * 3

    ecs = make_resource(local_ecs)
    client = ecs.task_client()
    arns = list(
        client.list_task_arns(
            ecs.cluster, started_by=f"dagster/{run.run_id}", desired_status="STOPPED"
        )
    )
    results = ecs.wait_for_tasks(arns, timeout_seconds=30)
    assert len(results) == len(STEPS) and all(result.succeeded for result in results)


def _finished(instance: DagsterInstance, run_id: str) -> Any:
    run = instance.get_run_by_id(run_id)
    return run if run is not None and run.is_finished else None


def _failure_text(instance: DagsterInstance, run_id: str) -> str:
    return "\n".join(
        str(record.user_message or record.dagster_event) for record in instance.all_logs(run_id)
    )
