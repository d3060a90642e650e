"""`make run` prints one line per task as it launches and ends, then the table, and nothing
noisy (no DEBUG lines, no warnings); --verbose brings Dagster's own log back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ecs_pipelines.local import LocalEcs

ROOT = Path(__file__).resolve().parents[2]
# extract, transform, report, daily_events, daily_summary, model_scores, weekly_rollup
TASKS = 7


def make_run(local_ecs: LocalEcs, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url}
    return subprocess.run(
        [sys.executable, "-m", "ecs_pipelines.demo.main_run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_make_run_prints_progress_then_the_table_without_noise(local_ecs: LocalEcs) -> None:
    """Without --verbose: one line per task launched and ended, the table, no DEBUG, no
    warning, exit 0."""
    done = make_run(local_ecs)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    launched = [ln for ln in lines if ln.endswith(" launched")]
    ended = [ln for ln in lines if "succeeded (exit 0)" in ln and ln.startswith("  ")]
    assert (len(launched), len(ended)) == (TASKS, TASKS)
    table = lines.index(next(ln for ln in lines if ln.startswith("run ")))
    assert max(lines.index(ln) for ln in launched + ended) < table
    everything = done.stdout + done.stderr
    assert "DEBUG" not in everything and "Warning" not in everything


def test_verbose_make_run_shows_dagsters_log(local_ecs: LocalEcs) -> None:
    """--verbose adds Dagster's DEBUG event lines."""
    done = make_run(local_ecs, "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "STEP_START" in done.stdout + done.stderr
