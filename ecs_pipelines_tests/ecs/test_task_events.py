"""Task state change events as an SQS body: parsed into DescribeTasks' shape, applied only
forward by version, decided by the same status table as a described task."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_pipelines.ecs.deadline import Deadline, bounded_by
from ecs_pipelines.ecs.status import Outcome, decide
from ecs_pipelines.ecs.task_event_queue import long_poll_seconds
from ecs_pipelines.ecs.task_events import (
    TaskVersions,
    fresher,
    newest_states,
    parse_task_event,
)

ARN = "arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad"


def body(version: int = 4, status: str = "STOPPED", **detail: Any) -> str:
    """An SQS message body as an EventBridge rule delivers an ECS task state change (after the
    ECS developer guide's example)."""
    container: dict[str, Any] = {"name": "FargateApp", "lastStatus": status}
    if status == "STOPPED":
        container["exitCode"] = 0
    return json.dumps(
        {
            "version": "0",
            "id": "3317b2af-7005-947d-b652-f55e762e571a",
            "detail-type": "ECS Task State Change",
            "source": "aws.ecs",
            "account": "111122223333",
            "time": "2020-01-23T17:57:58Z",
            "region": "us-west-2",
            "resources": [ARN],
            "detail": {
                "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster",
                "containers": [container],
                "createdAt": "2020-01-23T17:57:34.402Z",
                "startedAt": "2020-01-23T17:57:38.453Z",
                "stoppedAt": "2020-01-23T17:58:38.453Z",
                "desiredStatus": "STOPPED",
                "lastStatus": status,
                "stopCode": "EssentialContainerExited",
                "taskArn": ARN,
                "updatedAt": "2020-01-23T17:58:38.453Z",
                "version": version,
                **detail,
            },
        }
    )


def test_an_event_body_becomes_a_described_task() -> None:
    """The detail reads as DescribeTasks' task: ISO timestamps become datetimes."""
    event = parse_task_event(body())
    assert event is not None
    assert (event.task_arn, event.version) == (ARN, 4)
    assert event.task["startedAt"] == datetime(2020, 1, 23, 17, 57, 38, 453000, tzinfo=UTC)
    assert event.task["containers"][0]["exitCode"] == 0


def test_an_event_is_decided_like_a_described_task() -> None:
    """status.decide reads an event's task: exit 0 of every essential container succeeds."""
    event = parse_task_event(body())
    assert event is not None
    assert decide(event.task).outcome is Outcome.SUCCEEDED
    running = parse_task_event(body(status="RUNNING"))
    assert running is not None and decide(running.task).outcome is Outcome.RUNNING


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2"}),
        json.dumps({"detail-type": "ECS Task State Change", "source": "aws.ecs", "detail": []}),
        json.dumps({"detail-type": "ECS Task State Change", "source": "aws.ecs", "detail": {}}),
    ],
)
def test_anything_but_a_task_state_change_is_no_event(text: str) -> None:
    """Other events, malformed bodies and details without a task are not task states."""
    assert parse_task_event(text) is None


def test_states_apply_only_forward_and_duplicates_change_nothing() -> None:
    """A newer version applies; the same version again (a duplicate) or an older one (late)
    does not; a description of the same version does (it is the task as it is now)."""
    versions = TaskVersions()
    assert versions.apply(ARN, {"version": 3})
    assert not versions.apply(ARN, {"version": 3})
    assert not versions.apply(ARN, {"version": 2})
    assert versions.apply(ARN, {"version": 3}, described=True)
    assert versions.apply(ARN, {"version": 5})
    assert not versions.apply(ARN.rsplit("/", 1)[-1], {"version": 4})  # the same task by id
    assert versions.apply(ARN, {})  # no version: taken as it comes


def test_the_newest_event_of_each_task_wins_whatever_the_order() -> None:
    """Out-of-order deliveries: the highest version is kept."""
    events = [parse_task_event(body(v, "RUNNING" if v < 4 else "STOPPED")) for v in (2, 4, 3)]
    [newest] = newest_states(e for e in events if e is not None).values()
    assert newest.version == 4 and newest.task["lastStatus"] == "STOPPED"


def test_a_description_gives_way_only_to_a_newer_event() -> None:
    """Between a description and an event the higher version wins, the description on a tie."""
    described = {"version": 3, "lastStatus": "RUNNING", "tags": []}
    assert fresher(described, {"version": 4, "lastStatus": "STOPPED"})["lastStatus"] == "STOPPED"
    assert fresher(described, {"version": 3, "lastStatus": "STOPPED"}) is described
    assert fresher(None, described) is described and fresher(described, None) is described


def test_a_long_poll_ends_before_the_callers_deadline() -> None:
    """ReceiveMessage's wait is whole seconds, at most 20, cut to what the deadline leaves."""
    assert long_poll_seconds(0.3) == 1 and long_poll_seconds(60) == 20
    now = [100.0]
    with bounded_by(Deadline(at=103.2, clock=lambda: now[0])):
        assert long_poll_seconds(20) == 2
        now[0] = 103.0
        assert long_poll_seconds(20) == 0
