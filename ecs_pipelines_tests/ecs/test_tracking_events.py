"""A sensor tick on task state events (core, no Dagster): decided from events without
DescribeTasks, what the cursor keeps, which messages are deleted now, next tick, or handed
back. SQS is moto's over HTTP; DescribeTasks answers come from a Stubber."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecs_pipelines.ecs.common import Retrier
from ecs_pipelines.ecs.events import TaskEvent, TaskEventQueue
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.tracking import (
    TaskGroup,
    TrackingState,
    listed_by,
    sweep_due,
    task_digest,
    tick,
    tick_with_events,
)
from ecs_pipelines_tests.ecs.test_tracking import answer, arn, no_definition, task

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/demo"


def event_body(task_arn: str, status: str, version: int, exit_code: int | None = 0) -> str:
    detail = {**task(task_arn, status, exit_code), "clusterArn": CLUSTER_ARN, "version": version}
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "ECS Task State Change",
            "source": "aws.ecs",
            "resources": [task_arn],
            "detail": detail,
        }
    )


@pytest.fixture
def queue(
    moto_endpoint: str, make_client: Callable[..., Any]
) -> Iterator[tuple[TaskEventQueue, Any]]:
    sqs = make_client("sqs", moto_endpoint)
    url = sqs.create_queue(QueueName=f"tick-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    yield TaskEventQueue(sqs, url, retrier=Retrier(sleep=lambda _: None)), sqs
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def ecs() -> Iterator[tuple[EcsTaskClient, Stubber]]:
    client = boto3.client(
        "ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield EcsTaskClient(client, retrier=Retrier(sleep=lambda _: None)), stubber
        stubber.assert_no_pending_responses()


def hidden(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"])


def visible(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_the_cursor_keeps_done_tasks_receipts_and_the_sweep() -> None:
    """The members serving events survive the cursor; a cursor without them reads as before."""
    group = TaskGroup("demo", (arn(), arn()))
    state = TrackingState(
        groups=(group,),
        done=frozenset({task_digest(group.task_arns[0])}),
        receipts=("r1", "r2"),
        sweep_left=1,
        swept_at=1767225600,
    )
    assert TrackingState.from_cursor(state.to_cursor()) == state
    plain = TrackingState.from_cursor(TrackingState(groups=(group,)).to_cursor())
    assert (plain.done, plain.receipts, plain.sweep_left, plain.swept_at) == (
        frozenset(),
        (),
        0,
        None,
    )


def test_a_stop_from_an_event_is_decided_by_one_describe_of_the_stopped_tasks(
    ecs: tuple[EcsTaskClient, Stubber],
) -> None:
    """Groups not to describe are described only for the tasks an event says stopped, in one
    call; the description decides, and a group an event says nothing of is not described."""
    client, stubber = ecs
    ended, running, quiet = group_of(1), group_of(1), group_of(1)
    known = {
        ended.task_arns[0]: task(ended.task_arns[0], "STOPPED", 0),
        running.task_arns[0]: task(running.task_arns[0], "RUNNING"),
    }
    stubber.add_response(
        "describe_tasks",
        {"tasks": [task(ended.task_arns[0], "STOPPED", 0)], "failures": []},
        {"cluster": "demo", "tasks": [ended.task_arns[0]], "include": ["TAGS"]},
    )
    result = tick(
        client, [ended, running, quiet], known=known, describe=[], task_definition=no_definition
    )
    assert [c.group for c in result.completions] == [ended]
    assert result.pending == (running, quiet) and result.describe_calls == 1
    assert result.unconfirmed == ()


def test_a_stop_the_description_does_not_show_decides_nothing_and_is_counted(
    ecs: tuple[EcsTaskClient, Stubber],
) -> None:
    """An event's success (whatever its version) is dropped when DescribeTasks shows the task
    running (it stays tracked) or does not know it (lost, as when polling); both are counted."""
    client, stubber = ecs
    forged, gone = group_of(1), group_of(1)
    [arn], [unknown] = forged.task_arns, gone.task_arns
    known = {
        arn: {**task(arn, "STOPPED", 0), "version": 10**9},
        unknown: task(unknown, "STOPPED", 0),
    }
    answer(stubber, [task(arn, "RUNNING")], missing=[unknown])
    result = tick(client, [forged, gone], known=known, describe=[], task_definition=no_definition)
    [lost] = result.completions
    assert lost.group == gone and lost.results[0].lost and not lost.succeeded
    assert result.pending == (forged,) and set(result.unconfirmed) == {arn, unknown}


def test_a_task_known_only_by_its_events_is_dropped_unless_described_under_its_arn(
    ecs: tuple[EcsTaskClient, Stubber],
) -> None:
    """A task adopted from its events is described: MISSING, or answered under another ARN,
    its group is dropped (neither tracked nor reported) and counted."""
    client, stubber = ecs
    real, unknown, elsewhere = group_of(1), group_of(1), group_of(1)
    [elsewhere_arn] = elsewhere.task_arns
    same_id = elsewhere_arn.replace("123456789012", "999999999999")
    copy = TaskGroup("demo", (same_id,))
    answer(stubber, [task(real.task_arns[0]), task(elsewhere_arn)], missing=[unknown.task_arns[0]])
    adopted = {real.task_arns[0], unknown.task_arns[0], same_id}
    result = tick(client, [real, unknown, copy], adopted=adopted, task_definition=no_definition)
    assert result.pending == (real,) and result.dropped == (unknown, copy)
    assert not result.completions
    assert set(result.unconfirmed) == {unknown.task_arns[0], same_id}


def test_a_group_whose_task_ended_earlier_waits_for_its_state(
    ecs: tuple[EcsTaskClient, Stubber],
) -> None:
    """A task found ended is remembered as done; its group completes only when that task's
    state is at hand again (described with the stop of the group's last task)."""
    client, stubber = ecs
    first, second = arn(), arn()
    group = TaskGroup("demo", (first, second))
    answer(stubber, [task(first, "STOPPED")])
    earlier = tick(
        client,
        [group],
        known={first: task(first, "STOPPED")},
        describe=[],
        task_definition=no_definition,
    )
    assert earlier.pending == (group,) and earlier.done == {task_digest(first)}
    stubber.add_response(
        "describe_tasks",
        {"tasks": [task(first, "STOPPED"), task(second, "STOPPED")], "failures": []},
        {"cluster": "demo", "tasks": [first, second], "include": ["TAGS"]},
    )
    later = tick(
        client,
        [group],
        known={second: task(second, "STOPPED")},
        describe=[],
        done=earlier.done,
        task_definition=no_definition,
    )
    [completion] = later.completions
    assert completion.succeeded and later.done == frozenset() and later.describe_calls == 1


def group_of(size: int) -> TaskGroup:
    return TaskGroup("demo", tuple(arn() for _ in range(size)))


def test_ticks_on_events_apply_then_delete_their_messages_a_tick_later(
    ecs: tuple[EcsTaskClient, Stubber], queue: tuple[TaskEventQueue, Any]
) -> None:
    """New groups are described once; later ends come from events, confirmed by one
    DescribeTasks; the messages of what the cursor keeps are deleted by the next tick, the
    rest at once."""
    client, stubber = ecs
    events, sqs = queue
    tracked, other = group_of(1), arn()
    [mine] = tracked.task_arns
    answer(stubber, [task(mine, "RUNNING")])
    first = tick_with_events(
        client, events, TrackingState(), [tracked], budget_seconds=10, visibility_seconds=60,
        task_definition=no_definition,
    )  # fmt: skip
    state, delete, _ = first.next_state()
    assert state.groups == (tracked,) and not delete and state.swept_at is not None
    for body in (
        event_body(mine, "RUNNING", 2),
        event_body(mine, "STOPPED", 4),
        event_body(mine, "STOPPING", 3),  # late
        event_body(other, "STOPPED", 2),  # not tracked
        "not an event",
    ):
        sqs.send_message(QueueUrl=events.queue_url, MessageBody=body)
    answer(stubber, [task(mine, "STOPPED")])
    second = tick_with_events(
        client, events, state, [], budget_seconds=10, visibility_seconds=60,
        task_definition=no_definition,
    )  # fmt: skip
    [completion] = second.result.completions
    assert completion.succeeded and second.result.describe_calls == 1
    state, delete, release = second.next_state()
    events.delete(delete)
    assert len(state.receipts) == 3 and len(delete) == 2 and not release
    assert hidden(sqs, events.queue_url) == 3  # applied, kept until the cursor is stored
    third = tick_with_events(
        client, events, state, [], budget_seconds=10, visibility_seconds=60,
        task_definition=no_definition,
    )  # fmt: skip
    assert third.stale_receipts == state.receipts
    assert hidden(sqs, events.queue_url) == 0 and visible(sqs, events.queue_url) == 0


def test_a_completion_the_caller_could_not_store_is_handed_back(
    ecs: tuple[EcsTaskClient, Stubber], queue: tuple[TaskEventQueue, Any]
) -> None:
    """An unrecorded completion stays tracked and its messages become visible again at once,
    so that the next tick decides it again."""
    client, stubber = ecs
    events, sqs = queue
    tracked = group_of(1)
    [mine] = tracked.task_arns
    sqs.send_message(QueueUrl=events.queue_url, MessageBody=event_body(mine, "STOPPED", 5))
    answer(stubber, [task(mine, "STOPPED")])
    state = TrackingState(groups=(tracked,), swept_at=2_000_000_000)
    done = tick_with_events(
        client, events, state, [], budget_seconds=10, visibility_seconds=60,
        task_definition=no_definition, wall=lambda: 2_000_000_001,
    )  # fmt: skip
    kept, delete, release = done.next_state(unrecorded=[tracked])
    events.hold(release, 0)
    assert kept.groups == (tracked,) and not kept.receipts and not delete and len(release) == 1
    assert visible(sqs, events.queue_url) == 1


def test_without_its_queue_a_tick_describes_every_group(ecs: tuple[EcsTaskClient, Stubber]) -> None:
    """A queue that cannot be read: every tracked group is described, as when polling."""
    client, stubber = ecs
    tracked = group_of(1)
    sqs = boto3.client(
        "sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(sqs) as sqs_stub:
        sqs_stub.add_client_error("receive_message", "AWS.SimpleQueueService.NonExistentQueue")
        gone = TaskEventQueue(sqs, "https://sqs.us-east-1.amazonaws.com/1/gone")
        answer(stubber, [task(tracked.task_arns[0], "STOPPED")])
        result = tick_with_events(
            client, gone, TrackingState(groups=(tracked,), swept_at=2_000_000_000), [],
            budget_seconds=10, visibility_seconds=60, task_definition=no_definition,
            wall=lambda: 2_000_000_001,
        )  # fmt: skip
    assert result.intake.failed and [c.group for c in result.result.completions] == [tracked]


def _event(cluster: str, definition: str, started_by: str | None) -> TaskEvent:
    detail: dict[str, Any] = {"clusterArn": cluster, "taskDefinitionArn": definition}
    if started_by is not None:
        detail["startedBy"] = started_by
    return TaskEvent(f"{cluster.replace(':cluster/', ':task/')}/{uuid.uuid4().hex}", 1, detail)


def test_an_event_is_watched_exactly_when_list_tasks_would_list_its_task() -> None:
    """Cluster by name or ARN, family and startedBy must all match, as ListTasks filters."""
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
    definition = "arn:aws:ecs:us-east-1:123456789012:task-definition/etl-daily:7"
    event = _event(cluster, definition, "airflow")
    assert listed_by("prod", None, None)(event)
    assert listed_by(cluster, "etl-daily", "airflow")(event)
    assert not listed_by("prod-2", None, None)(event)
    assert not listed_by("prod", "etl", None)(event)  # a family is matched whole
    assert not listed_by("prod", None, "airflow-2")(event)
    assert not listed_by("prod", None, "airflow")(_event(cluster, definition, None))


def test_a_sweep_is_due_first_then_every_interval_and_after_a_clock_jump_back() -> None:
    """No sweep yet, a sweep long enough ago, or one in the future (clock set back): due."""
    assert sweep_due(None, 1000, 300)
    assert not sweep_due(1000, 1299, 300)
    assert sweep_due(1000, 1300, 300)
    assert sweep_due(2000, 1000, 300)
