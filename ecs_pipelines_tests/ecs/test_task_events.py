"""Task state change events as an SQS body: parsed into DescribeTasks' shape, matched to a task
by its whole identity, applied only forward by version within that task's own states, a stop
never applied (only a hint to describe), decided by the same status table as a described
task."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_pipelines.ecs.common.deadline import Deadline, bounded_by
from ecs_pipelines.ecs.events import (
    Ignored,
    TaskVersions,
    ignored_summary,
    newest_states,
    parse_task_event,
)
from ecs_pipelines.ecs.events.identity import EventMatch, TaskMatcher, cluster_scope, task_identity
from ecs_pipelines.ecs.events.queue import long_poll_seconds
from ecs_pipelines.ecs.tasks import Outcome, decide

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
    assert versions.apply(ARN, {})  # no version: taken as it comes


def test_an_events_stop_never_applies_and_a_described_stop_always_does() -> None:
    """A stop from an event (any version) is not applied and leaves the version as it was; a
    described stop applies even below a version an event claimed."""
    versions = TaskVersions()
    assert versions.apply(ARN, {"version": 3, "lastStatus": "RUNNING"})
    assert not versions.apply(ARN, {"version": 10**9, "lastStatus": "STOPPED"})
    assert versions.apply(ARN, {"version": 4, "lastStatus": "DEACTIVATING"})  # not moved
    assert versions.apply(ARN, {"version": 10**9, "lastStatus": "RUNNING"})
    assert versions.apply(ARN, {"version": 5, "lastStatus": "STOPPED"}, described=True)


def test_versions_are_kept_per_task_reference() -> None:
    """Each task's versions are its own: another task's (or another reference's) states do
    not move them."""
    versions = TaskVersions()
    elsewhere = ARN.replace("111122223333", "999999999999")
    assert versions.apply(elsewhere, {"version": 10**9})
    assert versions.apply(ARN, {"version": 2})


def test_the_newest_event_of_each_task_wins_whatever_the_order() -> None:
    """Out-of-order deliveries: the highest version is kept."""
    events = [parse_task_event(body(v, "RUNNING" if v < 4 else "STOPPED")) for v in (2, 4, 3)]
    [newest] = newest_states(e for e in events if e is not None).values()
    assert newest.version == 4 and newest.task["lastStatus"] == "STOPPED"


def test_a_stop_outranks_any_newer_other_state_of_the_task() -> None:
    """A stop is kept over a later-versioned other state (a stopped task never runs again),
    so a huge version cannot hide a stop from the describe that confirms it."""
    events = [parse_task_event(body(10**9, "RUNNING")), parse_task_event(body(5, "STOPPED"))]
    [newest] = newest_states(e for e in events if e is not None).values()
    assert newest.task["lastStatus"] == "STOPPED"


CLUSTER_ARN = "arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster"
TASK_ID = ARN.rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("event_arn", "cluster_arn", "mine"),
    [
        (ARN, CLUSTER_ARN, True),
        (ARN.replace("111122223333", "999999999999"), None, False),  # another account
        (ARN.replace("us-west-2", "eu-west-3"), None, False),  # another region
        (ARN.replace("FargateCluster", "Other"), None, False),  # another cluster
        (ARN.replace("arn:aws:", "arn:aws-cn:"), None, False),  # another partition
        # The older ARN format names no cluster: its clusterArn does.
        (f"arn:aws:ecs:us-west-2:111122223333:task/{TASK_ID}", CLUSTER_ARN, True),
        (f"arn:aws:ecs:us-west-2:111122223333:task/{TASK_ID}", CLUSTER_ARN + "2", False),
        (ARN, CLUSTER_ARN.replace("111122223333", "999999999999"), False),  # contradicts itself
    ],
)
def test_an_event_is_a_tasks_only_under_the_tasks_whole_arn(
    event_arn: str, cluster_arn: str | None, mine: bool
) -> None:
    """Same id is not enough: partition, region, account and cluster must not differ; an
    event naming the id otherwise is foreign."""
    event = parse_task_event(body(taskArn=event_arn, clusterArn=cluster_arn))
    assert event is not None
    match = TaskMatcher([ARN]).match(event.identity, event.task_id)
    assert (match.ref == ARN, match.foreign) == (mine, not mine)


def test_a_task_known_by_id_is_matched_by_what_the_caller_knows_then_by_its_arn() -> None:
    """An id takes the caller's cluster and region; the account is checked once DescribeTasks
    has given the ARN. Another task's event is nobody's here."""
    matcher = TaskMatcher([TASK_ID], cluster="FargateCluster", region="us-west-2")
    elsewhere = task_identity(ARN.replace("111122223333", "999999999999"))
    assert matcher.match(elsewhere, TASK_ID).ref == TASK_ID  # the account is not known yet
    assert matcher.match(task_identity(ARN.replace("us-west-2", "eu-west-3")), TASK_ID).foreign
    matcher.learn(TASK_ID, ARN)
    assert matcher.match(elsewhere, TASK_ID).foreign
    assert matcher.match(task_identity(ARN), TASK_ID).ref == TASK_ID
    other = ARN.replace(TASK_ID, "0" * 32)
    assert matcher.match(task_identity(other), "0" * 32) == EventMatch()


def test_identities_read_both_arn_formats_and_cluster_names() -> None:
    """Long and older task ARNs, bare ids, cluster names and ARNs give what they say."""
    long = task_identity(ARN)
    assert (long.task_id, long.scope.account, long.scope.cluster) == (
        TASK_ID,
        "111122223333",
        "FargateCluster",
    )
    old = task_identity(f"arn:aws:ecs:us-west-2:111122223333:task/{TASK_ID}", cluster="c")
    assert (old.scope.region, old.scope.cluster) == ("us-west-2", "c")
    assert task_identity(TASK_ID, region="eu-west-1").scope.region == "eu-west-1"
    assert cluster_scope(CLUSTER_ARN).cluster == "FargateCluster"
    assert cluster_scope("demo", "us-east-1").region == "us-east-1"


def test_ignored_events_are_summed_up_by_why_and_never_shown() -> None:
    """One line: how many, and why; nothing when none was ignored."""
    assert ignored_summary({Ignored.FOREIGN: 0, Ignored.UNCONFIRMED: 0}) is None
    line = ignored_summary({Ignored.FOREIGN: 2, Ignored.UNCONFIRMED: 1})
    assert line is not None and line.startswith("3 task state event(s) ignored")
    assert "2 naming the task under another account, region or cluster" in line
    assert "1 that DescribeTasks did not confirm" in line


def test_a_long_poll_ends_before_the_callers_deadline() -> None:
    """ReceiveMessage's wait is whole seconds, at most 20, cut to what the deadline leaves."""
    assert long_poll_seconds(0.3) == 1 and long_poll_seconds(60) == 20
    now = [100.0]
    with bounded_by(Deadline(at=103.2, clock=lambda: now[0])):
        assert long_poll_seconds(20) == 2
        now[0] = 103.0
        assert long_poll_seconds(20) == 0
