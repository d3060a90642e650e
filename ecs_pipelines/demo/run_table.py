"""`make run`'s table: one row per ECS task its runs started, within 100 columns.

Each cell fits its column (a longer one is elided in the middle): tasks show as the 8-character
id prefix every `ecs-pipelines` task command accepts, and the lines under the table say how to
see a task's log and page from that prefix, instead of a link too long for a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecs_pipelines.cli.table import render_table
from ecs_pipelines.ecs.common import TaskStatus, short_task_id, tags_of
from ecs_pipelines.ecs.tasks import decide, essential_containers
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import STEP_KEY_TAG, started_by_for_run

HEADERS = ("run", "step", "task", "status", "exit", "secs")
# "DEPROVISIONING (succeeded)" is the longest status: 26.
MAX_WIDTHS = (8, 24, 8, 26, 12, 8)
TABLE_WIDTH = 100
RUN_ID_PREFIX = 8
HOW_TO_LOOK_CLOSER = (
    "A task's log: .venv/bin/ecs-pipelines logs TASK; its details and page link:\n"
    ".venv/bin/ecs-pipelines describe TASK (TASK: an id prefix from the table)."
)


def task_row(run_id: str, task: Mapping[str, Any], definition: Mapping[str, Any]) -> list[str]:
    """The row of one described task of run ``run_id`` (``definition``: its task definition)."""
    verdict = decide(task, essential_containers(definition))
    started, stopped = task.get("startedAt"), task.get("stoppedAt")
    return [
        run_id[:RUN_ID_PREFIX],
        tags_of(task).get(STEP_KEY_TAG, ""),
        short_task_id(task["taskArn"]),
        f"{verdict.last_status} ({verdict.outcome.value})",
        ",".join(str(code) for code in verdict.exit_codes.values()),
        f"{(stopped - started).total_seconds():.1f}" if started and stopped else "",
    ]


def task_rows(ecs: EcsResource, run_id: str) -> list[list[str]]:
    """One row per ECS task the run started (found by its startedBy), oldest first."""
    client = ecs.task_client()
    started_by = started_by_for_run(run_id)
    arns = [
        arn
        for status in (TaskStatus.STOPPED, TaskStatus.RUNNING)
        for arn in client.list_task_arns(ecs.cluster, started_by=started_by, desired_status=status)
    ]
    tasks = client.describe(ecs.cluster, arns).tasks.values()
    return [
        task_row(run_id, task, client.task_definition(task["taskDefinitionArn"]))
        for task in sorted(tasks, key=lambda t: str(t.get("createdAt", "")))
    ]


def render_run_table(rows: list[list[str]]) -> str:
    """The table, each line within TABLE_WIDTH columns."""
    return render_table(HEADERS, rows, MAX_WIDTHS)
