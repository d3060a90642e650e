"""The fault plan: its syntax (text or JSON), its errors, and its seeded, deterministic
decisions; the cap on running tasks."""

from __future__ import annotations

import pytest

from ecs_pipelines.local.rules import (
    FaultDecider,
    FaultPlanError,
    LaunchTarget,
    no_capacity_failures,
    over_cap,
    parse_fault_plan,
)
from ecs_pipelines.local.rules.fault_decider import EC2_NO_CAPACITY, FARGATE_NO_CAPACITY

FARGATE = LaunchTarget("demo", "FARGATE", None)
SPOT = LaunchTarget("arn:aws:ecs:us-east-1:123456789012:cluster/demo", None, "FARGATE_SPOT")
EC2 = LaunchTarget("demo", "EC2", None)
EXAMPLE = (
    "no-capacity:provider=FARGATE_SPOT,rate=0.3,seed=7;spot-reclaim:after=5s,warning=1s;"
    "pull-error:count=2;throttle:api=RunTask,rate=0.2"
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_text_syntax() -> None:
    """The documented example reads as four faults and one seed."""
    plan = parse_fault_plan(EXAMPLE)
    assert plan.seed == 7
    kinds = [fault.kind for fault in plan.faults]
    assert kinds == ["no-capacity", "spot-reclaim", "pull-error", "throttle"]
    no_capacity, reclaim, pull, throttle = plan.faults
    assert (no_capacity.provider, no_capacity.rate) == ("FARGATE_SPOT", 0.3)
    assert (reclaim.after_seconds, reclaim.warning_seconds) == (5.0, 1.0)
    assert pull.count == 2
    assert (throttle.api, throttle.rate, throttle.code) == ("RunTask", 0.2, "ThrottlingException")


def test_json_says_the_same_as_text() -> None:
    """A JSON plan gives the same faults as its text form."""
    document = (
        '{"seed": 7, "faults": [{"kind": "no-capacity", "provider": "FARGATE_SPOT", '
        '"rate": 0.3}, {"kind": "spot-reclaim", "after": "5s", "warning": "1s"}, '
        '{"kind": "pull-error", "count": 2}, {"kind": "throttle", "api": "RunTask", '
        '"rate": 0.2}]}'
    )
    assert parse_fault_plan(document) == parse_fault_plan(EXAMPLE)
    assert not parse_fault_plan("").faults and not parse_fault_plan("  ").faults


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("out-of-memory:count=1", r"faults\[0\] \(out-of-memory\): unknown kind"),
        ("no-capacity:rate=1.5", r"faults\[0\] \(no-capacity\)\.rate: must be 0\.\.1, got 1\.5"),
        ("pull-error:count=0", r"\.count: must be 1\.\.1000000, got 0"),
        ("spot-reclaim:after=soon", r"\.after: must be a duration such as 500ms"),
        ("throttle:api=StopTask", r"\.api: must be one of RunTask, DescribeTasks"),
        ("no-capacity:colour=red", r"unknown settings \['colour'\]"),
        ("no-capacity:from=5s,until=2s", r"\.until: must come after from"),
        ("no-capacity:count", r"'count' is not name=value"),
        ("{not json", r"faults: not valid JSON"),
    ],
)
def test_a_bad_plan_names_the_fault_the_setting_and_the_limit(text: str, message: str) -> None:
    """Each mistake is refused with a message naming where it is and what is allowed."""
    with pytest.raises(FaultPlanError, match=message):
        parse_fault_plan(text)


def test_a_seeded_rate_decides_the_same_way_every_time() -> None:
    """Two deciders of the same seeded plan, given the same calls, decide alike; another seed
    decides otherwise."""
    plan = parse_fault_plan("no-capacity:rate=0.5,seed=7")
    decider, again = FaultDecider(plan), FaultDecider(plan)
    first = [decider.no_capacity(FARGATE) is not None for _ in range(40)]
    second = [again.no_capacity(FARGATE) is not None for _ in range(40)]
    assert first == second
    assert 5 < sum(first) < 35
    other = FaultDecider(parse_fault_plan("no-capacity:rate=0.5,seed=8"))
    assert [other.no_capacity(FARGATE) is not None for _ in range(40)] != first


