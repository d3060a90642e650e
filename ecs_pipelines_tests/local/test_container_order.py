"""dependsOn decisions and health tracking (pure): ECS's conditions, Docker's start period."""

from __future__ import annotations

import pytest

from ecs_pipelines.local.runtime.container_order import (
    GO,
    WAIT,
    Dependency,
    Progress,
    cyclic_containers,
    decide,
    verdict,
)
from ecs_pipelines.local.runtime.health_checks import (
    HealthCheck,
    HealthTracker,
    parse_health_check,
    task_health,
)

RUNNING = Progress(started=True, ended=False, exit_code=None, health=None)
WAITING = Progress(started=False, ended=False, exit_code=None, health=None)
EXITED_0 = Progress(started=True, ended=True, exit_code=0, health=None)
EXITED_1 = Progress(started=True, ended=True, exit_code=1, health=None)
NEVER_RAN = Progress(started=False, ended=True, exit_code=None, health=None)


@pytest.mark.parametrize(
    ("condition", "progress", "expected"),
    [
        ("START", WAITING, WAIT),
        ("START", RUNNING, GO),
        ("START", EXITED_1, GO),
        ("COMPLETE", RUNNING, WAIT),
        ("COMPLETE", EXITED_1, GO),
        ("SUCCESS", RUNNING, WAIT),
        ("SUCCESS", EXITED_0, GO),
        ("HEALTHY", Progress(True, False, None, "UNKNOWN"), WAIT),
        ("HEALTHY", Progress(True, False, None, "HEALTHY"), GO),
    ],
)
def test_conditions_that_hold_or_may_still(
    condition: str, progress: Progress, expected: str
) -> None:
    """Each condition waits while it may still hold and goes once it holds."""
    assert verdict("main", Dependency("init", condition), progress) == expected


@pytest.mark.parametrize(
    ("condition", "progress"),
    [
        ("START", NEVER_RAN),
        ("COMPLETE", NEVER_RAN),
        ("SUCCESS", EXITED_1),
        ("HEALTHY", RUNNING),  # no health check
        ("HEALTHY", Progress(True, False, None, "UNHEALTHY")),
        ("HEALTHY", Progress(True, True, 0, "UNKNOWN")),
    ],
)
def test_conditions_that_can_never_hold(condition: str, progress: Progress) -> None:
    """A condition that can no longer hold is a reason, not a wait."""
    found = verdict("main", Dependency("init", condition), progress)
    assert found not in (GO, WAIT)
    assert "[init]" in found and "[main]" in found


def test_every_dependency_must_hold_and_cycles_never_do() -> None:
    """All conditions must hold; an unknown container or a cycle never does."""
    deps = (Dependency("a", "START"), Dependency("b", "SUCCESS"))
    assert decide("main", deps, {"a": RUNNING, "b": RUNNING}, frozenset()) == WAIT
    assert decide("main", deps, {"a": RUNNING, "b": EXITED_0}, frozenset()) == GO
    assert decide("main", deps, {"a": RUNNING}, frozenset()) not in (GO, WAIT)
    graph = {"x": (Dependency("y", "START"),), "y": (Dependency("x", "START"),), "z": ()}
    assert cyclic_containers(graph) == {"x", "y"}


def test_start_period_failures_do_not_count() -> None:
    """Failures inside startPeriod are ignored until a first success; then retries count."""
    tracker = HealthTracker(HealthCheck(argv=("true",), retries=2, start_period=10))
    assert tracker.record(False, 1.0) == "UNKNOWN"
    assert tracker.record(False, 11.0) == "UNKNOWN"
    assert tracker.record(False, 12.0) == "UNHEALTHY"
    assert tracker.record(True, 13.0) == "HEALTHY"
    assert tracker.record(False, 14.0) == "HEALTHY"


def test_health_check_commands() -> None:
    """CMD runs its arguments, CMD-SHELL a shell text, NONE nothing; ECS's defaults apply."""
    shell = parse_health_check({"command": ["CMD-SHELL", "curl -f localhost || exit 1"]})
    assert shell == HealthCheck(argv=("/bin/sh", "-c", "curl -f localhost || exit 1"))
    assert (shell.interval, shell.timeout, shell.retries, shell.start_period) == (30, 5, 3, 0)
    assert parse_health_check({"command": ["CMD", "true"], "interval": 5}) == HealthCheck(
        argv=("true",), interval=5
    )
    assert parse_health_check({"command": ["NONE"]}) is None


def test_task_health_counts_essential_checked_containers() -> None:
    """Any UNHEALTHY makes the task UNHEALTHY; all HEALTHY makes it HEALTHY; else UNKNOWN."""
    assert task_health([None]) == "UNKNOWN"
    assert task_health(["HEALTHY", None]) == "HEALTHY"
    assert task_health(["HEALTHY", "UNKNOWN"]) == "UNKNOWN"
    assert task_health(["HEALTHY", "UNHEALTHY"]) == "UNHEALTHY"
