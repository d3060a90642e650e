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


def test_a_container_in_a_cycle_never_starts_and_one_beside_it_is_not_in_it() -> None:
    """A container on a dependsOn cycle gets its own reason; one that only depends on the
    cycle is not part of it (it waits on it, and gives up when the cycle's containers do)."""
    graph = {
        "a": (Dependency("b", "START"),),
        "b": (Dependency("c", "START"),),
        "c": (Dependency("b", "START"),),
        "self": (Dependency("self", "START"),),
        "unknown": (Dependency("ghost", "START"),),
    }
    cyclic = cyclic_containers(graph)
    assert cyclic == {"b", "c", "self"}
    reason = decide("b", graph["b"], {"c": WAITING}, cyclic)
    assert reason == (
        "DependencyConditionError: dependency graph: container b depends on itself through "
        "dependsOn"
    )
    assert decide("a", graph["a"], {"b": WAITING}, cyclic) == WAIT
    assert decide("a", graph["a"], {"b": NEVER_RAN}, cyclic) not in (GO, WAIT)


def test_an_unknown_condition_or_container_never_holds() -> None:
    """A condition ECS does not define, or a container not in the task, is a reason at once."""
    unknown = verdict("main", Dependency("init", "READY"), RUNNING)
    assert "condition READY is not known" in unknown
    missing = verdict("main", Dependency("ghost", "START"), None)
    assert "the dependency is not a container of the task" in missing


def test_healthy_holds_only_while_the_dependency_runs() -> None:
    """HEALTHY is confirmed at startup only: a dependency that stopped, even healthy, fails it."""
    stopped_healthy = Progress(started=True, ended=True, exit_code=0, health="HEALTHY")
    found = verdict("main", Dependency("web", "HEALTHY"), stopped_healthy)
    assert "dependency did not become healthy" in found


@pytest.mark.parametrize(
    ("definition", "argv"),
    [
        (None, None),
        ({}, None),
        ({"command": []}, None),
        ({"command": ["CMD"]}, None),
        ({"command": ["curl -f localhost"]}, ("/bin/sh", "-c", "curl -f localhost")),
        ({"command": ["CMD-SHELL", "a", "b"]}, ("/bin/sh", "-c", "a b")),
    ],
)
def test_health_check_command_forms(
    definition: dict[str, object] | None, argv: tuple[str, ...] | None
) -> None:
    """No command (or CMD with nothing) means no check; a bare text runs in the shell, as
    Docker reads it; CMD-SHELL's words are one shell text."""
    check = parse_health_check(definition)
    assert (check.argv if check else None) == argv


def test_failures_after_a_success_count_up_to_the_retries() -> None:
    """A healthy container turns UNHEALTHY after ``retries`` failures in a row; a success resets
    the count."""
    tracker = HealthTracker(HealthCheck(argv=("true",), retries=3))
    assert tracker.record(True, 1.0) == "HEALTHY"
    assert tracker.record(False, 2.0) == "HEALTHY"
    assert tracker.record(False, 3.0) == "HEALTHY"
    assert tracker.record(True, 4.0) == "HEALTHY"
    for elapsed in (5.0, 6.0):
        assert tracker.record(False, elapsed) == "HEALTHY"
    assert tracker.record(False, 7.0) == "UNHEALTHY"
