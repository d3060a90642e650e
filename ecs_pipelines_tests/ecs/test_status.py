"""The pure task-outcome decision and its helpers."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_pipelines.ecs.tasks.status import (
    Outcome,
    TaskVerdict,
    decide,
    essential_containers,
    exit_codes,
)

ESSENTIAL_EXIT = "Essential container in task exited"


def container(name: str, exit_code: int | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "lastStatus": "STOPPED", **extra}
    if exit_code is not None:
        found["exitCode"] = exit_code
    return found


def task(
    *containers: dict[str, Any],
    last_status: str = "STOPPED",
    stop_code: str | None = "EssentialContainerExited",
    stopped_reason: str | None = ESSENTIAL_EXIT,
    **extra: Any,
) -> dict[str, Any]:
    described: dict[str, Any] = {
        "taskArn": "arn:aws:ecs:us-east-1:1:task/demo/abc",
        "lastStatus": last_status,
        "desiredStatus": "STOPPED" if last_status == "STOPPED" else "RUNNING",
        "containers": list(containers),
        **extra,
    }
    if stop_code is not None:
        described["stopCode"] = stop_code
    if stopped_reason is not None:
        described["stoppedReason"] = stopped_reason
    return described


IN_FLIGHT = [
    "PROVISIONING",
    "PENDING",
    "ACTIVATING",
    "RUNNING",
    "DEACTIVATING",
    "STOPPING",
    "DEPROVISIONING",
]


@pytest.mark.parametrize("status", IN_FLIGHT)
def test_every_status_short_of_stopped_is_running(status: str) -> None:
    """Each lifecycle status before STOPPED is RUNNING, reported with the status."""
    verdict = decide(task(container("main"), last_status=status, stop_code=None))
    assert verdict.outcome is Outcome.RUNNING
    assert verdict.reason == f"running ({status})"
    assert verdict.last_status == status


def test_running_even_when_stop_requested() -> None:
    """desiredStatus STOPPED does not end the wait until lastStatus is STOPPED."""
    described = task(container("main", 0), last_status="DEPROVISIONING", desiredStatus="STOPPED")
    verdict = decide(described)
    assert verdict.outcome is Outcome.RUNNING
    assert verdict.reason == "running (DEPROVISIONING; stop requested)"


def test_running_without_last_status() -> None:
    """A task dict without lastStatus is treated as still running, not as finished."""
    verdict = decide({"containers": [container("main", 0)]})
    assert verdict.outcome is Outcome.RUNNING
    assert verdict.last_status == "UNKNOWN"


def test_all_essential_zero_succeeds() -> None:
    """STOPPED with every essential container at exit 0 succeeds."""
    verdict = decide(task(container("main", 0), container("log", 0)), frozenset({"main", "log"}))
    assert verdict == TaskVerdict(
        outcome=Outcome.SUCCEEDED,
        reason="all essential containers exited 0",
        exit_codes={"main": 0, "log": 0},
        stop_code="EssentialContainerExited",
        stopped_reason=ESSENTIAL_EXIT,
        last_status="STOPPED",
    )


def test_nonzero_exit_fails_with_readable_reason() -> None:
    """An essential container exiting 3 fails, naming it, the code and the stop code."""
    verdict = decide(task(container("main", 3)), frozenset({"main"}))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == (
        "container main exited 3 (stopCode EssentialContainerExited: "
        "Essential container in task exited)"
    )
    assert verdict.exit_codes == {"main": 3}


def test_missing_exit_code_fails_with_container_reason() -> None:
    """An essential container without an exit code fails, quoting its reason."""
    described = task(container("main", reason="OutOfMemoryError: Container killed"))
    verdict = decide(described, frozenset({"main"}))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason.startswith(
        "container main has no exit code (OutOfMemoryError: Container killed)"
    )
    assert verdict.exit_codes == {"main": None}


def test_missing_exit_code_without_reason_still_fails() -> None:
    """A missing exit code with no reason is still a failure, never a success."""
    verdict = decide(task(container("main"), stop_code=None, stopped_reason=None))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == "container main has no exit code"


def test_essential_container_absent_from_task_fails() -> None:
    """An essential name the task does not report at all is a failure naming it."""
    verdict = decide(task(container("main", 0)), frozenset({"main", "init"}))
    assert verdict.outcome is Outcome.FAILED
    assert "container init is missing from the task" in verdict.reason


def test_failed_to_start_uses_stopped_reason() -> None:
    """TaskFailedToStart fails with ECS's stopped reason, whatever the containers say."""
    described = task(
        container("main", 0),
        stop_code="TaskFailedToStart",
        stopped_reason="CannotStartContainerError: exec format error",
    )
    verdict = decide(described)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == "task failed to start: CannotStartContainerError: exec format error"


def test_failed_to_start_falls_back_to_container_reasons() -> None:
    """Without a stopped reason, a failed start quotes the containers' own reasons."""
    described = task(
        container("main", reason="CannotPullContainerError: not found"),
        stop_code="TaskFailedToStart",
        stopped_reason=None,
    )
    assert decide(described).reason == (
        "task failed to start: container main: CannotPullContainerError: not found"
    )


