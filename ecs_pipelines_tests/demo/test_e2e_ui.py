"""End to end through a real `make ui` (dagster dev) in the production topology: every run is a
run-worker task started by EcsRunLauncher on the embedded ECS, its steps' tasks beside it.
Launchpad runs, asset materialisation, termination, detached assets, run-log links, and last
the load test: 20 runs launched at once under a fault plan, 5 of them terminated midway.
`make ui`'s instance keeps Dagster's run queue limit (10 runs in progress): the other runs wait
in the queue, as they would in a team's instance with that limit. One `make ui` serves the
whole module."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ecs_pipelines.demo.executor_job import EXECUTOR_JOB_NAME
from ecs_pipelines.demo.run_workers import RUN_WORKER_CONTAINER, RUN_WORKER_FAMILY
from ecs_pipelines.demo.workloads import python_command
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.browser import browser_page
from ecs_pipelines_tests.support.dagster_dev import (
    LOCATION,
    REPOSITORY,
    DagsterDev,
    dagster_dev_fixture,
)
from ecs_pipelines_tests.support.dagster_helpers import (
    all_log_text,
    engine_event_metadata,
    tasks_of_run,
)
from ecs_pipelines_tests.support.polling import wait_until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
# Terminations measured in one go: every run's step task must be stopped by its run.
TERMINATIONS = 10


dagster_dev = dagster_dev_fixture("ecs")


# The detached asset's task: long enough that its run ends first.
DETACHED_CONFIG = {
    "ops": {"detached_export": {"config": {"command": python_command("sleep", "--seconds", "8")}}}
}


@pytest.fixture(scope="module")
def early_runs(dagster_dev: DagsterDev) -> dict[str, str]:
    """The runs whose tests only read what they did, launched together when the first of those
    tests starts (side by side, as a team's runs are): name -> run id. The first two of the
    oversized asset's three materialisations are among them; its third must follow them."""
    return {
        "report_job": dagster_dev.launch("ecs_report_job"),
        "model_scores": dagster_dev.launch("__ASSET_JOB", assets=["model_scores"]),
        "executor_job": dagster_dev.launch(EXECUTOR_JOB_NAME),
        "detached_export": dagster_dev.launch(
            "__ASSET_JOB", assets=["detached_export"], run_config=DETACHED_CONFIG
        ),
        **{
            f"oversized_report_{n}": dagster_dev.launch("__ASSET_JOB", assets=["oversized_report"])
            for n in (1, 2)
        },
    }


def running_task(ecs: EcsResource, run_id: str) -> dict[str, Any] | None:
    tasks = [t for t in tasks_of_run(ecs, run_id) if t["lastStatus"] == "RUNNING"]
    return tasks[0] if tasks else None


def run_worker(dagster_dev: DagsterDev, ecs: EcsResource, run_id: str) -> dict[str, Any]:
    """The run's run-worker task, as its ecs/task_arn tag names it."""
    arn = dagster_dev.tags(run_id)["ecs/task_arn"]
    [task] = ecs.describe_tasks([arn])
    return task


def listed_tasks(local_ecs: LocalEcs, run_id: str) -> list[dict[str, Any]]:
    """`ecs-pipelines tasks --run-id RUN_ID --json`, as a user would run it."""
    env = {**os.environ, "ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url}
    listed = subprocess.run(
        [sys.executable, "-m", "ecs_pipelines.cli", "tasks", "--run-id", run_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    return rows


def test_launchpad_run_of_the_report_job_succeeds(
    dagster_dev: DagsterDev, ecs: EcsResource, local_ecs: LocalEcs, early_runs: dict[str, str]
) -> None:
    """A Launchpad run of ecs_report_job runs in a run-worker task (named by the run's
    ecs/task_arn tag) that runs three step tasks beside it, all exiting 0, its steps waiting
    on task state events; `ecs-pipelines tasks --run-id` lists the four."""
    run_id = early_runs["report_job"]
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    worker = run_worker(dagster_dev, ecs, run_id)
    assert worker["taskDefinitionArn"].rsplit("/", 1)[-1].startswith(f"{RUN_WORKER_FAMILY}:")
    # The worker's process ends just after it reports the run's success.
    [ended] = ecs.wait_for_tasks([worker["taskArn"]], timeout_seconds=60)
    assert ended.exit_codes == {RUN_WORKER_CONTAINER: 0}
    steps = tasks_of_run(ecs, run_id)
    assert len(steps) == 3
    assert all(t["containers"][0]["exitCode"] == 0 for t in steps)
    assert {t["clusterArn"] for t in steps} == {worker["clusterArn"]}
    rows = listed_tasks(local_ecs, run_id)
    assert {row["task_arn"] for row in rows} == {worker["taskArn"]} | {t["taskArn"] for t in steps}
    assert {row["dagster_run_id"] for row in rows} == {run_id}
    # make ui pushes completion: the run worker's steps read their own task events queue.
    definition = ecs.task_client().task_definition(worker["taskDefinitionArn"])
    [container] = definition["containerDefinitions"]
    variables = {e["name"]: e["value"] for e in container["environment"]}
    assert variables["ECS_PIPELINES_TASK_EVENTS_QUEUE_URL"].endswith("task-events-steps")


def step_task_arns(dagster_dev: DagsterDev, run_id: str) -> dict[str, str]:
    """Step key -> the ECS task the ecs_executor started it in (its step-worker events)."""
    with dagster_dev.instance() as instance:
        records = instance.all_logs(run_id, of_type=DagsterEventType.STEP_WORKER_STARTING)
    found = {}
    for record in records:
        event = record.dagster_event
        assert event is not None and event.engine_event_data is not None
        found[str(event.step_key)] = str(event.engine_event_data.metadata["Task ARN"].value)
    return found


def test_ecs_executor_job_runs_each_step_in_its_own_task(
    dagster_dev: DagsterDev, ecs: EcsResource, local_ecs: LocalEcs, early_runs: dict[str, str]
) -> None:
    """A Launchpad run of ecs_executor_job succeeds: dagster-aws's ecs_executor runs each of
    its three steps in its own task of the run worker's task definition, each step says so
    from the task metadata endpoint, and the ecs_task_op step launches one more task;
    `ecs-pipelines tasks --run-id` lists all five."""
    run_id = early_runs["executor_job"]
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    worker = run_worker(dagster_dev, ecs, run_id)
    steps = step_task_arns(dagster_dev, run_id)
    assert set(steps) == {"count_rows", "check_count", "stage_in_task"}
    assert worker["taskArn"] not in steps.values()
    step_tasks = ecs.describe_tasks(list(steps.values()))
    assert len(step_tasks) == 3
    assert {t["taskDefinitionArn"] for t in step_tasks} == {worker["taskDefinitionArn"]}
    assert {t["clusterArn"] for t in step_tasks} == {worker["clusterArn"]}
    # The executor's size for a step task (256/512) replaces the definition's (512/1024).
    assert {(t["cpu"], t["memory"]) for t in step_tasks} == {("256", "512")}
    results = ecs.wait_for_tasks(list(steps.values()), timeout_seconds=60)
    assert all(r.exit_codes == {RUN_WORKER_CONTAINER: 0} for r in results), results
    with dagster_dev.instance() as instance:
        said = all_log_text(instance, run_id)
    for step in ("count_rows", "check_count"):
        assert f"step {step} runs in ECS task {steps[step]}" in said
    [launched] = tasks_of_run(ecs, run_id)
    assert launched["containers"][0]["exitCode"] == 0
    assert launched["taskArn"] not in steps.values()
    rows = listed_tasks(local_ecs, run_id)
    listed = {row["task_arn"] for row in rows}
    assert listed == {worker["taskArn"], launched["taskArn"], *steps.values()}


SCROLL_TO_TOP = """
for (const element of document.querySelectorAll("*")) {
  if (element.scrollHeight > element.clientHeight) element.scrollTop = 0;
}
"""


def page_links(metadata: dict[str, Any]) -> list[str]:
    """The task and log page links of one metadata entry."""
    wanted = [k for k in metadata if k == "task_console" or k.startswith("logs_")]
    return [metadata[k].value for k in wanted]


def test_every_run_log_link_opens_the_embedded_ecs_page_of_its_task(
    dagster_dev: DagsterDev, ecs: EcsResource, tmp_path: Path, early_runs: dict[str, str]
) -> None:
    """Each link the run log and the asset metadata carry opens a page of the embedded ECS that
    shows that task; the run page (taken in Chromium) shows the ECS lines and links."""
    job_run, asset_run = early_runs["report_job"], early_runs["model_scores"]
    for run_id in (job_run, asset_run):
        assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    with dagster_dev.instance() as instance:
        launches = [m for m in engine_event_metadata(instance, job_run) if "task_arn" in m]
        event = instance.get_latest_materialization_event(AssetKey("model_scores"))
        assert event is not None and event.asset_materialization is not None
        materialised = dict(event.asset_materialization.metadata)
    shown = {(m["task_arn"].value, url) for m in launches for url in page_links(m)}
    shown |= {(materialised["task_arn"].value, url) for url in page_links(materialised)}
    assert len(shown) == 2 * 3 + 2  # a task page and a log page per task
    for arn, url in shown:
        ident = arn.rsplit("/", 1)[-1]
        assert url.startswith(f"{ecs.endpoint_url}/_local/tasks/{ident}"), url
        with urllib.request.urlopen(url, timeout=30) as answer:
            assert ident in answer.read().decode()
    with browser_page(1400, 1000) as page:
        page.goto(f"http://127.0.0.1:{dagster_dev.port}/runs/{job_run}")
        page.wait_for_selector("text=launched (or reattached)", timeout=60_000)
        with contextlib.suppress(PlaywrightTimeout):  # Dagster's first-visit dialog
            page.click("button:has-text('Skip')", timeout=5_000)
        # The extract step's part of the log: its ECS engine event (links) and task lines.
        page.fill("input[placeholder='Filter…']", "step:extract")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=/\\/main\\] extract: batch 1\\/3 done/", timeout=30_000)
        page.evaluate(SCROLL_TO_TOP)
        shot = tmp_path / "run-page.png"
        page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("ECS_PIPELINES_UPDATE_DOCS"):  # refreshes the README's picture
        shutil.copy(shot, ROOT / "docs" / "run-page.png")


def test_asset_materialisation_from_the_ui_succeeds(
    dagster_dev: DagsterDev, ecs: EcsResource, early_runs: dict[str, str]
) -> None:
    """Materialising the Pipes asset from the UI runs its ECS task and succeeds."""
    run_id = early_runs["model_scores"]
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    [task] = tasks_of_run(ecs, run_id)
    assert task["containers"][0]["exitCode"] == 0


def test_terminating_a_run_stops_its_step_task_ten_times_out_of_ten(
    dagster_dev: DagsterDev, ecs: EcsResource
) -> None:
    """Terminating a run whose step task is running stops that task (UserInitiated, with the
    step's reason naming the run) and the run's run-worker task, for each of ten runs, and
    every run ends CANCELED."""
    runs = [dagster_dev.launch("ecs_exec_job") for _ in range(TERMINATIONS)]
    steps = {
        run_id: wait_until(
            lambda run_id=run_id: running_task(ecs, run_id),
            timeout=240,
            interval=0.5,
            what=f"the step task of run {run_id} to run",
        )["taskArn"]
        for run_id in runs
    }
    for run_id in runs:
        dagster_dev.terminate(run_id)
    statuses = {run_id: dagster_dev.wait_for_run(run_id) for run_id in runs}
    results = {r.task_arn: r for r in ecs.wait_for_tasks(list(steps.values()), timeout_seconds=90)}
    stopped_by_run = [
        run_id
        for run_id, arn in steps.items()
        if results[arn].stop_code == "UserInitiated"
        and results[arn].stopped_reason == f"Dagster run {run_id} was terminated (step exec_demo)"
    ]
    assert len(stopped_by_run) == TERMINATIONS, (
        f"{len(stopped_by_run)} of {TERMINATIONS} step tasks stopped by their run: "
        f"{[(r.stop_code, r.stopped_reason) for r in results.values()]}"
    )
    assert set(statuses.values()) == {"CANCELED"}, statuses
    workers = [run_worker(dagster_dev, ecs, run_id)["taskArn"] for run_id in runs]
    ended = ecs.wait_for_tasks(workers, timeout_seconds=90)
    assert {r.last_status for r in ended} == {"STOPPED"}
    assert {r.stop_code for r in ended} == {"UserInitiated"}


DETACHED_SENSOR = "ecs_detached_export_sensor"
ASSET_AUTOMATIONS = """
query Automations($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode { targetingInstigators { __typename ... on Sensor { name } } }
  }
}
"""
SENSOR_TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 100) { status skipReason } } }
  }
}
"""


def sensor_ticks(dagster_dev: DagsterDev, name: str) -> list[dict[str, Any]]:
    """The sensor's ticks as its page in the UI lists them, newest first."""
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "sensorName": name,
    }
    found = dagster_dev.graphql(SENSOR_TICKS, {"selector": selector})["sensorOrError"]
    ticks: list[dict[str, Any]] = found["sensorState"]["ticks"]
    return ticks


