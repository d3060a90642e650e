"""The one retry layer: throttled and transient AWS calls, full-jitter backoff, a caller's deadline.

The project builds its boto3 clients with botocore's own retries off (``client_config``), so an
AWS call is attempted at most ``max_attempts`` times in all, here, with a growing, jittered
pause ("full jitter", from the AWS Architecture Blog) between attempts. A caller's deadline
(``deadline.py``) bounds the whole: no attempt starts after it, no pause runs past it, and each
request's read timeout is cut to the time left.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from ecs_pipelines.ecs.common.deadline import (
    CONNECT_TIMEOUT_SECONDS,
    READ_TIMEOUT_SECONDS,
    Deadline,
    bounded_by,
)
from ecs_pipelines.ecs.common.errors import DeadlinePassed

T = TypeVar("T")

DEFAULT_MAX_ATTEMPTS = 8
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
TRANSIENT_CODES = frozenset({"ServerException", "ServiceUnavailable", "InternalFailure"})
CONNECTION_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
    BotocoreConnectionError,
)


def client_config(*, read_timeout: float = READ_TIMEOUT_SECONDS) -> Config:
    """botocore settings of every client the project builds: one attempt per botocore call
    (retries happen here, bounded by the caller's deadline) and short connect timeouts."""
    return Config(
        retries={"total_max_attempts": 1},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=read_timeout,
    )


def is_retryable(error: BaseException) -> bool:
    """True for throttling, 5xx and dropped connections: errors a later identical call can fix."""
    if isinstance(error, CONNECTION_ERRORS):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500
    return False


def backoff_delay(attempt: int, *, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Full jitter: a uniform pause in [0, min(cap, base * 2**attempt)]."""
    return rand() * min(cap, base * 2.0**attempt)


@dataclass
class Retrier:
    """Calls a function until it succeeds, fails for good, runs out of attempts or of time."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_delay: float = 0.2
    max_delay: float = 20.0
    sleep: Callable[[float], object] = time.sleep
    rand: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def call(self, fn: Callable[[], T], *, deadline: Deadline | None = None) -> T:
        """``fn()``, retried; ``deadline`` (and any enclosing one) bounds every attempt."""
        with bounded_by(deadline) as effective:
            attempt = 0
            while True:
                if effective.expired():
                    raise DeadlinePassed("the caller's deadline passed before the AWS call")
                try:
                    return fn()
                except Exception as error:
                    attempt += 1
                    if attempt >= self.max_attempts or not is_retryable(error):
                        raise
                    pause = backoff_delay(
                        attempt - 1, base=self.base_delay, cap=self.max_delay, rand=self.rand
                    )
                    left = effective.remaining()
                    if left is not None and pause >= left:
                        raise  # no time for another attempt: the real error says most
                    self.sleep(pause)
