"""Which stopped tasks are relaunched: the platform's interruptions, within the count allowed;
never a task that failed on its own."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_pipelines.ecs.tasks import INTERRUPTIONS, EcsTaskResult, interruption_of, relaunch_decision
from ecs_pipelines.ecs.waiting import Relaunches

ARN = "arn:aws:ecs:us-east-1:123456789012:task/c/"


def stopped(
    stop_code: str | None, reason: str = "", exit_code: int | None = 1, **kw: Any
) -> EcsTaskResult:
    return EcsTaskResult(
        task_arn=kw.pop("arn", ARN + "a" * 32),
        last_status="STOPPED",
        stop_code=stop_code,
        stopped_reason=reason,
        exit_codes={"main": exit_code},
        succeeded=kw.pop("succeeded", False),
    )


@pytest.mark.parametrize(
    ("stop_code", "reason"),
    [
        ("SpotInterruption", "Your Spot Task was interrupted."),
        ("TerminationNotice", "Task stopped because the host is being retired."),
        ("TaskFailedToStart", "ResourceInitializationError: unable to pull secrets"),
        ("TaskFailedToStart", "CannotPullContainerError: dial tcp: i/o timeout"),
    ],
)
def test_an_interruption_is_relaunched(stop_code: str, reason: str) -> None:
    """Each stop code and reason of the table means the platform ended the task: relaunch."""
    decided = relaunch_decision(stopped(stop_code, reason, 143), relaunched=0, allowed=2)
    assert decided is not None and decided.number == 1
    assert decided.rule.source.startswith("https://docs.aws.amazon.com/AmazonECS/")
    assert stop_code in decided.message(2)


@pytest.mark.parametrize(
    ("stop_code", "reason"),
    [
        ("EssentialContainerExited", "Essential container in task exited"),
        ("UserInitiated", "Stopped by a user"),
        ("ServiceSchedulerInitiated", "Scaling activity"),
        ("TaskFailedToStart", "CannotPullContainerError: failed to resolve ref x: not found"),
        ("TaskFailedToStart", "CannotStartContainerError: exec format error"),
        (None, ""),
    ],
)
def test_a_task_that_failed_on_its_own_is_not_relaunched(
    stop_code: str | None, reason: str
) -> None:
    """A non-zero exit, a stop someone asked for, a missing image: the result stands."""
    assert relaunch_decision(stopped(stop_code, reason), relaunched=0, allowed=5) is None


def test_a_reclaimed_task_that_exited_zero_stands_as_a_success() -> None:
    """A Spot reclaim that reached a task whose container had already exited 0 (ECS reports
    the stop's cause beside the exit code) leaves the success as it is: no relaunch."""
    reclaimed = stopped("SpotInterruption", "Your Spot Task was interrupted.", 0, succeeded=True)
    assert interruption_of(reclaimed) is None
    assert relaunch_decision(reclaimed, relaunched=0, allowed=5) is None


def test_relaunches_stop_at_the_count_allowed() -> None:
    """The n-th interruption of a slot is relaunched only while n <= allowed; 0 relaunches none."""
    spot = stopped("SpotInterruption", "Your Spot Task was interrupted.")
    assert relaunch_decision(spot, relaunched=1, allowed=2) is not None
    assert relaunch_decision(spot, relaunched=2, allowed=2) is None
    assert relaunch_decision(spot, relaunched=0, allowed=0) is None
    assert interruption_of(stopped("SpotInterruption", succeeded=True, exit_code=0)) is None


def test_every_rule_is_cited() -> None:
    """Each row of the table names its stop code, what it means and the ECS page saying so."""
    for rule in INTERRUPTIONS:
        assert rule.stop_code and rule.meaning and rule.source.startswith("https://docs.aws")


def test_an_interrupted_slot_is_relaunched_and_counted() -> None:
    """The successor hook relaunches an interrupted task in its slot, at once, and records the
    attempt; the slot's relaunches are counted across its line; other results stand."""
    first = stopped("SpotInterruption", "Your Spot Task was interrupted.", arn=ARN + "1" * 32)
    fine = stopped("EssentialContainerExited", exit_code=0, succeeded=True, arn=ARN + "2" * 32)
    launched: list[tuple[int, int]] = []

    def relaunch(slot: int, decided: Any) -> str:
        launched.append((slot, decided.number))
        return ARN + str(3 + len(launched)) * 32

    relaunches = Relaunches([first.task_arn, fine.task_arn], relaunch=relaunch, allowed=1)
    second = relaunches.successor(first)
    assert second == ARN + "4" * 32
    assert relaunches.successor(fine) is None
    again = stopped("SpotInterruption", "Your Spot Task was interrupted.", arn=second)
    assert relaunches.successor(again) is None  # the slot's one relaunch is spent
    assert launched == [(0, 1)]
    [attempt] = relaunches.attempts
    assert (attempt.slot, attempt.task_arn, attempt.relaunched_as) == (0, first.task_arn, second)
    assert attempt.stop_code == "SpotInterruption"
