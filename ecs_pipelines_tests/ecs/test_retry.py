"""Retry of throttled and transient calls."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ecs_pipelines.ecs.common.retry import Retrier, backoff_delay, is_retryable


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "DescribeTasks",
    )


def failing(times: int, error: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "ok"

    return calls, fn


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("ThrottlingException"), True),
        (client_error("ServerException", 500), True),
        (client_error("Anything", 503), True),
        (EndpointConnectionError(endpoint_url="http://x"), True),
        (client_error("InvalidParameterException"), False),
        (client_error("AccessDeniedException", 403), False),
        (ValueError("bug"), False),
    ],
    ids=["throttle", "server", "503", "connection", "invalid", "denied", "bug"],
)
def test_is_retryable_classifies_errors(error: Exception, expected: bool) -> None:
    """Throttling, 5xx and dropped connections are retried; client mistakes are not."""
    assert is_retryable(error) is expected


def test_retrier_retries_throttling_until_success() -> None:
    """A call throttled three times succeeds on the fourth attempt, pausing between tries."""
    pauses: list[float] = []
    calls, fn = failing(3, client_error("ThrottlingException"))
    retrier = Retrier(sleep=pauses.append, rand=lambda: 1.0, base_delay=0.1, max_delay=10)
    assert retrier.call(fn) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 4
    assert pauses == [0.1, 0.2, 0.4]


def test_retrier_gives_up_after_max_attempts() -> None:
    """After max_attempts in all the last throttling error reaches the caller."""
    calls, fn = failing(100, client_error("ThrottlingException"))
    retrier = Retrier(max_attempts=3, sleep=lambda _: None)
    with pytest.raises(ClientError):
        retrier.call(fn)  # type: ignore[arg-type]
    assert len(calls) == 3


def test_retrier_does_not_retry_client_mistakes() -> None:
    """An InvalidParameterException is raised at once, without a pause."""
    pauses: list[float] = []
    calls, fn = failing(1, client_error("InvalidParameterException"))
    with pytest.raises(ClientError):
        Retrier(sleep=pauses.append).call(fn)  # type: ignore[arg-type]
    assert (len(calls), pauses) == (1, [])


def test_backoff_is_capped_and_jittered() -> None:
    """The pause never exceeds the cap and scales with the random draw."""
    assert backoff_delay(30, base=0.2, cap=20, rand=lambda: 1.0) == 20
    assert backoff_delay(3, base=0.2, cap=20, rand=lambda: 0.5) == pytest.approx(0.8)
    assert backoff_delay(3, base=0.2, cap=20, rand=lambda: 0.0) == 0
