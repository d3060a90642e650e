"""CloudWatch Logs of tasks: stream names, console URLs, incremental tail, last lines.

Reads go to a real moto server over HTTP; only the throttling shape uses botocore's Stubber.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import pytest
from botocore.stub import Stubber

from ecs_pipelines.ecs.logs import LogTail, last_lines
from ecs_pipelines.ecs.logs.streams import (
    LogStreamRef,
    console_url_for_log_stream,
    console_url_for_task,
    log_stream_refs,
)

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef0123456789abcdef"
TASK_ID = "0123456789abcdef0123456789abcdef"
# Recent timestamps: CloudWatch (and moto) reject events older than 14 days.
_clock = itertools.count(int(time.time() * 1000))


def _awslogs(group: str, prefix: str | None = None, region: str | None = None) -> dict[str, Any]:
    options = {"awslogs-group": group}
    if prefix is not None:
        options["awslogs-stream-prefix"] = prefix
    if region is not None:
        options["awslogs-region"] = region
    return {"logDriver": "awslogs", "options": options}


@pytest.fixture
def ref(logs_client: Any) -> LogStreamRef:
    """A fresh log group (unique per test, the moto server is shared) and a stream ref in it."""
    group = f"/ecs/test-{uuid.uuid4().hex[:8]}"
    logs_client.create_log_group(logGroupName=group)
    return LogStreamRef(container="app", group=group, stream=f"ecs/app/{TASK_ID}", region=None)


def _write(logs_client: Any, ref: LogStreamRef, *messages: str, create: bool = False) -> None:
    if create:
        logs_client.create_log_stream(logGroupName=ref.group, logStreamName=ref.stream)
    # Strictly increasing timestamps: the order of events is the order of writes.
    events = [{"timestamp": next(_clock), "message": m} for m in messages]
    response = logs_client.put_log_events(
        logGroupName=ref.group, logStreamName=ref.stream, logEvents=events
    )
    assert "rejectedLogEventsInfo" not in response


def test_stream_refs_follow_prefix_container_task_id() -> None:
    """Each awslogs container with a prefix gets <prefix>/<container>/<task id> in its group."""
    task_definition = {
        "containerDefinitions": [
            {"name": "app", "logConfiguration": _awslogs("/ecs/demo", "ecs", "eu-west-1")},
            {"name": "sidecar", "logConfiguration": _awslogs("/ecs/side", "side")},
        ]
    }
    assert log_stream_refs(task_definition, TASK_ARN) == [
        LogStreamRef("app", "/ecs/demo", f"ecs/app/{TASK_ID}", "eu-west-1"),
        LogStreamRef("sidecar", "/ecs/side", f"side/sidecar/{TASK_ID}", None),
    ]


def test_stream_refs_skip_unpredictable_and_other_drivers() -> None:
    """Containers without a stream prefix, without logging or with another driver are skipped."""
    task_definition = {
        "containerDefinitions": [
            {"name": "noprefix", "logConfiguration": _awslogs("/ecs/demo")},
            {"name": "nolog"},
            {"name": "firelens", "logConfiguration": {"logDriver": "awsfirelens", "options": {}}},
        ]
    }
    assert log_stream_refs(task_definition, TASK_ARN) == []


def test_stream_refs_accept_old_style_task_arn() -> None:
    """The task id is the last part of old-style ARNs (no cluster in the path) too."""
    task_definition = {
        "containerDefinitions": [{"name": "a", "logConfiguration": _awslogs("g", "p")}]
    }
    old_arn = f"arn:aws:ecs:us-east-1:123456789012:task/{TASK_ID}"
    assert log_stream_refs(task_definition, old_arn)[0].stream == f"p/a/{TASK_ID}"


def test_console_url_for_task() -> None:
    """The task console URL names the cluster by name and the task by id."""
    assert console_url_for_task("eu-west-1", "arn:aws:ecs:eu-west-1:1:cluster/demo", TASK_ARN) == (
        f"https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/demo/tasks/{TASK_ID}"
        "/configuration?region=eu-west-1"
    )


def test_console_url_for_log_stream_uses_dollar_escaping() -> None:
    """Group and stream are percent-encoded with '%' written as '$25', as the console does."""
    ref = LogStreamRef("app", "/ecs/demo", f"ecs/app/{TASK_ID}", None)
    assert console_url_for_log_stream("us-east-1", ref) == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#logsV2:log-groups/log-group/$252Fecs$252Fdemo/log-events/"
        f"ecs$252Fapp$252F{TASK_ID}"
    )


def test_tail_returns_new_lines_once_in_order(logs_client: Any, ref: LogStreamRef) -> None:
    """Each poll returns only the lines written since the last one, in order, over many pages."""
    tail = LogTail(logs_client, ref, page_limit=3)
    _write(logs_client, ref, "one\n", "two\n", create=True)
    assert tail.poll() == ["one", "two"]
    assert tail.poll() == []
    batch = [f"line {i}" for i in range(10)]  # more than three pages of 3
    _write(logs_client, ref, *batch)
    assert tail.poll() == batch
    _write(logs_client, ref, "last\r\n")
    assert tail.poll() == ["last"]
    assert tail.poll() == []
    assert tail.complete


def test_tail_of_missing_stream_is_empty_until_it_appears(
    logs_client: Any, ref: LogStreamRef
) -> None:
    """A stream (or group) that does not exist yet reads as no lines, not an error."""
    missing_group = LogTail(logs_client, LogStreamRef("app", "/ecs/nope", "x/app/1", None))
    assert missing_group.poll() == []
    assert missing_group.complete
    tail = LogTail(logs_client, ref)
    assert tail.poll() == []
    assert tail.complete
    _write(logs_client, ref, "hello", create=True)
    assert tail.poll() == ["hello"]
    assert tail.poll() == []


def test_tail_bounds_pages_per_poll_and_resumes(logs_client: Any, ref: LogStreamRef) -> None:
    """A poll stops after max_pages_per_poll pages; the next one continues without gaps."""
    tail = LogTail(logs_client, ref, page_limit=2, max_pages_per_poll=2)
    _write(logs_client, ref, *"abcdef", create=True)
    assert tail.poll() == ["a", "b", "c", "d"]
    assert tail.poll() == ["e", "f"]


def test_last_lines_returns_last_n(logs_client: Any, ref: LogStreamRef) -> None:
    """last_lines gives the newest n lines oldest first, fewer when the stream is short."""
    _write(logs_client, ref, *[f"l{i}\n" for i in range(30)], create=True)
    assert last_lines(logs_client, ref, n=5) == ["l25", "l26", "l27", "l28", "l29"]
    assert last_lines(logs_client, ref) == [f"l{i}" for i in range(10, 30)]
    assert last_lines(logs_client, ref, n=100) == [f"l{i}" for i in range(30)]
    assert last_lines(logs_client, ref, n=0) == []


def test_last_lines_of_missing_stream_is_empty(logs_client: Any, ref: LogStreamRef) -> None:
    """last_lines of a stream that does not exist yet is an empty list."""
    assert last_lines(logs_client, ref, n=5) == []


def _page(messages: list[str], token: str) -> dict[str, Any]:
    events = [{"timestamp": 1, "message": m, "ingestionTime": 1} for m in messages]
    return {"events": events, "nextForwardToken": token, "nextBackwardToken": "b/0"}


def test_throttling_is_retried_with_backoff(make_client: Any) -> None:
    """Throttled GetLogEvents calls are retried after a jittered sleep; the poll then succeeds."""
    client = make_client("logs")
    ref = LogStreamRef("app", "g", "s", None)
    sleeps: list[float] = []
    tail = LogTail(client, ref, max_attempts=3, sleep=sleeps.append, jitter=lambda: 0.5)
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_client_error("get_log_events", "ThrottlingException", http_status_code=400)
        stub.add_response("get_log_events", _page(["x"], "f/1"))
        stub.add_response("get_log_events", _page([], "f/1"))
        assert tail.poll() == ["x"]
        stub.assert_no_pending_responses()
    assert sleeps == [0.125, 0.25]  # full jitter 0.5 of 0.25 s, then of 0.5 s
    assert tail.complete


def test_throttling_past_retries_marks_incomplete(make_client: Any) -> None:
    """Still throttled after max_attempts: lines read so far are kept, complete is False."""
    client = make_client("logs")
    ref = LogStreamRef("app", "g", "s", None)
    tail = LogTail(client, ref, max_attempts=2, sleep=lambda _: None)
    with Stubber(client) as stub:
        stub.add_response("get_log_events", _page(["first"], "f/1"))
        stub.add_client_error("get_log_events", "ThrottlingException", http_status_code=400)
        stub.add_client_error("get_log_events", "ThrottlingException", http_status_code=400)
        assert tail.poll() == ["first"]
        assert not tail.complete
        assert tail.error is not None and "ThrottlingException" in tail.error
        # The kept token lets the next poll resume exactly after "first".
        stub.add_response(
            "get_log_events",
            _page(["second"], "f/2"),
            {"logGroupName": "g", "logStreamName": "s", "startFromHead": True, "nextToken": "f/1"},
        )
        stub.add_response("get_log_events", _page([], "f/2"))
        assert tail.poll() == ["second"]
        stub.assert_no_pending_responses()
    assert tail.complete
