"""deploy/dagster.yaml, as shipped, runs the code location on a real PostgreSQL with
EcsRunLauncher on the embedded ECS, laid out as docs/deploy.md lays it out.

The instance file is copied into DAGSTER_HOME with one line changed: run monitoring polls
every 5 s instead of the shipped 30 s, so that a lost worker is replaced within seconds (the
test of the file loads it unmodified). The environment provides the rest (the embedded ECS's
endpoint, the PostgreSQL host and port). The code location is an ECS task
serving gRPC; the daemon is an ECS task running `dagster-daemon run` against it, so
``use_current_ecs_task_config: true`` is answered by the daemon's own task metadata endpoint.
The daemon dequeues runs through the shipped queued coordinator and starts one run-worker
task per run beside itself, monitors the workers and retries lost runs. The task definitions
are registered as docs/deploy.md spells them, the PostgreSQL password a task-definition secret
from Secrets Manager. This process plays the webserver: it creates and queues runs.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.storage.dagster_run import DagsterRun, RunsFilter
from dagster._core.storage.tags import PARENT_RUN_ID_TAG
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster_aws.ecs import EcsRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from ecs_pipelines.demo.definitions import defs
from ecs_pipelines.demo.run_workers import (
    RUN_WORKER_CONTAINER,
    RUN_WORKER_FAMILY,
    TASK_DEFINITION_ENV,
    aws_environment,
)
from ecs_pipelines.demo.seed import DEMO_LOG_GROUP
from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import local_client, make_resource
from ecs_pipelines_tests.support.dagster_helpers import tasks_of_run
from ecs_pipelines_tests.support.deployment import (
    PASSWORD_VARIABLE,
    TaskDefinitions,
    kill_run_worker,
    logged_messages,
    network_of,
    register_deployment,
    serving,
    start_service,
    write_workspace,
)
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.postgres import (
    DB_NAME,
    DB_PASSWORD,
    DB_USER,
    PostgresServer,
    free_port,
    postgres_fixture,  # noqa: F401 (the ``postgres`` fixture)
)

pytestmark = pytest.mark.long
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "dagster.yaml"
STEPS = ("extract", "transform", "report")
SHIPPED_POLL, DEPLOYED_POLL = "  poll_interval_seconds: 30\n", "  poll_interval_seconds: 5\n"


def deployed_file() -> str:
    """The shipped instance file with run monitoring's poll interval shortened for the test."""
    shipped = SHIPPED.read_text()
    assert shipped.count(SHIPPED_POLL) == 1, "deploy/dagster.yaml's poll interval changed"
    return shipped.replace(SHIPPED_POLL, DEPLOYED_POLL)


@dataclass
class Deployment:
    """The running deployment: the instance (as the webserver opens it), the daemon's task."""

    home: Path
    instance: DagsterInstance
    process_context: WorkspaceProcessContext
    ecs: EcsResource
    daemon: dict[str, Any]
    task_definitions: TaskDefinitions

    def submit(self, job_name: str, run_config: dict[str, Any] | None = None) -> str:
        """Creates and queues a run, as the webserver's Launchpad does; returns its id."""
        workspace = self.process_context.create_request_context()
        location = workspace.get_code_location("ecs_pipelines")
        remote_job = location.get_repository("__repository__").get_full_job(job_name)
        run = self.instance.create_run_for_job(
            job_def=defs.get_job_def(job_name),
            run_config=run_config,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
        )
        self.instance.submit_run(run.run_id, workspace)
        return run.run_id

    def wait_for_run(self, run_id: str, timeout: float = 240) -> DagsterRun:
        def finished() -> DagsterRun | None:
            run = self.instance.get_run_by_id(run_id)
            return run if run is not None and run.is_finished else None

        return wait_until(finished, timeout=timeout, interval=0.5, what=f"run {run_id} to end")

    def run_workers(self, run_id: str) -> list[dict[str, Any]]:
        """Every run-worker task the run had, oldest first (tagged by EcsRunLauncher)."""
        client = self.ecs.task_client()
        arns = [
            arn
            for status in ("RUNNING", "STOPPED")
            for arn in client.list_task_arns(
                self.ecs.cluster, family=RUN_WORKER_FAMILY, desired_status=status
            )
        ]
        tasks = client.describe(self.ecs.cluster, arns).tasks.values()
        mine = [t for t in tasks if {"key": "dagster/run_id", "value": run_id} in t.get("tags", [])]
        return sorted(mine, key=lambda t: t["createdAt"])

    def daemon_log(self, lines: int = 60) -> str:
        """The daemon task's last log lines, for failure messages."""
        task_id = self.daemon["taskArn"].rsplit("/", 1)[-1]
        events = self.ecs.logs_client().get_log_events(
            logGroupName=DEMO_LOG_GROUP,
            logStreamName=f"ecs-pipelines-daemon/daemon/{task_id}",
            limit=lines,
            startFromHead=False,
        )["events"]
        return "\n".join(event["message"] for event in events)

    def failure_text(self, run_id: str) -> str:
        return "\n".join(
            str(record.user_message or record.dagster_event)
            for record in self.instance.all_logs(run_id)
        )


