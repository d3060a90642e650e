"""The embedded ECS sends "ECS Task State Change" events as ECS shapes them, through EventBridge
on the same server, to a rule and queue set up the AWS way."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ecs_pipelines.demo.task_events_queue import (
    DEMO_CONSUMERS,
    delete_task_events_queue,
    demo_task_events_environment,
)
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.runtime.task_state_events import event_detail, iso_time
from ecs_pipelines_tests.local.local_ecs_tools import run_task, wait_for_status
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.task_events import (
    client,
    events_queue_fixture,  # noqa: F401 (the events_queue fixture)
    new_queue,
    received_events,
    stopped_event_of,
)

ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources"}
EVENT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
DETAIL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


def test_task_events_reach_a_queue_shaped_as_ecs_sends_them(
    local_ecs: LocalEcs, ecs_client: Any, events_queue: str
) -> None:
    """Each change of a task reaches the queue as an EventBridge envelope around a detail that
    is the DescribeTasks task (ISO timestamps, no health, no tags) with a version growing by one
    per change; DescribeTasks reports the version of the last event."""
    task = run_task(
        ecs_client,
        command=["python", "-c", "import sys; sys.exit(3)"],
        tags=[{"key": "team", "value": "data"}],
    )
    arn = task["taskArn"]
    envelopes = received_events(local_ecs, events_queue, stopped_event_of(arn))
    mine = [e for e in envelopes if e["detail"]["taskArn"] == arn]
    for envelope in mine:
        assert set(envelope) == ENVELOPE | {"detail"}
        assert envelope["version"] == "0"
        assert envelope["detail-type"] == "ECS Task State Change"
        assert envelope["source"] == "aws.ecs"
        assert envelope["resources"] == [arn]
        assert (envelope["account"], envelope["region"]) == ("123456789012", local_ecs.region)
        assert EVENT_TIME.match(envelope["time"])
        detail = envelope["detail"]
        assert "healthStatus" not in detail and "tags" not in detail
        assert DETAIL_TIME.match(detail["createdAt"]) and DETAIL_TIME.match(detail["updatedAt"])
    versions = [e["detail"]["version"] for e in mine]
    assert versions == list(range(versions[0], versions[0] + len(versions)))
    statuses = [e["detail"]["lastStatus"] for e in mine]
    assert statuses[0] == "PROVISIONING" and statuses[-1] == "STOPPED"
    last = mine[-1]["detail"]
    assert last["stopCode"] == "EssentialContainerExited"
    assert [c["exitCode"] for c in last["containers"]] == [3]
    assert DETAIL_TIME.match(last["stoppedAt"])
    assert last["overrides"]["containerOverrides"][0]["command"][0] == "python"
    [described] = ecs_client.describe_tasks(cluster=task["clusterArn"], tasks=[arn])["tasks"]
    assert described["version"] == last["version"]


def test_a_rule_for_another_cluster_receives_nothing(local_ecs: LocalEcs, ecs_client: Any) -> None:
    """The rule's pattern (the detail's clusterArn) decides which events reach its queue."""
    other = new_queue(local_ecs, "arn:aws:ecs:us-east-1:123456789012:cluster/elsewhere")
    mine = new_queue(local_ecs)
    try:
        task = run_task(ecs_client, command=["python", "-c", "pass"])
        received_events(local_ecs, mine, stopped_event_of(task["taskArn"]))
        sqs = client(local_ecs, "sqs")
        left = sqs.receive_message(QueueUrl=other, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        assert left.get("Messages", []) == []
    finally:
        for url in (other, mine):
            delete_task_events_queue(
                local_ecs.endpoint_url, local_ecs.region, url, credentials=local_ecs.credentials
            )


def test_a_deleted_queue_disturbs_no_task(local_ecs: LocalEcs, ecs_client: Any) -> None:
    """With its target queue gone, the rule delivers nothing and tasks run on to the end."""
    url = new_queue(local_ecs)
    client(local_ecs, "sqs").delete_queue(QueueUrl=url)
    try:
        task = run_task(ecs_client, command=["python", "-c", "print('on')"])
        stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
        assert [c["exitCode"] for c in stopped["containers"]] == [0]
    finally:
        delete_task_events_queue(
            local_ecs.endpoint_url, local_ecs.region, url, credentials=local_ecs.credentials
        )


def test_a_disabled_rule_sends_nothing(
    local_ecs: LocalEcs, ecs_client: Any, events_queue: str
) -> None:
    """Only ENABLED rules deliver, as on EventBridge."""
    events = client(local_ecs, "events")
    name = events_queue.rsplit("/", 1)[-1]
    events.disable_rule(Name=name)
    task = run_task(ecs_client, command=["python", "-c", "pass"])
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    sqs = client(local_ecs, "sqs")
    assert sqs.receive_message(QueueUrl=events_queue, WaitTimeSeconds=0).get("Messages", []) == []
    events.enable_rule(Name=name)
    later = run_task(ecs_client, command=["python", "-c", "pass"])
    wait_until(
        lambda: received_events(local_ecs, events_queue, stopped_event_of(later["taskArn"])),
        what="events once the rule is enabled again",
    )


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.0, "1970-01-01T00:00:00.000Z"), (1579802254.4025, "2020-01-23T17:57:34.402Z")],
)
def test_event_timestamps_are_iso_with_milliseconds(seconds: float, expected: str) -> None:
    """Timestamps in the detail read as in ECS's documented example."""
    assert iso_time(seconds) == expected


def test_health_and_tags_stay_out_of_the_detail() -> None:
    """The detail drops the task's health and tags, keeps the rest, timestamps as ISO."""
    view = {
        "taskArn": "arn:aws:ecs:us-east-1:1:task/c/abc",
        "healthStatus": "HEALTHY",
        "tags": [{"key": "k", "value": "v"}],
        "createdAt": 0.5,
        "containers": [{"name": "main", "healthStatus": "UNKNOWN", "exitCode": 0}],
    }
    assert event_detail(view) == {
        "taskArn": "arn:aws:ecs:us-east-1:1:task/c/abc",
        "createdAt": "1970-01-01T00:00:00.500Z",
        "containers": [{"name": "main", "exitCode": 0}],
    }


def test_the_demo_gets_one_queue_per_consumer_idempotently(
    local_ecs: LocalEcs, ecs_client: Any
) -> None:
    """What `make ui` sets up: a queue and rule per consumer (steps, each sensor), the same
    ones when asked again, each receiving every task's events."""
    environment = demo_task_events_environment(
        local_ecs.endpoint_url, local_ecs.credentials, local_ecs.region
    )
    try:
        assert set(environment) == set(DEMO_CONSUMERS)
        assert (
            demo_task_events_environment(
                local_ecs.endpoint_url, local_ecs.credentials, local_ecs.region
            )
            == environment
        )
        task = run_task(ecs_client, command=["python", "-c", "pass"])
        for url in environment.values():
            received_events(local_ecs, url, stopped_event_of(task["taskArn"]))
    finally:
        for url in environment.values():
            delete_task_events_queue(
                local_ecs.endpoint_url, local_ecs.region, url, credentials=local_ecs.credentials
            )