def test_detached_asset_is_materialised_by_the_sensor_after_its_task_ends(
    dagster_dev: DagsterDev, ecs: EcsResource, early_runs: dict[str, str]
) -> None:
    """The detached asset's run ends while its task runs, saying which sensor will report it;
    the daemon's sensor then materialises it with the task's metadata, its tick says so, and
    the asset's page lists the sensor among its automations."""
    run_id = early_runs["detached_export"]
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    [task] = tasks_of_run(ecs, run_id)

    with dagster_dev.instance() as instance:
        # The run ended before its task did (however slowly the run worker went about it).
        run_ended = instance.get_run_stats(run_id).end_time
        assert run_ended is not None
        if task["lastStatus"] == "STOPPED":
            assert task["stoppedAt"].timestamp() > run_ended, "the step waited for its task"
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

    # The sensor's page: the tick that reported it names the asset, the task and the run.
    told = f"materialized detached_export (task {task['taskArn'].rsplit('/', 1)[-1]}, run "
    tick = wait_until(
        lambda: next(
            (
                t
                for t in sensor_ticks(dagster_dev, DETACHED_SENSOR)
                if told in (t["skipReason"] or "")
            ),
            None,
        ),
        timeout=60,
        interval=1,
        what="the tick that reported the task",
    )
    assert f"run {run_id[:8]})" in tick["skipReason"]
    # The asset's page: the sensor is listed among its automations, in the UI itself.
    found = dagster_dev.graphql(ASSET_AUTOMATIONS, {"key": {"path": ["detached_export"]}})
    instigators = found["assetNodeOrError"]["targetingInstigators"]
    assert {"__typename": "Sensor", "name": DETACHED_SENSOR} in instigators
    with browser_page(1400, 1000) as page:
        page.goto(f"http://127.0.0.1:{dagster_dev.port}/assets/detached_export")
        page.get_by_text(DETACHED_SENSOR).first.wait_for(timeout=60_000)
        assert page.get_by_text("No automations found for this asset").count() == 0


