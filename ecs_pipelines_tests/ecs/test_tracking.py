"""Tracking across sensor ticks: cursor format and size, batched describes, budget, outcomes."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from ecs_pipelines.ecs.common import CursorError
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.tracking.ticks import (
    TaskGroup,
    TrackingState,
    task_digest,
    tick,
)

PREFIX = "arn:aws:ecs:us-east-1:123456789012:task/demo"
DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/etl:1"


def arn(task_id: str | None = None) -> str:
    return f"{PREFIX}/{task_id or uuid.uuid4().hex}"


def group(*arns: str, label: str = "") -> TaskGroup:
    return TaskGroup("demo", arns or (arn(),), label)


def task(task_arn: str, status: str = "RUNNING", exit_code: int | None = 0) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "lastStatus": status}
    described: dict[str, Any] = {
        "taskArn": task_arn,
        "lastStatus": status,
        "taskDefinitionArn": DEFINITION,
        "containers": [container],
    }
    if status == "STOPPED":
        described.update(stopCode="EssentialContainerExited", stoppedReason="Essential exited")
        if exit_code is not None:
            container["exitCode"] = exit_code
    return described


class FakeClock:
    """Time that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def answer(stubber: Stubber, tasks: list[dict[str, Any]], missing: list[str] = ()) -> None:
    failures = [{"arn": a, "reason": "MISSING"} for a in missing]
    expected = {"cluster": "demo", "tasks": ANY, "include": ["TAGS"]}
    stubber.add_response("describe_tasks", {"tasks": tasks, "failures": failures}, expected)


def no_definition(_: str) -> None:
    return None


# --- cursor ------------------------------------------------------------------------------


def test_cursor_round_trips_groups_labels_positions_and_seen() -> None:
    """Every group (sizes, labels, order, odd ARNs), the position and the seen set survive."""
    groups = (
        group(arn(), arn(), label='[null,["a"]]'),
        group(arn(str(uuid.uuid4()))),
        TaskGroup("other", ("arn:aws:ecs:us-east-1:1:task/other/not-an-id",), "x"),
        TaskGroup("demo", (arn(), f"{PREFIX}/{uuid.uuid4()}"), "x"),  # mixed id forms
        group(arn(), label='[null,["a"]]'),
    )
    state = TrackingState(groups=groups, after=42, seen=frozenset({task_digest(arn())}))
    assert TrackingState.from_cursor(state.to_cursor()) == state


def test_empty_cursor_is_the_empty_state() -> None:
    """No cursor means nothing tracked, no position and nothing seen."""
    assert TrackingState.from_cursor(None) == TrackingState()
    assert TrackingState.from_cursor(TrackingState().to_cursor()) == TrackingState()


@pytest.mark.parametrize(
    "cursor",
    [
        '{"v": 2}',
        "not json",
        '{"v":1,"tasks":[["demo","p","h!!",[]]]}',
        '{"v":1,"after":"x"}',
        '{"v":1,"seen":5}',
    ],
)
def test_unreadable_cursor_fails_loudly(cursor: str) -> None:
    """An unknown version or a damaged cursor raises instead of forgetting tracked tasks."""
    with pytest.raises(CursorError):
        TrackingState.from_cursor(cursor)


def test_cursor_for_ten_thousand_tasks_stays_compact() -> None:
    """10,000 tracked tasks take < 22 bytes each (< 220 KB), under a third of their ARNs as JSON.

    Dagster writes the cursor into every tick record, so the bound is paid per tick: 22 bytes
    is an ECS task id's 16 random bytes in base64 plus framing; ARNs as JSON take 81."""
    groups = tuple(group() for _ in range(10_000))
    cursor = TrackingState(groups=groups, after=123_456).to_cursor()
    assert len(cursor.encode()) < 10_000 * 22
    assert len(cursor.encode()) < len(json.dumps([g.task_arns[0] for g in groups])) / 3
    assert sum(len(g.task_arns) for g in TrackingState.from_cursor(cursor).groups) == 10_000


# --- tick --------------------------------------------------------------------------------


