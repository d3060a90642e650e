"""Pure decision: a described ECS task -> running, succeeded or failed, and why.

Modelled on botocore's waiter acceptors: the facts are read from the task once, then a small
ordered table of acceptors is tried and the first that matches names the outcome. No I/O; the
caller passes in DescribeTasks' task dict and, when known, the essential container names.

Unlike botocore's ``tasks_stopped`` waiter, STOPPED alone is not success: a task succeeded
only when it reached STOPPED, did not fail to start, and every essential container exited 0.
A missing exit code on an essential container is a failure, since ECS omits it exactly when
the container never ran or was killed without a status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ecs_pipelines.ecs.common import StopCode, TaskStatus

__all__ = [
    "Outcome",
    "TaskVerdict",
    "decide",
    "essential_containers",
    "exit_codes",
    "first_essential_container",
]

STOPPED = TaskStatus.STOPPED
FAILED_TO_START = StopCode.TASK_FAILED_TO_START

# Stop codes that mean something outside the task ended it; the failure is told as that cause
# first, because a container's 137/143 exit is then a symptom, not the reason.
_EXTERNAL_STOPS: dict[str, str] = {
    StopCode.USER_INITIATED: "stopped by user",
    StopCode.SPOT_INTERRUPTION: "Spot capacity reclaimed (SpotInterruption)",
    StopCode.TERMINATION_NOTICE: "host terminated (TerminationNotice)",
    StopCode.SERVICE_SCHEDULER_INITIATED: (
        "stopped by the service scheduler (ServiceSchedulerInitiated)"
    ),
}


class Outcome(StrEnum):
    """Where a task stands: still going, or finished one way or the other."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class TaskVerdict:
    """The decision about one task, with the facts it rests on."""

    outcome: Outcome
    reason: str
    exit_codes: Mapping[str, int | None]
    stop_code: str | None
    stopped_reason: str | None
    last_status: str


def essential_containers(task_definition: Mapping[str, Any] | None) -> frozenset[str] | None:
    """Names of the essential containers (``essential`` defaults to true); None when unknown.

    Accepts the task definition itself or DescribeTaskDefinition's whole response.
    """
    if not task_definition:
        return None
    inner = task_definition.get("taskDefinition")
    if isinstance(inner, Mapping):
        task_definition = inner
    definitions = task_definition.get("containerDefinitions") or []
    names = frozenset(
        c["name"] for c in definitions if c.get("name") and c.get("essential", True) is not False
    )
    # ECS requires at least one essential container, so an empty set means "cannot tell".
    return names or None


def exit_codes(task: Mapping[str, Any]) -> dict[str, int | None]:
    """Container name -> exit code for every container of the task (None when not reported)."""
    codes: dict[str, int | None] = {}
    for container in task.get("containers") or []:
        code = container.get("exitCode")
        valid = isinstance(code, int) and not isinstance(code, bool)
        codes[str(container.get("name", "?"))] = code if valid else None
    return codes


@dataclass(frozen=True)
class _Facts:
    """What the acceptors look at, read from the task once."""

    last_status: str
    desired_status: str | None
    stop_code: str | None
    stopped_reason: str | None
    exit_codes: dict[str, int | None]
    # Essential containers that did not exit 0, each already described in words.
    problems: tuple[str, ...]
    nonzero_exits: tuple[str, ...]  # the subset of problems that are reported non-zero exits
    container_reasons: tuple[str, ...]
    checked: int  # how many essential containers were examined


@dataclass(frozen=True)
class _Acceptor:
    """One row of the table: when ``matches``, the task has ``outcome`` for ``explain``'s reason."""

    name: str
    outcome: Outcome
    matches: Callable[[_Facts], bool]
    explain: Callable[[_Facts], str]


def _running_reason(facts: _Facts) -> str:
    if facts.desired_status == STOPPED:
        return f"running ({facts.last_status}; stop requested)"
    return f"running ({facts.last_status})"


def _failed_to_start(facts: _Facts) -> str:
    detail = facts.stopped_reason or "; ".join(facts.container_reasons) or "no reason given"
    return f"task failed to start: {detail}"


