"""Many streams of a log group read together: one FilterLogEvents per round, every line once,
a throttled round waited out without losing or repeating a line."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from ecs_pipelines.ecs.logs.groups import GroupTail


class Counted:
    """A CloudWatch Logs client whose reads are counted by operation."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []
        client.meta.events.register("before-parameter-build.logs.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        if model.name in ("FilterLogEvents", "GetLogEvents"):
            self.calls.append(model.name)


def new_group(logs: Any, streams: int) -> tuple[str, list[str]]:
    group = f"/ecs/test-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    names = [f"ecs/main/{uuid.uuid4().hex}" for _ in range(streams)]
    for name in names:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    return group, names


def put(logs: Any, group: str, stream: str, *lines: str, at: int | None = None) -> None:
    stamp = at if at is not None else int(time.time() * 1000)
    events = [{"timestamp": stamp, "message": line} for line in lines]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def test_every_stream_is_read_with_one_call_per_round(logs_client: Any) -> None:
    """Three streams, one FilterLogEvents a round; each round returns only what is new."""
    group, names = new_group(logs_client, 3)
    counted = Counted(logs_client)
    tail = GroupTail(logs_client, group)
    for name in names:
        tail.add(name)
    for index, name in enumerate(names):
        put(logs_client, group, name, f"first {index}", f"second {index}")
    assert tail.poll() == {n: [f"first {i}", f"second {i}"] for i, n in enumerate(names)}
    assert counted.calls == ["FilterLogEvents"]
    put(logs_client, group, names[1], "third 1")
    assert tail.poll() == {names[1]: ["third 1"]}
    assert tail.poll() == {}
    assert counted.calls == ["FilterLogEvents"] * 3
    assert all(tail.found(n) for n in names)


def test_lines_at_the_same_millisecond_and_late_lines_are_read_once(logs_client: Any) -> None:
    """Lines sharing a timestamp with lines already read, and a line ingested after a newer
    one of another stream (within the lookback), each come out exactly once."""
    group, (a, b) = new_group(logs_client, 2)
    tail = GroupTail(logs_client, group)
    tail.add(a)
    tail.add(b)
    now = int(time.time() * 1000)
    put(logs_client, group, a, "a1", at=now)
    assert tail.poll() == {a: ["a1"]}
    put(logs_client, group, a, "a2", at=now)  # same millisecond as a1
    put(logs_client, group, b, "b-late", at=now - 5000)  # ingested late
    assert tail.poll() == {a: ["a2"], b: ["b-late"]}
    assert tail.poll() == {}


def stubbed_tail() -> tuple[GroupTail, Stubber, list[float]]:
    logs = boto3.client(
        "logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    now = [0.0]
    tail = GroupTail(logs, "/ecs/g", clock=lambda: now[0], jitter=lambda: 1.0)
    return tail, Stubber(logs), now


def page(*events: tuple[str, str, int], token: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "events": [
            {"logStreamName": s, "eventId": i, "timestamp": t, "message": i} for s, i, t in events
        ]
    }
    if token:
        found["nextToken"] = token
    return found


def test_a_throttled_round_backs_off_and_resumes_where_it_stopped() -> None:
    """Throttled after a first page: no call until the backoff has passed, then the next page
    from the kept token; the backoff doubles while throttled and nothing is read twice."""
    tail, stubber, now = stubbed_tail()
    tail.add("s1")
    tail.add("s2")
    expected = {"logGroupName": "/ecs/g", "logStreamNames": ["s1", "s2"], "startTime": 0}
    with stubber:
        stubber.add_response("filter_log_events", page(("s1", "e1", 10), token="t1"), expected)
        stubber.add_client_error("filter_log_events", "ThrottlingException", http_status_code=400)
        stubber.add_client_error("filter_log_events", "ThrottlingException", http_status_code=400)
        resumed = {**expected, "nextToken": "t1"}
        stubber.add_response("filter_log_events", page(("s2", "e2", 11)), resumed)
        assert tail.poll() == {"s1": ["e1"]}  # then throttled on the second page
        assert tail.poll() == {} and tail.throttled == 1  # backing off: no call
        now[0] = 1.0
        assert tail.poll() == {} and tail.throttled == 2  # throttled again: waits 2 s
        now[0] = 2.5
        assert tail.poll() == {}  # still backing off
        now[0] = 3.0
        assert tail.poll() == {"s2": ["e2"]}
        stubber.assert_no_pending_responses()
    assert tail.complete


def test_a_missing_stream_is_asked_for_alone_until_it_appears() -> None:
    """ResourceNotFoundException for a batch: streams already read stay batched, a stream never
    read is then asked for on its own until it exists."""
    tail, stubber, _ = stubbed_tail()
    tail.add("old")
    tail.add("new")
    with stubber:
        stubber.add_response("filter_log_events", page(("old", "o1", 5)), None)
        stubber.add_client_error("filter_log_events", "ResourceNotFoundException")
        stubber.add_response(
            "filter_log_events",
            page(),
            {"logGroupName": "/ecs/g", "logStreamNames": ["old"], "startTime": ANY},
        )
        stubber.add_client_error(
            "filter_log_events", "ResourceNotFoundException",
            expected_params={"logGroupName": "/ecs/g", "logStreamNames": ["new"], "startTime": ANY},
        )  # fmt: skip
        stubber.add_response("filter_log_events", page(("old", "o2", 6)), None)
        stubber.add_response("filter_log_events", page(("new", "n1", 7)), None)
        assert tail.poll(["old"]) == {"old": ["o1"]}
        assert tail.poll() == {}  # the batch with "new" is refused
        assert tail.poll() == {}  # "old" batched, "new" alone: still missing
        assert tail.poll() == {"old": ["o2"], "new": ["n1"]}
        stubber.assert_no_pending_responses()
    assert tail.found("new") and tail.complete


def test_a_refused_read_marks_the_lines_incomplete() -> None:
    """An error that waiting cannot fix (access denied) leaves the tail incomplete, saying why."""
    tail, stubber, _ = stubbed_tail()
    tail.add("s")
    with stubber:
        stubber.add_client_error("filter_log_events", "AccessDeniedException")
        assert tail.poll() == {}
    assert not tail.complete and tail.error == "AccessDeniedException reading /ecs/g"
