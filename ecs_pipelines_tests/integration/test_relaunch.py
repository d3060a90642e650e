"""A step's tasks under the embedded ECS's fault plan: a task the platform interrupted (a Spot
reclaim, a start the host failed) is relaunched as a new attempt and the step follows it; a
task that failed on its own is not; the capacity the step ran on is in its metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dagster import DagsterInstance, ExecuteInProcessResult

from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.step_reattach import standing_tasks
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, py, run_op, tasks_of_run

SetPlan = Callable[[str], None]
SPOT = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
FARGATE = [{"capacityProvider": "FARGATE", "weight": 1}]
# The reclaim comes once the task runs (a first start on a cold server takes up to ~2 s) and
# before it ends.
RECLAIM = "after=2s,warning=200ms"
WORK = py("import time; time.sleep(4); print('work done')")


def output_metadata(result: ExecuteInProcessResult) -> dict[str, Any]:
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in output.step_output_data.metadata.items()}


def run_on_spot(local_ecs: LocalEcs, name: str, command: list[str], **options: Any) -> Any:
    """Runs one op whose task goes to FARGATE_SPOT; (result, instance, resource)."""
    ecs = make_resource(local_ecs, launch_type=None)
    op_def = ecs_task_op(name, command=command, capacity_provider_strategy=SPOT, **options)
    instance = DagsterInstance.ephemeral()
    return run_op(op_def, ecs, instance=instance), instance, ecs


def test_a_reclaimed_spot_task_is_relaunched_and_the_step_succeeds(
    local_ecs: LocalEcs, fault_plan: SetPlan
) -> None:
    """Fargate Spot reclaims one of two tasks; the step relaunches it at once (while its
    sibling still runs), succeeds with the new task's result, and its run log and metadata
    name the predecessor and why."""
    fault_plan(f"spot-reclaim:count=1,{RECLAIM}")
    result, instance, ecs = run_on_spot(local_ecs, "reclaimed", WORK, count=2)
    assert result.success
    tasks = {t["taskArn"]: t for t in tasks_of_run(ecs, result.run_id)}
    assert len(tasks) == 3
    metadata = output_metadata(result)
    [attempt] = metadata["ecs/attempts"]
    reclaimed, relaunched = tasks[attempt["task_arn"]], tasks[attempt["relaunched_as"]]
    assert reclaimed["stopCode"] == attempt["stop_code"] == "SpotInterruption"
    assert relaunched["containers"][0]["exitCode"] == 0
    [sibling] = [
        t for a, t in tasks.items() if a not in (reclaimed["taskArn"], relaunched["taskArn"])
    ]
    assert relaunched["createdAt"] < sibling["stoppedAt"]
    assert sorted(metadata["task_arns"]) == sorted([relaunched["taskArn"], sibling["taskArn"]])
    log = all_log_text(instance, result.run_id)
    assert f"ECS task {attempt['task_arn']} was interrupted (SpotInterruption" in log
    assert "relaunch 1 of 2" in log


def test_relaunches_stop_at_interruption_relaunches(
    local_ecs: LocalEcs, fault_plan: SetPlan
) -> None:
    """Every Spot task is reclaimed: the step relaunches as often as allowed, then fails with
    the last interruption, having launched 1 + allowed tasks."""
    fault_plan(f"spot-reclaim:{RECLAIM}")
    result, _, ecs = run_on_spot(local_ecs, "always_reclaimed", WORK, interruption_relaunches=1)
    assert not result.success
    assert len(tasks_of_run(ecs, result.run_id)) == 2
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.step_failure_data.user_failure_data
    assert "SpotInterruption" in error.description
    assert len(error.metadata["ecs/attempts"].value) == 1


@pytest.mark.parametrize(
    ("plan", "relaunched"), [("init-error:count=1", True), ("pull-error:count=1", False)]
)
def test_a_start_the_host_failed_is_relaunched_a_missing_image_is_not(
    local_ecs: LocalEcs, fault_plan: SetPlan, plan: str, relaunched: bool
) -> None:
    """TaskFailedToStart with ResourceInitializationError is the host's failure: relaunched,
    the step succeeds. A pull that says the image is not found would fail again: not."""
    fault_plan(plan)
    result, _, ecs = run_on_spot(local_ecs, "starting", py("print('up')"))
    assert result.success is relaunched
    assert len(tasks_of_run(ecs, result.run_id)) == (2 if relaunched else 1)


def test_a_task_that_exits_non_zero_is_not_relaunched(local_ecs: LocalEcs) -> None:
    """A task that failed on its own fails the step at once: one task, no attempt recorded
    (running it again is the op's RetryPolicy's job)."""
    result, instance, ecs = run_on_spot(local_ecs, "own_failure", py("import sys; sys.exit(3)"))
    assert not result.success
    assert len(tasks_of_run(ecs, result.run_id)) == 1
    assert "was interrupted" not in all_log_text(instance, result.run_id)


def test_a_step_falls_back_and_says_the_capacity_it_ran_on(
    local_ecs: LocalEcs, fault_plan: SetPlan
) -> None:
    """FARGATE_SPOT has no room: the step's launch falls back to FARGATE, the run log says
    so, and the output metadata says the task ran on FARGATE."""
    fault_plan("no-capacity:provider=FARGATE_SPOT")
    result, instance, ecs = run_on_spot(
        local_ecs,
        "fallback",
        py("print('ok')"),
        capacity_fallback=[FARGATE],
        capacity_retry_seconds=0.3,
    )
    assert result.success
    assert output_metadata(result)["ecs/capacity"] == "FARGATE"
    assert "falling back to FARGATE (capacity_fallback)" in all_log_text(instance, result.run_id)
    [task] = tasks_of_run(ecs, result.run_id)
    assert task["capacityProviderName"] == "FARGATE"


def test_the_standing_tasks_of_a_run_log() -> None:
    """A resumed worker waits for the tasks no later launch replaced, each once, in order."""
    launches = [("a", None), ("b", None), ("c", "a"), ("b", None), ("d", "c")]
    assert standing_tasks(launches) == ["b", "d"]
    assert standing_tasks([]) == []
