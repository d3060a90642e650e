"""A wait on task state events confirms the stops they tell: batched (one DescribeTasks per 100
stops, once 100 wait or shortly after the first), decided by the description, never hidden by
an event's version, and a stop the description does not show is counted and looked at again.
SQS is moto's over HTTP; DescribeTasks answers come from a Stubber."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from ecs_pipelines.ecs.common import Retrier
from ecs_pipelines.ecs.events import Ignored, TaskEventQueue
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.ecs.waiting import EventSettings, TaskWatcher, WatchSettings
from ecs_pipelines_tests.ecs.test_tracking import arn
from ecs_pipelines_tests.ecs.test_tracking import task as tracked_task
from ecs_pipelines_tests.ecs.test_tracking_events import CLUSTER_ARN

ENVELOPE = {"version": "0", "detail-type": "ECS Task State Change", "source": "aws.ecs"}


def task(task_arn: str, status: str, version: int, exit_code: int | None = 0) -> dict[str, Any]:
    """The task as DescribeTasks shows it, without a task definition (every container is
    then essential: no DescribeTaskDefinition)."""
    described = {**tracked_task(task_arn, status, exit_code), "version": version}
    del described["taskDefinitionArn"]
    return described


def event_body(task_arn: str, status: str, version: int, exit_code: int | None = 0) -> str:
    detail = {**task(task_arn, status, version, exit_code), "clusterArn": CLUSTER_ARN}
    return json.dumps({**ENVELOPE, "id": str(uuid.uuid4()), "detail": detail})


@pytest.fixture
def queue(moto_endpoint: str, make_client: Callable[..., Any]) -> Iterator[TaskEventQueue]:
    sqs = make_client("sqs", moto_endpoint)
    url = sqs.create_queue(QueueName=f"confirm-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    yield TaskEventQueue(sqs, url, retrier=Retrier(sleep=lambda _: None))
    sqs.delete_queue(QueueUrl=url)


def send(queue: TaskEventQueue, *bodies: str) -> None:
    for start in range(0, len(bodies), 10):  # SendMessageBatch takes 10 at most
        entries = [
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])
        ]
        queue.sqs.send_message_batch(QueueUrl=queue.queue_url, Entries=entries)


def answer(stubber: Stubber, tasks: list[dict[str, Any]]) -> None:
    """One DescribeTasks answer (the client keeps the tasks it asked for)."""
    stubber.add_response("describe_tasks", {"tasks": tasks, "failures": []}, None)


def watcher(
    stubbed: tuple[EcsTaskClient, Stubber], queue: TaskEventQueue, **events: Any
) -> tuple[TaskWatcher, list[str]]:
    notices: list[str] = []
    settings = WatchSettings(timeout_seconds=10, events=EventSettings(**events))
    found = TaskWatcher(
        stubbed[0], "demo", settings=settings, events=queue, on_notice=notices.append
    )
    return found, notices


def test_stops_told_together_are_confirmed_one_describe_per_hundred(
    stubbed: tuple[EcsTaskClient, Stubber], queue: TaskEventQueue
) -> None:
    """110 stops on the queue: after the sweep, two DescribeTasks confirm them (100, then the
    other 10 together), and every task is reported from its description."""
    client, stubber = stubbed
    arns = [arn() for _ in range(110)]
    send(queue, *(event_body(a, "STOPPED", 3, 3) for a in arns))
    for _ in range(2):  # the sweep
        answer(stubber, [task(a, "RUNNING", 2) for a in arns])
    for _ in range(2):  # the confirmations
        answer(stubber, [task(a, "STOPPED", 3) for a in arns])
    waiting, notices = watcher(stubbed, queue)
    results = waiting.wait(arns)
    assert all(r.exit_codes == {"main": 0} for r in results)  # described 0, not the events' 3
    assert waiting.event_rounds is not None
    assert (waiting.event_rounds.confirm_calls, waiting.event_rounds.confirmed) == (2, 110)
    assert client.calls["describe_tasks"] == 4 and not notices


def test_a_huge_version_in_a_tasks_own_event_does_not_hide_its_real_stop(
    stubbed: tuple[EcsTaskClient, Stubber], queue: TaskEventQueue
) -> None:
    """A running state of a huge version, then the real stop of a lower one: the stop is still
    confirmed and reported at once, not left for the next sweep."""
    _, stubber = stubbed
    mine = arn()
    send(queue, event_body(mine, "RUNNING", 10**9), event_body(mine, "STOPPED", 3, 3))
    answer(stubber, [task(mine, "RUNNING", 2)])
    answer(stubber, [task(mine, "STOPPED", 3, 3)])
    waiting, _ = watcher(stubbed, queue)
    [result] = waiting.wait([mine])
    assert not result.succeeded and result.exit_codes == {"main": 3}


def test_a_stop_the_description_does_not_show_is_counted_and_looked_at_again(
    stubbed: tuple[EcsTaskClient, Stubber], queue: TaskEventQueue
) -> None:
    """A told success DescribeTasks does not show is dropped and counted; the task is
    described again after the silence bound, and its real end reported; the wait says once
    how many events it ignored."""
    _, stubber = stubbed
    mine = arn()
    send(queue, event_body(mine, "STOPPED", 10**9, 0))
    answer(stubber, [task(mine, "RUNNING", 2)])  # the sweep
    answer(stubber, [task(mine, "RUNNING", 2)])  # the confirmation
    answer(stubber, [task(mine, "STOPPED", 3, 3)])  # after the silence
    waiting, notices = watcher(stubbed, queue, silence_seconds=0.2)
    [result] = waiting.wait([mine])
    assert not result.succeeded and result.exit_codes == {"main": 3}
    assert waiting.ignored_events == {Ignored.UNCONFIRMED: 1}
    assert notices == [
        "1 task state event(s) ignored: 1 that DescribeTasks did not confirm (a stop it does "
        "not show, or a task it does not know in the cluster)"
    ]


def test_an_events_own_task_definition_is_never_looked_up(
    stubbed: tuple[EcsTaskClient, Stubber], queue: TaskEventQueue
) -> None:
    """A running state naming the task's ARN but another task definition is applied without
    DescribeTaskDefinition of what it names (the stub would refuse the call): the wait goes
    on and reports the task's real end."""
    _, stubber = stubbed
    mine = arn()
    forged = json.loads(event_body(mine, "RUNNING", 10**9))
    forged["detail"]["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:999999999999:task-definition/x:1"
    send(queue, json.dumps(forged), event_body(mine, "STOPPED", 3, 3))
    answer(stubber, [task(mine, "RUNNING", 2)])
    answer(stubber, [task(mine, "STOPPED", 3, 3)])
    waiting, _ = watcher(stubbed, queue)
    [result] = waiting.wait([mine])
    assert result.exit_codes == {"main": 3}
