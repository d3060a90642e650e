"""Retry of throttled and transient AWS calls, with full-jitter exponential backoff.

botocore's own retry config (``max_attempts``, standard mode) retries a few times within one
call. A launch of a thousand tasks or a monitor of ten thousand can outlast those attempts when
the account's token bucket is empty, so this layer keeps retrying with a growing, jittered pause
(the "full jitter" scheme from the AWS Architecture Blog), bounded by ``max_retries``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

T = TypeVar("T")

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
    ReadTimeoutError,
    BotocoreConnectionError,
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
    """Calls a function again while it fails with a retryable error, up to ``max_retries`` times."""

    max_retries: int = 10
    base_delay: float = 0.2
    max_delay: float = 20.0
    sleep: Callable[[float], object] = time.sleep
    rand: Callable[[], float] = random.random
    retries_done: int = field(default=0, init=False)

    def call(self, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as error:
                if attempt >= self.max_retries or not is_retryable(error):
                    raise
                self.sleep(
                    backoff_delay(attempt, base=self.base_delay, cap=self.max_delay, rand=self.rand)
                )
                attempt += 1
                self.retries_done += 1
