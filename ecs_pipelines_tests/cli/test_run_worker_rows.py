"""`ecs-pipelines tasks` names the run of a run-worker task (EcsRunLauncher tags it its own way)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ecs_pipelines.cli import format as fmt

RUN_ID = "6f1c2e9a-0000-4000-8000-000000000001"


def task(tags: dict[str, str]) -> dict[str, Any]:
    return {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef",
        "tags": [{"key": key, "value": value} for key, value in tags.items()],
    }


def test_a_run_worker_task_is_shown_with_its_run() -> None:
    """EcsRunLauncher's dagster/run_id tag names the run, as a step task's dagster/run-id does."""
    worker = task({"dagster/run_id": RUN_ID, "dagster/job_name": "ecs_report_job"})
    step = task({"dagster/run-id": RUN_ID, "dagster/step-key": "extract"})
    now = datetime.now(UTC)
    assert fmt.task_row(worker, now)["dagster_run_id"] == RUN_ID
    assert fmt.task_row(step, now)["dagster_run_id"] == RUN_ID
    assert fmt.run_id_of(task({})) is None
