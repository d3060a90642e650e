"""`make run` prints one line per task as it launches and ends, then the table, and nothing
noisy (no DEBUG lines, no warnings); --verbose brings Dagster's own log back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from ecs_pipelines.local import LocalEcs

ROOT = Path(__file__).resolve().parents[2]
# extract, transform, report, daily_events, daily_summary, model_scores, weekly_rollup and
# the YAML-declared yaml/weekly_report
TASKS = 8


def make_run(
    local_ecs: LocalEcs, dagster_home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url,
        # Never the checkout's own instance.
        "DAGSTER_HOME": str(dagster_home),
    }
    return subprocess.run(
        [sys.executable, "-m", "ecs_pipelines.demo.main_run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def quiet_run(
    local_ecs: LocalEcs, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One `make run` without --verbose, and the DAGSTER_HOME it ran with."""
    home = tmp_path_factory.mktemp("dagster_home")
    return make_run(local_ecs, home), home


def test_make_run_prints_progress_then_the_table_without_noise(
    quiet_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Without --verbose: one line per task launched and ended (the YAML-declared asset's
    too), the table, no DEBUG, no warning, exit 0."""
    done, _ = quiet_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS  yaml/weekly_report (declared in YAML)" in done.stdout
    lines = done.stdout.splitlines()
    launched = [ln for ln in lines if ln.endswith(" launched")]
    ended = [ln for ln in lines if "succeeded (exit 0)" in ln and ln.startswith("  ")]
    assert (len(launched), len(ended)) == (TASKS, TASKS)
    table = lines.index(next(ln for ln in lines if ln.startswith("run ")))
    assert max(lines.index(ln) for ln in launched + ended) < table
    assert max(len(line) for line in lines[table:]) <= 100
    everything = done.stdout + done.stderr
    assert "DEBUG" not in everything and "Warning" not in everything


def test_make_run_records_its_runs_in_the_instance_make_ui_shows(
    quiet_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """`make run` records its runs and materialisations in DAGSTER_HOME (the instance `make ui`
    opens), not in an ephemeral one: the UI then shows the demo assets materialised."""
    done, home = quiet_run
    assert done.returncode == 0, done.stdout + done.stderr
    with DagsterInstance.from_config(str(home)) as instance:
        run_ids = {run.run_id for run in instance.get_runs()}
        assert set(re.findall(r"\(run ([0-9a-f-]{36})\)", done.stdout)) == run_ids
        materialised = instance.get_latest_materialization_events(
            [AssetKey("daily_summary"), AssetKey("model_scores")]
        )
        assert all(event is not None for event in materialised.values())


def test_verbose_make_run_shows_dagsters_log(local_ecs: LocalEcs, tmp_path: Path) -> None:
    """--verbose adds Dagster's DEBUG event lines."""
    done = make_run(local_ecs, tmp_path, "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "STEP_START" in done.stdout + done.stderr
