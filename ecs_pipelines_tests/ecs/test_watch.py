"""The one poll loop for many tasks: pacing, eventual consistency, lost tasks, timeout."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from botocore.stub import Stubber

from ecs_pipelines.ecs.common import EcsTimeoutError, Pace
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.waiting import TaskWatcher, WatchSettings

ARN = "arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef0123456789abcdef"


class FakeClock:
    """Time that moves only when the loop sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def missing(stubber: Stubber) -> None:
    stubber.add_response(
        "describe_tasks", {"tasks": [], "failures": [{"arn": ARN, "reason": "MISSING"}]}, None
    )


def described(stubber: Stubber, status: str, exit_code: int | None = None) -> None:
    container: dict[str, Any] = {"name": "main", "lastStatus": status}
    task: dict[str, Any] = {"taskArn": ARN, "lastStatus": status, "containers": [container]}
    if status == "STOPPED":
        task.update(
            stopCode="EssentialContainerExited", stoppedReason="Essential container in task exited"
        )
        if exit_code is not None:
            container["exitCode"] = exit_code
    stubber.add_response("describe_tasks", {"tasks": [task], "failures": []}, None)


def test_poll_intervals_start_fast_and_back_off_to_the_maximum() -> None:
    """Pauses grow geometrically from the initial value and never pass the maximum."""
    pauses = list(itertools.islice(Pace(0.2, 1.0, 2.0).intervals(), 5))
    assert pauses == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_task_missing_right_after_launch_is_waited_for(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """A task DescribeTasks does not know yet (eventual consistency) is polled until it appears."""
    client, stubber = stubbed
    missing(stubber)
    missing(stubber)
    described(stubber, "RUNNING")
    described(stubber, "STOPPED", exit_code=0)
    clock = FakeClock()
    watcher = TaskWatcher(client, "demo", sleep=clock.sleep, clock=clock)
    [result] = watcher.wait([ARN])
    assert result.succeeded and result.exit_codes == {"main": 0}
    assert watcher.rounds == 4


def test_task_missing_past_the_grace_window_is_reported_lost(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """A task still MISSING after the grace window comes back as a failed, lost result."""
    client, stubber = stubbed
    for _ in range(4):
        missing(stubber)
    clock = FakeClock()
    settings = WatchSettings(
        pace=Pace(initial_seconds=1.0, maximum_seconds=1.0), missing_grace_seconds=3.0
    )
    [result] = TaskWatcher(client, "demo", settings=settings, sleep=clock.sleep, clock=clock).wait(
        [ARN]
    )
    assert result.lost and not result.succeeded
    assert "MISSING" in result.reason


def test_missing_exit_code_on_stopped_task_is_a_failure(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """A STOPPED task whose essential container has no exit code is not a success."""
    client, stubber = stubbed
    described(stubber, "STOPPED", exit_code=None)
    clock = FakeClock()
    [result] = TaskWatcher(client, "demo", sleep=clock.sleep, clock=clock).wait([ARN])
    assert not result.succeeded
    assert result.exit_codes == {"main": None}


def test_timeout_raises_with_the_pending_tasks(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """At timeout_seconds the loop raises EcsTimeoutError naming the unfinished tasks; no call
    starts at or after the deadline."""
    client, stubber = stubbed
    for _ in range(2):
        described(stubber, "RUNNING")
    clock = FakeClock()
    settings = WatchSettings(
        pace=Pace(initial_seconds=1.0, maximum_seconds=1.0), timeout_seconds=2.0
    )
    with pytest.raises(EcsTimeoutError) as raised:
        TaskWatcher(client, "demo", settings=settings, sleep=clock.sleep, clock=clock).wait([ARN])
    assert raised.value.pending_task_arns == [ARN]
    assert clock.now == 2.0