def test_an_oversized_asset_plots_its_cost_and_is_told_a_smaller_size(
    dagster_dev: DagsterDev, tmp_path: Path, early_runs: dict[str, str]
) -> None:
    """Three materialisations of oversized_report each record ecs/cost_usd and
    ecs/memory_peak_mib, the asset page plots them (taken in Chromium), and the last one
    names the smaller Fargate size its task fits."""
    # The third after the first two are recorded: its hint reads their materialisations.
    for run_id in (early_runs["oversized_report_1"], early_runs["oversized_report_2"]):
        assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    run_id = dagster_dev.launch("__ASSET_JOB", assets=["oversized_report"])
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", dagster_dev.logs()[-3000:]
    with dagster_dev.instance() as instance:
        records = instance.fetch_materializations(AssetKey("oversized_report"), limit=3).records
        metadata = [dict(r.asset_materialization.metadata) for r in records]  # type: ignore[union-attr]
    assert len(metadata) == 3
    for each in metadata:
        assert each["ecs/cost_usd"].value > 0 and each["ecs/memory_peak_mib"].value > 0
        assert each["ecs/memory_reserved_mib"].value == 4096
    assert "smaller Fargate size" in metadata[0]["ecs/right_sizing"].value
    with browser_page(1400, 1000) as page:
        page.goto(f"http://127.0.0.1:{dagster_dev.port}/assets/oversized_report")
        page.wait_for_selector("button:has-text('Plots')", timeout=60_000)
        with contextlib.suppress(PlaywrightTimeout):  # Dagster's first-visit dialog, late
            page.click("button:has-text('Skip')", timeout=15_000)
        # The overview's metadata, as plots over the materialisations.
        page.click("button:has-text('Plots')", timeout=30_000)
        page.wait_for_selector("canvas", timeout=30_000)
        cost = page.locator("text=ecs/cost_usd").first
        cost.wait_for(timeout=30_000)
        page.locator("text=ecs/memory_peak_mib").first.wait_for(timeout=30_000)
        # The picture starts at the cost plot: memory and CPU below it.
        cost.evaluate("element => element.scrollIntoView({block: 'start'})")
        shot = tmp_path / "asset-cost.png"
        page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("ECS_PIPELINES_UPDATE_DOCS"):  # refreshes the README's picture
        shutil.copy(shot, ROOT / "docs" / "asset-cost.png")


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