@pytest.fixture(scope="module")
def deployment(
    postgres: PostgresServer, local_ecs: LocalEcs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(deployed_file())
    ecs = make_resource(local_ecs)
    secrets = local_client(local_ecs, "secretsmanager")
    password_arn = secrets.create_secret(
        Name=f"ecs-pipelines/postgres-{uuid.uuid4().hex[:8]}", SecretString=DB_PASSWORD
    )["ARN"]
    # docs/deploy.md, "Environment and secrets": what every Dagster task gets, but the password.
    environment = {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_USER": DB_USER,
        "DAGSTER_PG_DB": DB_NAME,
    }
    code_port = free_port()
    workspace = write_workspace(home / "deploy-workspace.yaml", code_port)
    definitions = register_deployment(
        ecs, home, environment, password_arn, workspace=workspace, code_port=code_port
    )
    ecs_client = local_client(local_ecs, "ecs")
    services: list[dict[str, Any]] = []
    try:
        # The code location first: the daemon loads its workspace from it at start.
        services.append(start_service(ecs_client, ecs.cluster, definitions.code))
        wait_until(lambda: serving(code_port), timeout=120, what="the code location to serve")
        services.append(start_service(ecs_client, ecs.cluster, definitions.daemon))
        with pytest.MonkeyPatch.context() as env:
            # This process opens the instance and the workspace as the webserver would (the
            # Dagster tasks sign with their task role's credentials; this process with the
            # server's own keys, as a webserver outside the cluster would with its own).
            for name, value in {
                **aws_environment(local_ecs.endpoint_url),
                **local_ecs.credentials.environment(),
                **environment,
                PASSWORD_VARIABLE: DB_PASSWORD,
                TASK_DEFINITION_ENV: definitions.run_worker,
                "DAGSTER_HOME": str(home),
            }.items():
                env.setenv(name, value)
            instance = DagsterInstance.from_config(str(home))
            target = WorkspaceFileTarget(paths=[str(workspace)])
            with WorkspaceProcessContext(instance, target) as context:
                yield Deployment(home, instance, context, ecs, services[-1], definitions)
            instance.dispose()
    finally:
        # Before the database stops: stop every Dagster task and wait for them.
        arns = [service["taskArn"] for service in services]
        for arn in arns:
            ecs.stop_task(arn, reason="deployment test finished")
        ecs.wait_for_tasks(arns, timeout_seconds=60)


def test_shipped_file_is_loaded_as_shipped(deployment: Deployment, tmp_path: Path) -> None:
    """The unmodified file gives EcsRunLauncher (current task's config), PostgreSQL storage,
    the queue with its limits, run monitoring with resume and run retries, as written."""
    shipped = yaml.safe_load(SHIPPED.read_text())
    shutil.copyfile(SHIPPED, tmp_path / "dagster.yaml")
    # In the deployment's environment (PostgreSQL, endpoint, run-worker task definition).
    instance = DagsterInstance.from_config(str(tmp_path))
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    launcher = instance.run_launcher
    assert isinstance(launcher, EcsRunLauncher)
    assert launcher.use_current_ecs_task_config
    assert launcher.task_definition == deployment.task_definitions.run_worker
    assert launcher.container_name == RUN_WORKER_CONTAINER
    coordinator = instance.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    queue = shipped["run_coordinator"]["config"]
    settings = coordinator.get_run_queue_config()
    assert settings.max_concurrent_runs == queue["max_concurrent_runs"]
    assert list(settings.tag_concurrency_limits) == queue["tag_concurrency_limits"]
    assert coordinator.dequeue_interval_seconds == queue["dequeue_interval_seconds"]
    monitoring = shipped["run_monitoring"]
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_max_resume_run_attempts == monitoring["max_resume_run_attempts"]
    assert instance.run_monitoring_poll_interval_seconds == monitoring["poll_interval_seconds"]
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
    assert not instance.run_retries_retry_on_asset_or_op_failure
    instance.dispose()
    # The deployment runs the same file but for run monitoring's poll interval.
    deployed = yaml.safe_load((deployment.home / "dagster.yaml").read_text())
    assert deployed == {**shipped, "run_monitoring": {**monitoring, "poll_interval_seconds": 5}}
    assert deployment.instance.run_monitoring_poll_interval_seconds == 5


def test_queued_run_runs_in_a_run_worker_task_beside_the_daemon(
    deployment: Deployment, postgres: PostgresServer
) -> None:
    """A queued ecs_report_job run is started by the daemon task in a run-worker task in the
    daemon's cluster and subnet, stored in PostgreSQL, its three step tasks done; the
    password never shows in a task, a task definition or a log."""
    run_id = deployment.submit("ecs_report_job")
    run = deployment.wait_for_run(run_id)
    assert run.status == DagsterRunStatus.SUCCESS, deployment.failure_text(run_id)

    [worker] = deployment.run_workers(run_id)
    daemon = deployment.daemon
    assert run.tags["ecs/task_arn"] == worker["taskArn"]
    assert worker["clusterArn"] == daemon["clusterArn"]
    assert network_of(worker) == network_of(daemon)
    assert worker["overrides"]["cpu"] == "512" and worker["overrides"]["memory"] == "1024"
    # ECS refuses overrides past 8192 characters; the worker's command carries the instance's
    # settings (the instance file), so they must leave room for it.
    overrides = len(json.dumps(worker["overrides"]))
    assert overrides < 8192 * 0.75, overrides
    assert {"key": "ecs_pipelines/role", "value": "run-worker"} in worker["tags"]
    [ended] = deployment.ecs.wait_for_tasks([worker["taskArn"]], timeout_seconds=60)
    assert ended.exit_codes == {RUN_WORKER_CONTAINER: 0}

    steps = deployment.instance.all_logs(run_id, of_type=DagsterEventType.STEP_SUCCESS)
    assert sorted(record.step_key for record in steps) == sorted(STEPS)
    [(status,)] = postgres.query("SELECT status FROM runs WHERE run_id = %s", run_id)
    assert status == "SUCCESS"
    tasks = tasks_of_run(deployment.ecs, run_id)
    assert len(tasks) == len(STEPS) and all(t["containers"][0]["exitCode"] == 0 for t in tasks)

    shown = json.dumps([daemon, worker, *tasks], default=str)
    client = deployment.ecs.task_client()
    for arn in dataclasses.astuple(deployment.task_definitions):
        shown += json.dumps(client.task_definition(arn), default=str)
    logged = logged_messages(deployment.ecs.logs_client(), DEMO_LOG_GROUP)
    assert deployment.daemon_log(), "the daemon's output reaches its log stream"
    assert DB_PASSWORD not in shown + "\n".join(logged)


def test_lost_run_workers_are_resumed_and_then_retried(deployment: Deployment) -> None:
    """A run worker SIGKILLed mid-step is replaced by run monitoring and the new worker
    reattaches to the step's task (one task in all); a run whose workers are lost more often
    than max_resume_run_attempts fails, and run retries start a new run that succeeds."""
    config = {
        "ops": {"exec_demo": {"config": {"command": python_command("sleep", "--seconds", "8")}}}
    }
    resumed = deployment.submit("ecs_exec_job", run_config=config)
    lost = deployment.submit("ecs_exec_job", run_config=config)
    attempts = deployment.instance.run_monitoring_max_resume_run_attempts
    wait_until(
        lambda: any(t["lastStatus"] == "RUNNING" for t in tasks_of_run(deployment.ecs, resumed)),
        timeout=120,
        what="the step task to run",
    )
    kill_run_worker(resumed)
    # Lost once its run started: a worker lost before that is a start failure, which run
    # monitoring bounds with start_timeout_seconds instead of resuming.
    wait_until(
        lambda: deployment.instance.get_run_by_id(lost).status == DagsterRunStatus.STARTED,
        timeout=120,
        what=f"run {lost} to start",
    )
    for _ in range(attempts + 1):
        kill_run_worker(lost)
        # The next kill waits for the worker that monitoring starts in its place.
        replaced = len(deployment.run_workers(lost))
        try:
            wait_until(
                lambda replaced=replaced: (
                    len(deployment.run_workers(lost)) > replaced
                    or deployment.instance.get_run_by_id(lost).is_finished
                ),
                timeout=180,
                what="run monitoring to replace the lost worker",
            )
        except AssertionError as timeout:
            said = deployment.daemon_log()
            raise AssertionError(f"{timeout}; the daemon said:\n{said}") from None

    run = deployment.wait_for_run(resumed)
    assert run.status == DagsterRunStatus.SUCCESS, deployment.failure_text(resumed)
    assert len(deployment.run_workers(resumed)) == 2
    [task] = tasks_of_run(deployment.ecs, resumed)
    assert task["containers"][0]["exitCode"] == 0
    assert deployment.instance.count_resume_run_attempts(resumed) == 1

    assert deployment.wait_for_run(lost).status == DagsterRunStatus.FAILURE
    assert len(deployment.run_workers(lost)) == attempts + 1
    [retry] = wait_until(
        lambda: deployment.instance.get_runs(RunsFilter(tags={PARENT_RUN_ID_TAG: lost})),
        timeout=120,
        what=f"the retry of run {lost}",
    )
    finished = deployment.wait_for_run(retry.run_id)
    assert finished.status == DagsterRunStatus.SUCCESS, deployment.failure_text(retry.run_id)
    [task] = tasks_of_run(deployment.ecs, retry.run_id)
    assert task["containers"][0]["exitCode"] == 0
