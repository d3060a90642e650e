"""A run worker killed while its ECS task runs, then resumed, reattaches instead of relaunching."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, DagsterRunStatus, reconstructable
from dagster._grpc.types import ExecuteRunArgs, ResumeRunArgs
from dagster._serdes import serialize_value

from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.dagster_helpers import tasks_of_run
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.resumable_job import resumable_job

ROOT = Path(__file__).resolve().parents[2]


def api_command(name: str, args: object, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dagster", "api", name, serialize_value(args)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_and_kill_worker(
    local_ecs: LocalEcs, ecs: EcsResource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, dict[str, Any]]:
    """Runs resumable_job in a run worker, kills the worker while the step's task runs, then
    resumes the run to its success; (run id, the task that ran before the kill)."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "ECS_PIPELINES_TARGET": "local",
        "ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url,
    }
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("ECS_PIPELINES_ENDPOINT_URL", local_ecs.endpoint_url)
    recon = reconstructable(resumable_job)
    origin = recon.get_python_origin()
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        run = instance.create_run_for_job(
            job_def=resumable_job, job_code_origin=origin, run_config={}
        )
        worker = api_command(
            "execute_run", ExecuteRunArgs(origin, run.run_id, instance.get_ref()), env
        )
        [task] = wait_until(
            lambda: [t for t in tasks_of_run(ecs, run.run_id) if t["lastStatus"] == "RUNNING"],
            timeout=60,
            what="the step's ECS task to run",
        )
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED

        resumed = api_command(
            "resume_run", ResumeRunArgs(origin, run.run_id, instance.get_ref()), env
        )
        assert resumed.wait(timeout=120) == 0
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.SUCCESS
    return run.run_id, task


def test_resumed_run_worker_reattaches_to_its_running_task(
    local_ecs: LocalEcs, ecs: EcsResource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killing the run worker mid-task and resuming the run leaves one task for the step."""
    run_id, task = start_and_kill_worker(local_ecs, ecs, tmp_path, monkeypatch)
    tasks = tasks_of_run(ecs, run_id)
    assert [t["taskArn"] for t in tasks] == [task["taskArn"]]
    assert tasks[0]["containers"][0]["exitCode"] == 0


def test_a_resumed_run_worker_finds_a_task_launched_after_a_wait_for_capacity(
    local_ecs: LocalEcs,
    ecs: EcsResource,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault_plan: Callable[[str], None],
) -> None:
    """The first RunTask finds no capacity, so the step's task starts under the second
    attempt's token; the resumed worker finds it in the run log and waits for it rather than
    starting the work again with the first attempt's token."""
    fault_plan("no-capacity:count=1")
    run_id, task = start_and_kill_worker(local_ecs, ecs, tmp_path, monkeypatch)
    tasks = tasks_of_run(ecs, run_id)
    assert [t["taskArn"] for t in tasks] == [task["taskArn"]]
    assert tasks[0]["containers"][0]["exitCode"] == 0