def test_sidecar_failure_is_ignored() -> None:
    """A non-essential sidecar's non-zero exit does not fail the task."""
    described = task(container("main", 0), container("envoy", 137))
    verdict = decide(described, frozenset({"main"}))
    assert verdict.outcome is Outcome.SUCCEEDED
    assert verdict.exit_codes == {"main": 0, "envoy": 137}


def test_unknown_definition_counts_every_container() -> None:
    """essential=None makes every container essential, so a sidecar's exit fails the task."""
    verdict = decide(task(container("main", 0), container("envoy", 137)), None)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason.startswith("container envoy exited 137")


def test_empty_essential_set_counts_every_container() -> None:
    """An empty essential set (impossible in ECS) is read as unknown, not as vacuous success."""
    verdict = decide(task(container("main", 1)), frozenset())
    assert verdict.outcome is Outcome.FAILED


def test_stopped_without_containers_fails() -> None:
    """A STOPPED task that reports no containers cannot be shown to succeed."""
    verdict = decide(task(stop_code=None, stopped_reason=None))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == "task stopped without reporting any containers"


def test_several_failures_are_all_named() -> None:
    """Every failing essential container appears in the reason, in task order."""
    verdict = decide(task(container("a", 1), container("b", 0), container("c")))
    assert verdict.reason.startswith("container a exited 1; container c has no exit code")


EXTERNAL = {
    "user stop, no exit codes": (
        task(container("main"), stop_code="UserInitiated", stopped_reason="Cancelled in Dagster"),
        "stopped by user: Cancelled in Dagster",
    ),
    "user stop, killed": (
        task(container("main", 143), stop_code="UserInitiated", stopped_reason="Task stopped"),
        "stopped by user: Task stopped; container main exited 143",
    ),
    "spot interruption": (
        task(
            container("main"),
            stop_code="SpotInterruption",
            stopped_reason="Your Spot Task was interrupted.",
        ),
        "Spot capacity reclaimed (SpotInterruption): Your Spot Task was interrupted.",
    ),
    "termination notice": (
        task(container("main", 137), stop_code="TerminationNotice", stopped_reason=None),
        "host terminated (TerminationNotice); container main exited 137",
    ),
    "service scheduler": (
        task(container("main"), stop_code="ServiceSchedulerInitiated", stopped_reason="Scaling in"),
        "stopped by the service scheduler (ServiceSchedulerInitiated): Scaling in",
    ),
}


@pytest.mark.parametrize(("described", "reason"), list(EXTERNAL.values()), ids=list(EXTERNAL))
def test_external_stops_name_their_cause(described: dict[str, Any], reason: str) -> None:
    """A task stopped from outside fails with the stop cause first, then any exits."""
    verdict = decide(described, frozenset({"main"}))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason == reason


def test_user_stop_with_clean_exit_succeeds() -> None:
    """A user stop that every essential container survived with exit 0 is a success."""
    described = task(container("main", 0), stop_code="UserInitiated", stopped_reason="stop")
    assert decide(described).outcome is Outcome.SUCCEEDED


def test_essential_containers_defaults_to_true() -> None:
    """Containers without an essential flag are essential; essential=false ones are not."""
    definition = {
        "containerDefinitions": [
            {"name": "main"},
            {"name": "init", "essential": True},
            {"name": "sidecar", "essential": False},
        ]
    }
    assert essential_containers(definition) == frozenset({"main", "init"})


def test_essential_containers_unwraps_describe_response() -> None:
    """DescribeTaskDefinition's whole response works as well as the definition itself."""
    response = {"taskDefinition": {"containerDefinitions": [{"name": "main"}]}, "tags": []}
    assert essential_containers(response) == frozenset({"main"})


@pytest.mark.parametrize(
    "definition",
    [None, {}, {"containerDefinitions": []}, {"containerDefinitions": [{"essential": True}]}],
    ids=["none", "empty", "no containers", "nameless"],
)
def test_essential_containers_unknown(definition: dict[str, Any] | None) -> None:
    """Without any named container definition the essential set is unknown (None)."""
    assert essential_containers(definition) is None


def test_exit_codes_maps_every_container() -> None:
    """exit_codes covers all containers, with None where ECS gave no integer code."""
    described = task(container("main", 0), container("side"), container("odd", exitCode="1"))
    assert exit_codes(described) == {"main": 0, "side": None, "odd": None}


def test_exit_codes_of_task_without_containers() -> None:
    """A task dict with no containers key gives an empty mapping."""
    assert exit_codes({"lastStatus": "PENDING"}) == {}


def test_outcome_values_are_strings() -> None:
    """Outcome members compare equal to their lower-case names (stable for logs and JSON)."""
    assert [o.value for o in Outcome] == ["running", "succeeded", "failed"]
    assert isinstance(Outcome.FAILED, str)
    assert str(Outcome.FAILED) == "failed"