def test_describes_in_batches_of_one_hundred(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """n tracked tasks cost ceil(n/100) DescribeTasks calls, each with at most 100 tasks."""
    client, stubber = stubbed
    groups = [group() for _ in range(250)]
    for start in range(0, 250, 100):
        answer(stubber, [task(g.task_arns[0]) for g in groups[start : start + 100]])
    result = tick(client, groups, task_definition=no_definition)
    assert result.describe_calls == client.calls["describe_tasks"] == math.ceil(250 / 100)
    assert result.pending == tuple(groups) and not result.completions


def test_groups_straddling_batches_still_cost_ceil_n_over_100(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """Launches of 3 tasks are split across batches rather than leaving batches part-empty."""
    client, stubber = stubbed
    groups = [group(arn(), arn(), arn()) for _ in range(50)]  # 150 tasks
    arns = [a for g in groups for a in g.task_arns]
    answer(stubber, [task(a, "STOPPED") for a in arns[:100]])
    answer(stubber, [task(a, "STOPPED") for a in arns[100:]])
    result = tick(client, groups, task_definition=no_definition)
    assert result.describe_calls == 2
    assert len(result.completions) == 50 and all(c.succeeded for c in result.completions)


def test_budget_stops_early_and_the_next_tick_resumes_where_it_stopped(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """Past its budget a tick stops between batches; unvisited groups go first next time."""
    client, stubber = stubbed
    clock = FakeClock()
    client.ecs.meta.events.register(
        "before-parameter-build.ecs.DescribeTasks", lambda **_: clock.advance(10.0)
    )
    groups = [group() for _ in range(500)]
    for start in (0, 100):
        answer(stubber, [task(g.task_arns[0]) for g in groups[start : start + 100]])
    first = tick(client, groups, budget_seconds=25.0, clock=clock, task_definition=no_definition)
    assert first.stopped_early and first.describe_calls == 2 and first.visited_groups == 200
    assert first.pending == tuple(groups[200:] + groups[:200])  # round robin
    for start in (200, 300):
        answer(stubber, [task(g.task_arns[0], "STOPPED") for g in groups[start : start + 100]])
    second = tick(
        client, first.pending, budget_seconds=25.0, clock=clock, task_definition=no_definition
    )
    assert [c.group for c in second.completions] == groups[200:400]
    assert second.pending == tuple(groups[400:] + groups[:200])


def test_first_batch_always_runs_so_a_tick_makes_progress(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """Even with no budget left a tick describes one batch."""
    client, stubber = stubbed
    only = group()
    answer(stubber, [task(only.task_arns[0], "STOPPED")])
    result = tick(client, [only], budget_seconds=0.0, task_definition=no_definition)
    assert len(result.completions) == 1 and not result.stopped_early


def test_failed_task_completes_its_launch_and_names_running_siblings(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """One failed task of a launch reports the launch now, with the siblings still running."""
    client, stubber = stubbed
    failed, running = arn(), arn()
    answer(stubber, [task(failed, "STOPPED", exit_code=3), task(running)])
    [completion] = tick(client, [group(failed, running)], task_definition=no_definition).completions
    assert not completion.succeeded
    assert completion.unfinished == (running,)
    [result] = completion.failed
    assert result.exit_codes == {"main": 3} and result.stop_code == "EssentialContainerExited"


def test_task_ecs_no_longer_knows_is_reported_lost(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """A tracked task DescribeTasks answers MISSING for comes back as a failed, lost result."""
    client, stubber = stubbed
    forgotten = group()
    answer(stubber, [], missing=list(forgotten.task_arns))
    [completion] = tick(client, [forgotten], task_definition=no_definition).completions
    [result] = completion.results
    assert result.lost and not result.succeeded and "MISSING" in result.reason


def test_task_just_added_gets_one_tick_of_grace(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """MISSING right after launch (eventual consistency) keeps a new task pending once."""
    client, stubber = stubbed
    fresh = group()
    answer(stubber, [], missing=list(fresh.task_arns))
    result = tick(client, [fresh], task_definition=no_definition, grace=set(fresh.task_arns))
    assert result.pending == (fresh,) and not result.completions


def test_rejected_tasks_are_ignored_not_reported(stubbed: tuple[EcsTaskClient, Stubber]) -> None:
    """A task the filter turns down is dropped from tracking and not reported."""
    client, stubber = stubbed
    wanted, other = group(), group()
    answer(stubber, [task(wanted.task_arns[0], "STOPPED"), task(other.task_arns[0], "STOPPED")])
    result = tick(
        client,
        [wanted, other],
        task_definition=no_definition,
        accept=lambda t: t["taskArn"] == wanted.task_arns[0],
    )
    assert [c.group for c in result.completions] == [wanted]
    assert result.ignored == (other,) and not result.pending


def test_non_essential_container_failure_does_not_fail_the_task(
    stubbed: tuple[EcsTaskClient, Stubber],
) -> None:
    """Essential containers come from the task definition: a failed sidecar is not a failure."""
    client, stubber = stubbed
    only = group()
    described = task(only.task_arns[0], "STOPPED")
    described["containers"].append({"name": "sidecar", "lastStatus": "STOPPED", "exitCode": 1})
    answer(stubber, [described])
    definition = {
        "containerDefinitions": [{"name": "main"}, {"name": "sidecar", "essential": False}]
    }
    [completion] = tick(client, [only], task_definition=lambda _: definition).completions
    assert completion.succeeded
