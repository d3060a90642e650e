"""`ECS_PIPELINES_RUN_LAUNCHER=default make ui`: Dagster's default launcher still runs the demo
job end to end, its run workers local processes and its steps' tasks on the embedded ECS."""

from __future__ import annotations

import pytest

from ecs_pipelines.demo.ui_instance import DEFAULT_LAUNCHER, instance_text
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.support.dagster_dev import DagsterDev, dagster_dev_fixture
from ecs_pipelines_tests.support.dagster_helpers import tasks_of_run

pytestmark = pytest.mark.e2e


dagster_dev = dagster_dev_fixture("default")


def test_the_default_launcher_runs_the_report_job(
    dagster_dev: DagsterDev, ecs: EcsResource
) -> None:
    """With the variable, the instance has the default launcher and a Launchpad run of
    ecs_report_job succeeds without a run-worker task, its three step tasks exiting 0."""
    assert (dagster_dev.dagster_home / "dagster.yaml").read_text() == instance_text(
        DEFAULT_LAUNCHER
    )
    run_id = dagster_dev.launch("ecs_report_job")
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    assert "ecs/task_arn" not in dagster_dev.tags(run_id)
    tasks = tasks_of_run(ecs, run_id)
    assert len(tasks) == 3
    assert all(t["containers"][0]["exitCode"] == 0 for t in tasks)