def _external_stop(facts: _Facts) -> str:
    label = _EXTERNAL_STOPS[facts.stop_code or ""]
    text = f"{label}: {facts.stopped_reason}" if facts.stopped_reason else label
    # Only exits that were actually reported add anything to the stop cause.
    exited = facts.nonzero_exits
    return f"{text}; {'; '.join(exited)}" if exited else text


def _stop_suffix(facts: _Facts) -> str:
    if facts.stop_code and facts.stopped_reason:
        return f" (stopCode {facts.stop_code}: {facts.stopped_reason})"
    if facts.stop_code or facts.stopped_reason:
        return f" ({facts.stop_code or facts.stopped_reason})"
    return ""


_ACCEPTORS: tuple[_Acceptor, ...] = (
    # Any status short of STOPPED is in flight, even once a stop was requested.
    _Acceptor("in-flight", Outcome.RUNNING, lambda f: f.last_status != STOPPED, _running_reason),
    _Acceptor(
        "failed-to-start",
        Outcome.FAILED,
        lambda f: f.stop_code == FAILED_TO_START,
        _failed_to_start,
    ),
    _Acceptor(
        "no-containers",
        Outcome.FAILED,
        lambda f: f.checked == 0,
        lambda f: "task stopped without reporting any containers" + _stop_suffix(f),
    ),
    _Acceptor(
        "stopped-externally",
        Outcome.FAILED,
        lambda f: bool(f.problems) and f.stop_code in _EXTERNAL_STOPS,
        _external_stop,
    ),
    _Acceptor(
        "essential-failed",
        Outcome.FAILED,
        lambda f: bool(f.problems),
        lambda f: "; ".join(f.problems) + _stop_suffix(f),
    ),
    _Acceptor(
        "all-essential-zero",
        Outcome.SUCCEEDED,
        lambda f: True,
        lambda f: "all essential containers exited 0",
    ),
)


def decide(task: Mapping[str, Any], essential: frozenset[str] | None = None) -> TaskVerdict:
    """Decides one DescribeTasks task; ``essential=None`` counts every container as essential."""
    facts = _read_facts(task, essential)
    for acceptor in _ACCEPTORS:
        if acceptor.matches(facts):
            return TaskVerdict(
                outcome=acceptor.outcome,
                reason=acceptor.explain(facts),
                exit_codes=facts.exit_codes,
                stop_code=facts.stop_code,
                stopped_reason=facts.stopped_reason,
                last_status=facts.last_status,
            )
    raise AssertionError("the last acceptor always matches")  # pragma: no cover


def _read_facts(task: Mapping[str, Any], essential: frozenset[str] | None) -> _Facts:
    containers = {str(c.get("name", "?")): c for c in task.get("containers") or []}
    codes = exit_codes(task)
    # An empty set cannot be right (ECS needs one essential container); treat it as unknown.
    wanted = essential or frozenset(containers)
    problems: list[str] = []
    nonzero: list[str] = []
    # Task order first so the message follows the task definition; then absent ones, sorted.
    for name in [*(n for n in containers if n in wanted), *sorted(wanted - set(containers))]:
        code = codes.get(name)
        if code == 0:
            continue
        if name not in containers:
            problems.append(f"container {name} is missing from the task")
        elif code is None:
            why = containers[name].get("reason")
            problems.append(f"container {name} has no exit code" + (f" ({why})" if why else ""))
        else:
            nonzero.append(f"container {name} exited {code}")
            problems.append(nonzero[-1])
    reasons = tuple(
        f"container {name}: {c['reason']}" for name, c in containers.items() if c.get("reason")
    )
    return _Facts(
        last_status=str(task.get("lastStatus") or "UNKNOWN"),
        desired_status=task.get("desiredStatus"),
        stop_code=task.get("stopCode"),
        stopped_reason=task.get("stoppedReason"),
        exit_codes=codes,
        problems=tuple(problems),
        nonzero_exits=tuple(nonzero),
        container_reasons=reasons,
        checked=len(wanted),
    )


def first_essential_container(task_definition: Mapping[str, Any]) -> str | None:
    """The container that receives overrides by default: the first essential one (or first)."""
    containers = task_definition.get("containerDefinitions") or []
    essential = essential_containers(task_definition) or frozenset()
    for container in containers:
        if container.get("name") in essential:
            return str(container["name"])
    return str(containers[0]["name"]) if containers else None
