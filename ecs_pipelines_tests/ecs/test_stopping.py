"""The one best-effort stop: every task stopped in its cluster, nothing raised over the cause,
a second interrupt held back until the stops are done."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.ecs.tasks.stopping import interrupts_held, stop_tasks

ARNS = [f"arn:aws:ecs:us-east-1:123456789012:task/demo/{n:032x}" for n in range(3)]


class RecordingClient:
    """Stands in for EcsTaskClient.stop: records calls, fails or interrupts on request."""

    def __init__(
        self, *, fail: frozenset[int] = frozenset(), interrupt_on: int | None = None
    ) -> None:
        self.stopped: list[tuple[str, str]] = []
        self.fail = fail
        self.interrupt_on = interrupt_on

    def stop(self, cluster: str, task: str, *, reason: str, deadline: Any = None) -> dict[str, Any]:
        index = ARNS.index(task)
        if index == self.interrupt_on:
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C while stopping
        if index in self.fail:
            raise ClientError({"Error": {"Code": "ServerException", "Message": "boom"}}, "StopTask")
        self.stopped.append((cluster, task))
        return {"taskArn": task, "lastStatus": "RUNNING", "desiredStatus": "STOPPED"}


def test_a_failed_stop_is_reported_and_the_others_still_stopped() -> None:
    """StopTask failing for one task neither raises nor keeps the next ones running."""
    client = RecordingClient(fail={0})
    report = stop_tasks(client, "other", ARNS, reason="cleanup")  # type: ignore[arg-type]
    assert client.stopped == [("other", ARNS[1]), ("other", ARNS[2])]
    assert list(report.failed) == [ARNS[0]] and "ServerException" in report.failed[ARNS[0]]


def test_a_second_interrupt_while_stopping_does_not_cut_the_stops_short() -> None:
    """SIGINT arriving during the stops is held: every task is stopped, then the original error
    (not a KeyboardInterrupt) reaches the caller."""
    client = RecordingClient(interrupt_on=0)
    with pytest.raises(RuntimeError, match="the original failure"):
        try:
            raise RuntimeError("the original failure")
        except RuntimeError:
            report = stop_tasks(client, "demo", ARNS, reason="cleanup")  # type: ignore[arg-type]
            raise
    assert [arn for _, arn in client.stopped] == ARNS
    assert report.interrupted


def test_an_interrupt_held_outside_an_error_is_delivered_afterwards() -> None:
    """Outside an except block a held Ctrl-C is delivered once the stops are done."""
    client = RecordingClient(interrupt_on=1)
    with pytest.raises(KeyboardInterrupt):
        stop_tasks(client, "demo", ARNS, reason="cleanup")  # type: ignore[arg-type]
    assert [arn for _, arn in client.stopped] == ARNS


def test_handlers_are_restored_after_holding() -> None:
    """The signal handlers in place before a stop are in place after it."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with interrupts_held():
        pass
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
