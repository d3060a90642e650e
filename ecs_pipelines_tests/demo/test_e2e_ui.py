"""End to end through a real `dagster dev`: Launchpad runs, asset materialisation, termination."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance

from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.dagster_dev import DagsterDev
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, tasks_of_run
from ecs_pipelines_tests.support.polling import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dagster_dev(
    local_ecs: LocalEcs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DagsterDev]:
    dev = DagsterDev(
        tmp_path_factory.mktemp("dagster_home"),
        env={
            "ECS_PIPELINES_TARGET": "local",
            "ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    )
    dev.start()
    try:
        yield dev
    finally:
        dev.stop()


def running_task(ecs: EcsResource, run_id: str) -> dict[str, Any] | None:
    tasks = [t for t in tasks_of_run(ecs, run_id) if t["lastStatus"] == "RUNNING"]
    return tasks[0] if tasks else None


def test_launchpad_run_of_the_report_job_succeeds(
    dagster_dev: DagsterDev, ecs: EcsResource
) -> None:
    """A run launched like the Launchpad does runs three ECS tasks, all exiting 0."""
    run_id = dagster_dev.launch("ecs_report_job")
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    tasks = tasks_of_run(ecs, run_id)
    assert len(tasks) == 3
    assert all(t["containers"][0]["exitCode"] == 0 for t in tasks)


def test_asset_materialisation_from_the_ui_succeeds(
    dagster_dev: DagsterDev, ecs: EcsResource
) -> None:
    """Materialising the Pipes asset from the UI runs its ECS task and succeeds."""
    run_id = dagster_dev.launch("__ASSET_JOB", assets=["model_scores"])
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    [task] = tasks_of_run(ecs, run_id)
    assert task["containers"][0]["exitCode"] == 0


def test_terminating_a_run_stops_its_ecs_task(dagster_dev: DagsterDev, ecs: EcsResource) -> None:
    """Terminating a run from the UI stops its running ECS task with UserInitiated."""
    run_id = dagster_dev.launch("ecs_exec_job")
    task = wait_until(lambda: running_task(ecs, run_id), timeout=120, what="the ECS task to run")
    dagster_dev.terminate(run_id)
    assert dagster_dev.wait_for_run(run_id) == "CANCELED"
    [stopped] = ecs.wait_for_tasks([task["taskArn"]], timeout_seconds=60)
    assert stopped.stop_code == "UserInitiated"
    assert run_id in (stopped.stopped_reason or "")
    assert all(t["lastStatus"] == "STOPPED" for t in tasks_of_run(ecs, run_id))


def test_detached_asset_is_materialised_by_the_sensor_after_its_task_ends(
    dagster_dev: DagsterDev, ecs: EcsResource
) -> None:
    """The detached asset's run ends while its task runs, saying which sensor will report it;
    the daemon's sensor then materialises it with the task's metadata."""
    command = python_command("sleep", "--seconds", "8")
    config = {"ops": {"detached_export": {"config": {"command": command}}}}
    run_id = dagster_dev.launch("__ASSET_JOB", assets=["detached_export"], run_config=config)
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    [task] = tasks_of_run(ecs, run_id)
    assert task["lastStatus"] != "STOPPED", "the step waited for its detached task"

    with DagsterInstance.from_config(str(dagster_dev.dagster_home)) as instance:
        said = all_log_text(instance, run_id)
        assert "sensor ecs_detached_export_sensor materialises detached_export" in said

        def materialised() -> dict[str, Any] | None:
            event = instance.get_latest_materialization_event(AssetKey("detached_export"))
            if event is None or event.asset_materialization is None:
                return None
            return {k: v.value for k, v in event.asset_materialization.metadata.items()}

        # Two sensor intervals (10 s each) after the task's end, plus the task itself.
        metadata = wait_until(materialised, timeout=60, interval=1, what="the sensor")
    assert metadata["task_arn"] == task["taskArn"]
    assert metadata["exit_codes"] == {"main": 0}
    assert metadata["launched_by_run"] == run_id
