"""EcsResource against the embedded ECS over real HTTP."""

from __future__ import annotations

import pytest

from ecs_pipelines import EcsResource, EcsTaskFailure
from ecs_pipelines.ecs.common import EcsSpecError, EcsTimeoutError
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import ApiCalls, make_resource
from ecs_pipelines_tests.support.dagster_helpers import py


def test_task_that_exits_zero_succeeds(ecs: EcsResource) -> None:
    """A task whose only container exits 0 comes back succeeded with its exit code."""
    [result] = ecs.run_task_and_wait(command=py("print('ok')"), timeout_seconds=60)
    assert result.succeeded
    assert result.exit_codes == {"main": 0}
    assert result.last_status == "STOPPED"
    assert result.stop_code == "EssentialContainerExited"
    assert result.started_at is not None and result.stopped_at is not None


def test_failed_task_raises_with_results(ecs: EcsResource) -> None:
    """A task exiting 3 raises EcsTaskFailure carrying the result, exit code 3 included."""
    with pytest.raises(EcsTaskFailure) as raised:
        ecs.run_task_and_wait(command=py("import sys; sys.exit(3)"), timeout_seconds=60)
    [result] = raised.value.results
    assert not result.succeeded
    assert result.exit_codes == {"main": 3}
    assert "exited 3" in str(raised.value)


def test_environment_override_reaches_the_process(ecs: EcsResource) -> None:
    """Environment passed to run_task is what the container process sees."""
    lines: list[str] = []
    ecs.run_task_and_wait(
        command=py("import os; print('greeting=' + os.environ['GREETING'])"),
        environment={"GREETING": "hello"},
        on_log_lines=lambda arn, container, new: lines.extend(new),
        timeout_seconds=60,
    )
    assert "greeting=hello" in lines


def test_log_lines_reach_the_callback_once_and_in_order(ecs: EcsResource) -> None:
    """Every line the task prints reaches the callback exactly once, in order."""
    lines: list[str] = []
    source = "import time\nfor i in range(30):\n    print(f'line {i}', flush=True)\n"
    source += "    time.sleep(0.02)"
    ecs.run_task_and_wait(
        command=py(source),
        on_log_lines=lambda arn, container, new: lines.extend(new),
        timeout_seconds=60,
    )
    assert lines == [f"line {i}" for i in range(30)]


def test_many_tasks_are_watched_with_one_describe_per_round(
    counted_ecs: tuple[EcsResource, ApiCalls],
) -> None:
    """Thirty tasks cost one DescribeTasks call per poll round, not one per task."""
    ecs, calls = counted_ecs
    arns = [arn for _ in range(3) for arn in ecs.run_task(command=py("print(1)"), count=10)]
    assert len(set(arns)) == 30
    calls.describe_sizes.clear()
    results = ecs.wait_for_tasks(arns, timeout_seconds=120)
    assert all(r.succeeded for r in results)
    # The first round describes all thirty in one call; polling per task would need >= 30 calls.
    assert calls.describe_sizes[0] == 30
    assert len(calls.describe_sizes) < 30


def test_timeout_stops_the_task(ecs: EcsResource) -> None:
    """run_task_and_wait past its timeout raises and leaves no task running."""
    with pytest.raises(EcsTimeoutError) as raised:
        ecs.run_task_and_wait(command=py("import time; time.sleep(60)"), timeout_seconds=1)
    [arn] = raised.value.pending_task_arns
    [task] = ecs.describe_tasks([arn])
    assert task["desiredStatus"] == "STOPPED"
    [result] = ecs.wait_for_tasks([arn], timeout_seconds=30)
    assert result.stop_code == "UserInitiated"


def test_invalid_count_is_rejected_before_any_call(
    counted_ecs: tuple[EcsResource, ApiCalls],
) -> None:
    """count=11 raises an error naming the field and the limit, with no ECS call made."""
    ecs, calls = counted_ecs
    with pytest.raises(EcsSpecError, match=r"count.*10"):
        ecs.run_task(count=11)
    assert calls.total == 0


def test_bad_started_by_is_rejected_before_any_call(
    counted_ecs: tuple[EcsResource, ApiCalls],
) -> None:
    """A startedBy with a space is refused before RunTask, naming startedBy."""
    ecs, calls = counted_ecs
    with pytest.raises(EcsSpecError, match="started_by"):
        ecs.run_task(started_by="has space")
    assert calls.total == 0


def test_same_client_token_gives_the_same_task(ecs: EcsResource) -> None:
    """Two launches with one clientToken return the same task ARN."""
    first = ecs.run_task(command=py("print(1)"), client_token="same-token-resource-test")
    second = ecs.run_task(command=py("print(1)"), client_token="same-token-resource-test")
    assert first == second
    ecs.wait_for_tasks(first, timeout_seconds=60)


def test_exec_default_comes_from_resource_and_call_overrides_it(local_ecs: LocalEcs) -> None:
    """enable_execute_command on the resource is the default; a per-call value wins."""
    ecs = make_resource(local_ecs, enable_execute_command=True)
    [with_exec] = ecs.run_task(command=py("print(1)"))
    [without_exec] = ecs.run_task(command=py("print(1)"), enable_execute_command=False)
    described = {t["taskArn"]: t for t in ecs.describe_tasks([with_exec, without_exec])}
    assert described[with_exec]["enableExecuteCommand"] is True
    assert described[without_exec].get("enableExecuteCommand", False) is False
    ecs.wait_for_tasks([with_exec, without_exec], timeout_seconds=60)


def test_exec_without_task_role_is_refused_before_run_task(
    counted_ecs: tuple[EcsResource, ApiCalls],
) -> None:
    """ECS Exec on a task definition with no task role is refused, naming the role, no RunTask."""
    ecs, calls = counted_ecs
    with pytest.raises(EcsSpecError, match="task role") as raised:
        ecs.run_task(task_definition="ecs-pipelines-no-role", enable_execute_command=True)
    assert "ssmmessages" in str(raised.value)
    assert calls.counts["RunTask"] == 0


def test_execute_command_runs_in_the_task(ecs: EcsResource) -> None:
    """execute_command on a running task returns the command's output and exit status."""
    [arn] = ecs.run_task(
        command=py("import time; time.sleep(30)"),
        environment={"WHERE": "inside-the-task"},
        enable_execute_command=True,
    )
    try:
        result = ecs.execute_command(arn, "printenv WHERE")
        assert result.exit_code == 0
        assert result.output is not None and "inside-the-task" in result.output
    finally:
        ecs.stop_task(arn, reason="test done")


def test_stop_task_ends_user_initiated_with_reason(ecs: EcsResource) -> None:
    """stop_task ends a sleeping task with stopCode UserInitiated and the given reason."""
    [arn] = ecs.run_task(command=py("import time; time.sleep(60)"))
    ecs.stop_task(arn, reason="no longer needed")
    [result] = ecs.wait_for_tasks([arn], timeout_seconds=30)
    assert result.stop_code == "UserInitiated"
    assert result.stopped_reason == "no longer needed"
    assert not result.succeeded


def test_sidecar_failure_does_not_fail_the_task(ecs: EcsResource) -> None:
    """A non-essential sidecar exiting 1 leaves the task succeeded, its exit code reported."""
    [result] = ecs.run_task_and_wait(task_definition="ecs-pipelines-sidecar", timeout_seconds=60)
    assert result.succeeded
    assert result.exit_codes["sidecar"] == 1
    assert result.exit_codes["main"] == 0
