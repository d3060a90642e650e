"""Waiting holds the caller's timeout whatever the endpoint does, keys results by what the
caller passed, and refuses malformed arguments before any call."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from ecs_pipelines.ecs.common import EcsSpecError, EcsTimeoutError, task_id
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import ApiCalls, make_resource
from ecs_pipelines_tests.support.fault_proxy import FaultProxy, Reply, always

SLEEP = ["python", "-c", "import time; time.sleep(120)"]
HELLO = ["python", "-c", "print('hello')"]
# A timeout holds "within a few seconds": the connect timeout of the project's clients (5 s)
# is the most one request can overrun it by.
OVERRUN_SECONDS = 6.0


@pytest.fixture
def hung_describe(local_ecs: LocalEcs) -> Iterator[FaultProxy]:
    """The embedded ECS behind a proxy on which every DescribeTasks hangs, never answered."""
    with FaultProxy(
        upstream=local_ecs.endpoint_url, faults=[always("DescribeTasks", lambda: Reply(hang=True))]
    ) as proxy:
        yield proxy


def test_wait_for_a_task_given_by_id_returns_its_result(ecs: EcsResource) -> None:
    """A stopped task passed by its id (as the CLI and ECS accept) is waited for and reported."""
    [arn] = ecs.run_task(command=HELLO)
    ident = task_id(arn)
    [result] = ecs.wait_for_tasks([ident], timeout_seconds=60)
    assert result.succeeded and result.task_arn == arn
    [described] = ecs.describe_tasks([ident])
    assert described["taskArn"] == arn


def test_timeout_holds_against_an_endpoint_that_never_answers(
    local_ecs: LocalEcs, hung_describe: FaultProxy
) -> None:
    """wait_for_tasks raises EcsTimeoutError within a few seconds of its timeout when
    DescribeTasks is accepted but never answered."""
    direct = make_resource(local_ecs)
    [arn] = direct.run_task(command=SLEEP)
    hung = make_resource(local_ecs, endpoint_url=hung_describe.url)
    started = time.monotonic()
    try:
        with pytest.raises(EcsTimeoutError) as raised:
            hung.wait_for_tasks([arn], timeout_seconds=3)
        assert time.monotonic() - started < 3 + OVERRUN_SECONDS
        assert raised.value.pending_task_arns == [arn]
    finally:
        direct.stop_tasks([arn], reason="test over")


def test_run_and_wait_stops_its_task_when_describe_hangs(
    local_ecs: LocalEcs, hung_describe: FaultProxy
) -> None:
    """run_task_and_wait past its timeout against a hung DescribeTasks still stops its task."""
    hung = make_resource(local_ecs, endpoint_url=hung_describe.url)
    launched: list[str] = []
    with pytest.raises(EcsTimeoutError):
        hung.run_task_and_wait(command=SLEEP, timeout_seconds=2, on_launch=launched.extend)
    [task] = make_resource(local_ecs).describe_tasks(launched)
    assert task["desiredStatus"] == "STOPPED"


def test_timeout_holds_when_the_endpoint_is_gone(local_ecs: LocalEcs) -> None:
    """With nothing listening any more, the timeout holds instead of retrying past it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gone = make_resource(local_ecs, endpoint_url=f"http://127.0.0.1:{closed_port}")
    arn = "arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-demo/" + "0" * 32
    started = time.monotonic()
    with pytest.raises(EcsTimeoutError):
        gone.wait_for_tasks([arn], timeout_seconds=3)
    assert time.monotonic() - started < 3 + OVERRUN_SECONDS


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"timeout_seconds": -1}, "timeout_seconds"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": "10"}, "timeout_seconds"),
    ],
    ids=["negative", "zero", "string"],
)
def test_bad_timeout_is_refused_before_any_call(
    counted_ecs: tuple[EcsResource, ApiCalls], kwargs: dict[str, object], named: str
) -> None:
    """A timeout that is not a positive number of seconds is refused, naming it, calling nothing."""
    ecs, calls = counted_ecs
    with pytest.raises(EcsSpecError, match=named):
        ecs.wait_for_tasks(["0" * 32], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(EcsSpecError, match=named):
        ecs.run_task_and_wait(command=HELLO, **kwargs)  # type: ignore[arg-type]
    assert calls.total == 0


@pytest.mark.parametrize("method", ["wait_for_tasks", "describe_tasks", "stop_tasks"])
def test_a_single_arn_string_is_refused_not_read_as_letters(
    counted_ecs: tuple[EcsResource, ApiCalls], method: str
) -> None:
    """One ARN passed where a list is expected is refused, naming the argument, calling nothing."""
    ecs, calls = counted_ecs
    arn = "arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-demo/" + "0" * 32
    kwargs = {"reason": "x"} if method == "stop_tasks" else {}
    with pytest.raises(EcsSpecError, match="task_arns"):
        getattr(ecs, method)(arn, **kwargs)
    assert calls.total == 0