def test_a_count_fires_that_many_times() -> None:
    """``count=2`` refuses the first two matching launches, then none."""
    decider = FaultDecider(parse_fault_plan("no-capacity:count=2"))
    answers = [decider.no_capacity(FARGATE) for _ in range(4)]
    assert answers == [FARGATE_NO_CAPACITY, FARGATE_NO_CAPACITY, None, None]


def test_a_window_counts_from_when_the_plan_was_set() -> None:
    """``from`` and ``until`` bound a fault in time since the plan was set."""
    clock = Clock()
    decider = FaultDecider(parse_fault_plan("throttle:api=DescribeTasks,from=1s,until=3s"), clock)
    assert decider.throttle("DescribeTasks") is None
    clock.now += 1.5
    assert decider.throttle("DescribeTasks") == "ThrottlingException"
    assert decider.throttle("RunTask") is None
    clock.now += 2.0
    assert decider.throttle("DescribeTasks") is None


def test_no_capacity_narrows_to_a_provider_a_launch_type_or_a_cluster() -> None:
    """A fault narrowed to FARGATE_SPOT, EC2 or a cluster leaves other launches alone, and
    answers as ECS does there (RESOURCE:CPU on EC2)."""
    spot = FaultDecider(parse_fault_plan("no-capacity:provider=FARGATE_SPOT"))
    assert spot.no_capacity(FARGATE) is None
    assert spot.no_capacity(SPOT) == FARGATE_NO_CAPACITY
    ec2 = FaultDecider(parse_fault_plan("no-capacity:launch-type=EC2"))
    assert ec2.no_capacity(FARGATE) is None
    assert ec2.no_capacity(EC2) == EC2_NO_CAPACITY
    other = FaultDecider(parse_fault_plan("no-capacity:cluster=other,reason=AGENT"))
    assert other.no_capacity(SPOT) is None
    assert (
        FaultDecider(parse_fault_plan("no-capacity:cluster=demo,reason=AGENT")).no_capacity(SPOT)
        == "AGENT"
    )


def test_task_faults() -> None:
    """A pull error fails the start with ECS's prefix; a Spot reclaim applies to FARGATE_SPOT
    tasks unless narrowed otherwise."""
    pull = FaultDecider(parse_fault_plan("pull-error:count=1")).task_faults(FARGATE, "img:1")
    assert pull.start_failure is not None
    assert pull.start_failure.startswith("CannotPullContainerError: ")
    init = FaultDecider(parse_fault_plan("init-error")).task_faults(FARGATE, "img:1")
    assert init.start_failure is not None
    assert init.start_failure.startswith("ResourceInitializationError: ")
    reclaim = FaultDecider(parse_fault_plan("spot-reclaim:after=2s,warning=500ms"))
    assert reclaim.task_faults(FARGATE, "img").reclaim_after_seconds is None
    spot = reclaim.task_faults(SPOT, "img")
    assert (spot.reclaim_after_seconds, spot.reclaim_warning_seconds) == (2.0, 0.5)


def test_the_cap_on_running_tasks() -> None:
    """Past the cap, every task asked for is a failure, worded as ECS words no capacity."""
    assert not over_cap(running=3, count=1, cap=4)
    assert over_cap(running=3, count=2, cap=4)
    fargate = no_capacity_failures(2, fargate=True)
    assert fargate == [{"reason": FARGATE_NO_CAPACITY}] * 2
    ec2 = no_capacity_failures(1, fargate=False, instance_arn="arn:ci")
    assert ec2 == [{"reason": EC2_NO_CAPACITY, "arn": "arn:ci"}]