def step_output_metadata(instance: DagsterInstance, run_id: str) -> dict[str, Any]:
    [record] = instance.all_logs(run_id, of_type=DagsterEventType.STEP_OUTPUT)
    assert record.dagster_event is not None
    metadata = record.dagster_event.step_output_data.metadata
    return {key: value.value for key, value in metadata.items()}


def check_finished_load_run(
    ecs: EcsResource, instance: DagsterInstance, run_id: str
) -> tuple[int, int, int]:
    """Checks a finished load run: one successful task per slot, an extra task only where one
    was reclaimed (as the step's metadata says), every success reported; returns its tasks,
    reclaims and capacity refusals waited out."""
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
    metadata = step_output_metadata(instance, run_id)
    assert sorted(metadata["task_arns"]) == sorted(succeeded)  # no completion lost
    attempts = metadata.get("ecs/attempts", [])
    assert {a["task_arn"] for a in attempts} == reclaimed
    refused = all_log_text(instance, run_id).count("was refused")
    return len(tasks), len(reclaimed), refused


# Last in the module, after the runs above have ended: it shares their `make ui`. About 80 s
# on 2 idle cores; `pytest -m load` (`make test-load`) runs it alone.
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
    with dagster_dev.instance() as instance:
        for run_id in finishing:
            tasks, reclaimed, refused = check_finished_load_run(ecs, instance, run_id)
            figures["tasks"] += tasks
            figures["reclaimed"] += reclaimed
            figures["refusals_waited"] += refused
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
