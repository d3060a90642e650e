"""Faults injected at the HTTP layer in front of the embedded ECS: every task accounted for,
none duplicated, none left running, outcomes right and logs never invented."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from ecs_pipelines.ecs.common import EcsTimeoutError
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import py, tasks_started_by
from ecs_pipelines_tests.support.fault_proxy import (
    FaultProxy,
    Reply,
    aws_error,
    every_other,
    first_calls,
    hide_young_tasks,
)

ECS_AND_LOGS = {
    "RunTask",
    "DescribeTasks",
    "StopTask",
    "ListTasks",
    "DescribeTaskDefinition",
    "GetLogEvents",
}


@pytest.fixture
def proxy(local_ecs: LocalEcs) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=local_ecs.endpoint_url) as running:
        yield running


def through(proxy: FaultProxy, local_ecs: LocalEcs) -> EcsResource:
    return make_resource(local_ecs, endpoint_url=proxy.url, poll_interval_seconds=0.3)


def unique_started_by() -> str:
    return f"fault-{uuid.uuid4().hex[:12]}"


def throttling() -> Reply:
    return aws_error("ThrottlingException", message="Rate exceeded")


def test_half_of_all_calls_throttled(
    proxy: FaultProxy, local_ecs: LocalEcs, ecs: EcsResource
) -> None:
    """With every other ECS and Logs call throttled, three tasks launch once and every line
    arrives exactly once."""
    proxy.faults.append(every_other(ECS_AND_LOGS, throttling))
    started_by = unique_started_by()
    lines: dict[str, list[str]] = {}
    results = through(proxy, local_ecs).run_task_and_wait(
        command=py("for i in range(10): print(f'row {i}', flush=True)"),
        count=3,
        started_by=started_by,
        on_log_lines=lambda arn, _c, new: lines.setdefault(arn, []).extend(new),
        timeout_seconds=120,
    )
    assert [r.succeeded for r in results] == [True] * 3
    assert proxy.injected["RunTask"] >= 1 and proxy.injected["GetLogEvents"] >= 1
    assert len(tasks_started_by(ecs, started_by)) == 3
    assert all(lines[r.task_arn] == [f"row {i}" for i in range(10)] for r in results)
    assert all(r.log_lines_complete for r in results)


def test_lost_runtask_answers_do_not_duplicate_the_task(
    proxy: FaultProxy, local_ecs: LocalEcs, ecs: EcsResource
) -> None:
    """RunTask that reached ECS but whose answer was lost twice is retried with the same
    clientToken: one task, not three."""
    proxy.faults.append(first_calls("RunTask", 2, lambda: Reply(forward_first=True)))
    started_by = unique_started_by()
    [result] = through(proxy, local_ecs).run_task_and_wait(
        command=py("print('once')"), started_by=started_by, timeout_seconds=60
    )
    assert result.succeeded
    assert proxy.calls["RunTask"] == 3
    assert [t["taskArn"] for t in tasks_started_by(ecs, started_by)] == [result.task_arn]


def test_5xx_bursts_and_connection_resets(
    proxy: FaultProxy, local_ecs: LocalEcs, ecs: EcsResource
) -> None:
    """Bursts of 503s and reset connections on DescribeTasks do not change the outcome."""
    proxy.faults += [
        first_calls("DescribeTasks", 3, lambda: aws_error("ServerException", 503)),
        lambda call: (
            Reply(reset=True)
            if call.operation == "DescribeTasks" and 4 <= call.number <= 6
            else None
        ),
    ]
    started_by = unique_started_by()
    with pytest.raises(Exception, match="exited 5"):
        through(proxy, local_ecs).run_task_and_wait(
            command=py("import sys; sys.exit(5)"), started_by=started_by, timeout_seconds=60
        )
    assert proxy.injected["DescribeTasks"] == 6
    [task] = tasks_started_by(ecs, started_by)
    assert task["containers"][0]["exitCode"] == 5


def test_task_unknown_to_describe_right_after_launch(
    proxy: FaultProxy, local_ecs: LocalEcs
) -> None:
    """A task DescribeTasks reports MISSING for its first 2 s is waited for, not lost."""
    proxy.rewrites.append(hide_young_tasks(2.0))
    [result] = through(proxy, local_ecs).run_task_and_wait(
        command=py("print('quick')"), timeout_seconds=60
    )
    assert result.succeeded and not result.lost
    assert proxy.calls["DescribeTasks"] >= 3


def test_throttled_logs_keep_the_outcome_and_mark_logs_incomplete(
    proxy: FaultProxy, local_ecs: LocalEcs
) -> None:
    """When GetLogEvents is always throttled the task's failure is still right, no line is
    invented, and the result says its logs are incomplete."""
    proxy.faults.append(lambda call: throttling() if call.operation == "GetLogEvents" else None)
    lines: list[str] = []
    ecs = through(proxy, local_ecs)
    arns = ecs.run_task(command=py("print('lost line'); import sys; sys.exit(3)"))
    [result] = ecs.wait_for_tasks(
        arns, on_log_lines=lambda _a, _c, new: lines.extend(new), timeout_seconds=60
    )
    assert result.exit_codes == {"main": 3} and not result.succeeded
    assert lines == []
    assert result.log_lines_complete is False


def test_absent_log_stream_marks_logs_incomplete(proxy: FaultProxy, local_ecs: LocalEcs) -> None:
    """A log stream that never appears leaves the outcome right and the logs marked incomplete."""
    proxy.faults.append(
        lambda call: (
            aws_error(
                "ResourceNotFoundException", message="The specified log stream does not exist."
            )
            if call.operation == "GetLogEvents"
            else None
        )
    )
    ecs = through(proxy, local_ecs)
    [result] = ecs.wait_for_tasks(
        ecs.run_task(command=py("print('hello')")),
        on_log_lines=lambda *_: None,
        timeout_seconds=60,
    )
    assert result.succeeded
    assert result.log_lines_complete is False


def test_timeout_under_throttling_leaves_no_task_running(
    proxy: FaultProxy, local_ecs: LocalEcs, ecs: EcsResource
) -> None:
    """A timed-out wait stops its task even when StopTask is throttled half the time."""
    proxy.faults.append(every_other({"StopTask", "DescribeTasks"}, throttling))
    started_by = unique_started_by()
    with pytest.raises(EcsTimeoutError):
        through(proxy, local_ecs).run_task_and_wait(
            command=py("import time; time.sleep(60)"), started_by=started_by, timeout_seconds=1
        )
    [task] = tasks_started_by(ecs, started_by)
    assert task["desiredStatus"] == "STOPPED"
    [result] = ecs.wait_for_tasks([task["taskArn"]], timeout_seconds=30)
    assert result.stop_code == "UserInitiated"
