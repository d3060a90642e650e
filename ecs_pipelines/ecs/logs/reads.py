"""Reading CloudWatch Logs of ECS tasks: an incremental tail and the last lines of a stream.

Reading uses GetLogEvents forward tokens: a tail remembers the last token and each poll returns
only the events written since, none twice. Stream names come from ``log_streams``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.ecs.common import DeadlinePassed, Retrier, install_deadline_timeouts
from ecs_pipelines.ecs.logs.streams import LogStreamRef

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import GetLogEventsRequestTypeDef, GetLogEventsResponseTypeDef

logger = logging.getLogger(__name__)

# GetLogEvents returns at most 10,000 events (or 1 MB) per page.
MAX_PAGE_EVENTS = 10_000

# Pauses between attempts at reading a stream (throttling, dropped connections).
LOG_RETRY_BASE_SECONDS = 0.25
LOG_RETRY_CAP_SECONDS = 5.0


def _line(message: str) -> str:
    # Applications write "line\n"; the awslogs driver usually strips it, other writers do not.
    if message.endswith("\n"):
        message = message[:-1]
    if message.endswith("\r"):
        message = message[:-1]
    return message


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return type(error).__name__


def _get_log_events(
    logs_client: CloudWatchLogsClient,
    request: GetLogEventsRequestTypeDef,
    max_attempts: int,
    sleep: Callable[[float], object],
    jitter: Callable[[], float],
) -> GetLogEventsResponseTypeDef:
    """One GetLogEvents call through the shared retry layer (throttling, dropped connections),
    bounded by the caller's deadline like every other AWS call."""
    retrier = Retrier(
        max_attempts=max_attempts,
        base_delay=LOG_RETRY_BASE_SECONDS,
        max_delay=LOG_RETRY_CAP_SECONDS,
        sleep=sleep,
        rand=jitter,
    )
    return retrier.call(lambda: logs_client.get_log_events(**request))


class LogTail:
    """Incremental reader of one stream: each poll() returns only new lines, none twice.

    ``complete`` is False when the last poll stopped on an error it could not recover from
    (e.g. still throttled after ``max_attempts``); ``error`` then says which. The forward token
    is kept, so the next successful poll resumes where the failed one stopped and nothing is
    skipped or invented. The client must be for the stream's region.
    """

    def __init__(
        self,
        logs_client: CloudWatchLogsClient,
        ref: LogStreamRef,
        *,
        page_limit: int | None = None,
        max_pages_per_poll: int = 100,
        max_attempts: int = 5,
        sleep: Callable[[float], object] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.ref = ref
        self.complete = True
        self.error: str | None = None
        # False until GetLogEvents finds the stream; a stopped task whose stream never
        # appeared has lost its logs (the awslogs driver creates it when the container starts).
        self.stream_found = False
        # True once a poll read up to the end of the stream (as far as it then went).
        self.at_end = False
        self._client = install_deadline_timeouts(logs_client)
        self._token: str | None = None
        self._page_limit = page_limit
        # With events arriving faster than they are read, paging would never end; a cap per
        # poll keeps a poll bounded and the next one carries on from the kept token.
        self._max_pages = max_pages_per_poll
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._jitter = jitter

    def poll(self) -> list[str]:
        """Lines written since the previous poll; [] while the group or stream does not exist."""
        lines: list[str] = []
        self.complete, self.error, self.at_end = True, None, False
        for _ in range(self._max_pages):
            request: GetLogEventsRequestTypeDef = {
                "logGroupName": self.ref.group,
                "logStreamName": self.ref.stream,
                "startFromHead": True,
            }
            if self._token is not None:
                request["nextToken"] = self._token
            if self._page_limit is not None:
                request["limit"] = self._page_limit
            try:
                page = self._get_page(request)
            except ClientError as error:
                if _error_code(error) == "ResourceNotFoundException":
                    # The awslogs driver creates the stream when the container starts.
                    self.at_end = True
                    return lines
                self._mark_incomplete(error)
                return lines
            except (BotoCoreError, DeadlinePassed) as error:
                self._mark_incomplete(error)
                return lines
            self.stream_found = True
            lines.extend(_line(event.get("message", "")) for event in page.get("events", []))
            sent, self._token = self._token, page["nextForwardToken"]
            # Documented end of the stream: the token comes back unchanged. An empty page with a
            # new token does not mean the end, so only the token decides.
            if self._token == sent:
                self.at_end = True
                break
        return lines

    def _get_page(self, request: GetLogEventsRequestTypeDef) -> GetLogEventsResponseTypeDef:
        return _get_log_events(self._client, request, self._max_attempts, self._sleep, self._jitter)

    def _mark_incomplete(self, error: Exception) -> None:
        self.complete = False
        self.error = f"{_error_code(error)} reading {self.ref.group}/{self.ref.stream}"
        logger.warning("log tail incomplete: %s", self.error)


# The lines of a task's log shown where a short tail belongs (a failure, `ecs-pipelines run`).
LOG_TAIL_LINES = 20


def last_lines(
    logs_client: CloudWatchLogsClient,
    ref: LogStreamRef,
    n: int = LOG_TAIL_LINES,
    *,
    max_attempts: int = 5,
    sleep: Callable[[float], object] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> list[str]:
    """The last ``n`` lines of a stream, oldest first; [] when the stream does not exist.

    Errors other than a missing stream (after retries for throttling) are raised: a one-shot
    read has no later poll to catch up with, so it cannot return a partial answer silently.
    """
    if n <= 0:
        return []
    collected: list[str] = []
    token: str | None = None
    # Pages may come back short or empty before the head is reached, so walk backwards until
    # there are enough lines or the backward token stops changing (the head of the stream).
    while len(collected) < n:
        request: GetLogEventsRequestTypeDef = {
            "logGroupName": ref.group,
            "logStreamName": ref.stream,
            "startFromHead": False,
            "limit": min(n - len(collected), MAX_PAGE_EVENTS),
        }
        if token is not None:
            request["nextToken"] = token
        try:
            page = _get_log_events(logs_client, request, max_attempts, sleep, jitter)
        except ClientError as error:
            if _error_code(error) == "ResourceNotFoundException":
                return []
            raise
        collected[:0] = [_line(event.get("message", "")) for event in page.get("events", [])]
        sent, token = token, page["nextBackwardToken"]
        if token == sent:
            break
    return collected[-n:]
