"""`make run`'s table fits 100 columns, whatever the tasks are like."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_pipelines.cli.table import elide
from ecs_pipelines.demo.run_table import TABLE_WIDTH, render_run_table, task_row

RUN_ID = "6f1c2e9a-1234-4000-8000-000000000001"
TASK_ARN = (
    "arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-demo/0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f"
)
CONTAINERS = ["main", "sidecar-with-a-long-name", "log-router", "metrics"]


def widest_task() -> tuple[dict[str, Any], dict[str, Any]]:
    """A task with every cell at its longest: a long multi-asset step key, the longest
    status, several containers' exit codes, a long duration."""
    started = datetime(2026, 1, 1, tzinfo=UTC)
    task = {
        "taskArn": TASK_ARN,
        "lastStatus": "DEPROVISIONING",
        "desiredStatus": "STOPPED",
        "startedAt": started,
        "stoppedAt": started + timedelta(seconds=123456.7),
        "tags": [{"key": "dagster/step-key", "value": "daily_events_and_summary_" * 4}],
        "containers": [{"name": name, "exitCode": 137} for name in CONTAINERS],
    }
    definition = {"containerDefinitions": [{"name": n, "essential": True} for n in CONTAINERS]}
    return task, definition


def test_the_widest_row_fits_in_100_columns() -> None:
    """Every line of the table, the widest row included, is at most 100 characters; the task
    shows as the id prefix the CLI takes, a long step key elided in the middle."""
    task, definition = widest_task()
    row = task_row(RUN_ID, task, definition)
    table = render_run_table([row, row])
    assert max(len(line) for line in table.splitlines()) <= TABLE_WIDTH
    assert "0f9c1d2e " in table and "0f9c1d2e3b" not in table
    assert "daily_events" in table and "…" in table and "arn:aws" not in table


def test_elide_keeps_both_ends_within_the_width() -> None:
    """A text past its width keeps its start and end around one ellipsis; shorter ones stay."""
    assert elide("abcdefghij", 5) == "ab…ij"
    assert elide("abcdefghij", 10) == "abcdefghij"
    assert len(elide("x" * 300, 24)) == 24
