"""The load test of `make ui`'s production topology: 20 runs launched at once, each a run-worker
task on the embedded ECS, whose steps launch 100 tasks under a fault plan, 5 runs terminated
midway. `make ui`'s instance keeps Dagster's run queue limit (10 runs in progress): the other
runs wait in the queue, as they would in a team's instance with that limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from dagster import DagsterEventType

from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines_tests.support.dagster_dev import DagsterDev, dagster_dev_fixture
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, tasks_of_run
from ecs_pipelines_tests.support.polling import wait_until

pytestmark = pytest.mark.e2e


dagster_dev = dagster_dev_fixture("ecs")


# The load test: 20 runs whose steps launch 5 tasks each (100 in all), 5 of them terminated
# while their tasks run, under capacity failures and Spot reclaims of the steps' tasks only
# (started-by=dagster/: the run workers are left alone, as their launcher is not ours).
LOAD_RUNS, LOAD_TERMINATED, LOAD_TASKS_PER_RUN = 20, 5, 5
LOAD_FAULTS = (
    "no-capacity:started-by=dagster/,rate=0.3,seed=22;"
    "spot-reclaim:launch-type=FARGATE,started-by=dagster/,rate=0.2,count=10,after=1s,"
    "warning=200ms"
)


def load_config(seconds: float) -> dict[str, Any]:
    """ecs_exec_job's one step as 5 tasks of ``seconds`` each, relaunched when reclaimed; the
    step runs in the run worker's process (20 runs on 2 cores: no second Python per run)."""
    step = {
        "count": LOAD_TASKS_PER_RUN,
        "command": python_command("sleep", "--seconds", str(seconds)),
        "enable_execute_command": False,
        "interruption_relaunches": 4,
    }
    return {
        "ops": {"exec_demo": {"config": step}},
        "execution": {"config": {"in_process": {}}},
    }


def step_output_metadata(dagster_dev: DagsterDev, run_id: str) -> dict[str, Any]:
    with dagster_dev.instance() as instance:
        [record] = instance.all_logs(run_id, of_type=DagsterEventType.STEP_OUTPUT)
        assert record.dagster_event is not None
        metadata = record.dagster_event.step_output_data.metadata
    return {key: value.value for key, value in metadata.items()}


# About 90 s on 2 cores alone; beside the suite, `make test` took 9-10 minutes (the suite is
# CPU-bound on 2 cores), so it runs in `make test-load` (CI runs both).
@pytest.mark.load
@pytest.mark.timeout(600)
def test_twenty_runs_under_capacity_failures_spot_reclaims_and_terminations(
    dagster_dev: DagsterDev, ecs: EcsResource, fault_plan: Callable[[str], None]
) -> None:
    """20 concurrent runs launch 100 step tasks while RunTask finds no capacity 30% of the time
    and Spot reclaims some tasks; 5 runs are terminated while their tasks run. Every other run
    succeeds with one successful task per slot (an extra task only where one was reclaimed, as
    its metadata says), every task of a terminated run stops, and no completion is lost."""
    fault_plan(LOAD_FAULTS)
    started = time.monotonic()
    terminated = [
        dagster_dev.launch("ecs_exec_job", run_config=load_config(30))
        for _ in range(LOAD_TERMINATED)
    ]
    finishing = [
        dagster_dev.launch("ecs_exec_job", run_config=load_config(2))
        for _ in range(LOAD_RUNS - LOAD_TERMINATED)
    ]
    for run_id in terminated:
        # Midway: its step launched its tasks (a reclaimed one may be between two lives).
        wait_until(
            lambda run_id=run_id: (
                len(tasks := tasks_of_run(ecs, run_id)) >= LOAD_TASKS_PER_RUN
                and any(t["lastStatus"] == "RUNNING" for t in tasks)
            ),
            timeout=240,
            interval=0.5,
            what=f"the step tasks of run {run_id} to run",
        )
        dagster_dev.terminate(run_id)
    statuses = {run_id: dagster_dev.wait_for_run(run_id, timeout=300) for run_id in finishing}
    assert set(statuses.values()) == {"SUCCESS"}, (statuses, dagster_dev.logs()[-3000:])
    figures = {"runs_succeeded": len(statuses), "tasks": 0, "reclaimed": 0, "refusals_waited": 0}
    for run_id in finishing:
        tasks = {t["taskArn"]: t for t in tasks_of_run(ecs, run_id)}
        succeeded = [a for a, t in tasks.items() if t["containers"][0].get("exitCode") == 0]
        # A reclaim that reaches a task whose container has exited 0, before that exit is
        # recorded, leaves a success with stopCode SpotInterruption (ECS has the same window);
        # only the tasks the reclaim ended are relaunched.
        reclaimed = {
            a
            for a, t in tasks.items()
            if t.get("stopCode") == "SpotInterruption" and a not in succeeded
        }
        assert len(succeeded) == LOAD_TASKS_PER_RUN, tasks
        assert set(tasks) == set(succeeded) | reclaimed  # no slot ran twice to an end
        metadata = step_output_metadata(dagster_dev, run_id)
        assert sorted(metadata["task_arns"]) == sorted(succeeded)  # no completion lost
        attempts = metadata.get("ecs/attempts", [])
        assert {a["task_arn"] for a in attempts} == reclaimed
        with dagster_dev.instance() as instance:
            refused = all_log_text(instance, run_id).count("was refused")
        figures = {
            **figures,
            "tasks": figures["tasks"] + len(tasks),
            "reclaimed": figures["reclaimed"] + len(reclaimed),
            "refusals_waited": figures["refusals_waited"] + refused,
        }
    for run_id in terminated:
        assert dagster_dev.wait_for_run(run_id) == "CANCELED"
        arns = [t["taskArn"] for t in tasks_of_run(ecs, run_id)]
        figures["tasks"] += len(arns)
        ended = ecs.wait_for_tasks(arns, timeout_seconds=90)
        assert {r.last_status for r in ended} == {"STOPPED"}
        stops = {(r.stop_code, r.stopped_reason) for r in ended}
        assert {code for code, _ in stops} <= {"UserInitiated", "SpotInterruption"}, stops
    assert figures["tasks"] >= LOAD_RUNS * LOAD_TASKS_PER_RUN
    # The figures the test met, for whoever reads its output (-rP).
    print(f"load: {figures}, {time.monotonic() - started:.0f} s from the first launch")
