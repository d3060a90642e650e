"""CloudWatch Logs of ECS tasks: awslogs stream names, console links, incremental tail, last lines.

ECS names an ``awslogs`` stream ``<awslogs-stream-prefix>/<container name>/<task id>``, so the
stream of every container can be derived from the task definition alone, before the stream
exists. Reading uses GetLogEvents forward tokens: a tail remembers the last token and each poll
returns only the events written since, none twice.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.ecs.retry import Retrier

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import GetLogEventsRequestTypeDef, GetLogEventsResponseTypeDef

logger = logging.getLogger(__name__)

# GetLogEvents returns at most 10,000 events (or 1 MB) per page.
MAX_PAGE_EVENTS = 10_000

# Error codes worth another attempt; everything else will not get better by waiting.
LOG_RETRY_BASE_SECONDS = 0.25
LOG_RETRY_CAP_SECONDS = 5.0


@dataclass(frozen=True)
class LogStreamRef:
    """One awslogs stream of one container of one task."""

    container: str
    group: str
    stream: str
    region: str | None


def task_id_from_arn(task_arn: str) -> str:
    """The task id: last part of the ARN (``task/<id>`` and ``task/<cluster>/<id>`` forms)."""
    return task_arn.rsplit("/", 1)[-1]


def log_stream_refs(task_definition: Mapping[str, Any], task_arn: str) -> list[LogStreamRef]:
    """The awslogs streams the containers of ``task_arn`` write to, in container order."""
    task_id = task_id_from_arn(task_arn)
    refs: list[LogStreamRef] = []
    for container in task_definition.get("containerDefinitions", []):
        log_configuration = container.get("logConfiguration") or {}
        # Other drivers (awsfirelens, splunk, ...) do not write to a CloudWatch stream we can name.
        if log_configuration.get("logDriver") != "awslogs":
            continue
        options = log_configuration.get("options") or {}
        group = options.get("awslogs-group")
        prefix = options.get("awslogs-stream-prefix")
        # Without awslogs-stream-prefix ECS lets Docker name the stream after the container id,
        # which is not known in advance (and not reported by DescribeTasks), so there is no
        # predictable stream to read: such containers are skipped rather than guessed.
        if not group or not prefix:
            continue
        name = container["name"]
        refs.append(
            LogStreamRef(
                container=name,
                group=group,
                stream=f"{prefix}/{name}/{task_id}",
                region=options.get("awslogs-region"),
            )
        )
    return refs


def _console_base(region: str) -> str:
    # The China and GovCloud partitions have their own console domains.
    if region.startswith("cn-"):
        return f"https://{region}.console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return f"https://{region}.console.amazonaws-us-gov.com"
    return f"https://{region}.console.aws.amazon.com"


def console_url_for_task(region: str, cluster: str, task_arn: str) -> str:
    """The ECS console page of a task; ``cluster`` may be a name or an ARN."""
    cluster_name = cluster.rsplit("/", 1)[-1]
    task_id = task_id_from_arn(task_arn)
    return (
        f"{_console_base(region)}/ecs/v2/clusters/{quote(cluster_name, safe='')}"
        f"/tasks/{task_id}/configuration?region={region}"
    )


def _console_escape(name: str) -> str:
    # The CloudWatch console keeps group and stream names in the URL fragment, percent-encoded
    # and then with every "%" written as "$25": "/ecs/app" -> "$252Fecs$252Fapp".
    return quote(name, safe="").replace("%", "$25")


def console_url_for_log_stream(region: str, ref: LogStreamRef) -> str:
    """The CloudWatch console page showing the events of one stream."""
    return (
        f"{_console_base(region)}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/"
        f"{_console_escape(ref.group)}/log-events/{_console_escape(ref.stream)}"
    )


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
    """One GetLogEvents call, retried with jittered backoff on throttling and connection errors.

    botocore already retries a few times; reading logs of thousands of tasks can outlast that,
    and a tail is better late than incomplete.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    retrier = Retrier(
        max_retries=max_attempts - 1,
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
        self._client = logs_client
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
        self.complete, self.error = True, None
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
                    # The awslogs driver creates the stream on the container's first write.
                    return lines
                self._mark_incomplete(error)
                return lines
            except BotoCoreError as error:
                self._mark_incomplete(error)
                return lines
            self.stream_found = True
            lines.extend(_line(event.get("message", "")) for event in page.get("events", []))
            sent, self._token = self._token, page["nextForwardToken"]
            # Documented end of the stream: the token comes back unchanged. An empty page with a
            # new token does not mean the end, so only the token decides.
            if self._token == sent:
                break
        return lines

    def _get_page(self, request: GetLogEventsRequestTypeDef) -> GetLogEventsResponseTypeDef:
        return _get_log_events(self._client, request, self._max_attempts, self._sleep, self._jitter)

    def _mark_incomplete(self, error: Exception) -> None:
        self.complete = False
        self.error = f"{_error_code(error)} reading {self.ref.group}/{self.ref.stream}"
        logger.warning("log tail incomplete: %s", self.error)


class MultiTail:
    """Tails many streams (all containers of many tasks); poll() returns (ref, line) pairs.

    Streams are polled one after the other, one GetLogEvents call or more each; lines of one
    stream keep their order, streams are not interleaved by time.
    """

    def __init__(
        self,
        logs_client: CloudWatchLogsClient,
        refs: Iterable[LogStreamRef] = (),
        **tail_options: Any,
    ) -> None:
        self._client = logs_client
        self._options = tail_options
        self._tails: dict[LogStreamRef, LogTail] = {}
        self.add(refs)

    def add(self, refs: Iterable[LogStreamRef]) -> None:
        """Start tailing more streams (e.g. of tasks launched since); known ones are kept."""
        for ref in refs:
            if ref not in self._tails:
                self._tails[ref] = LogTail(self._client, ref, **self._options)

    @property
    def refs(self) -> list[LogStreamRef]:
        return list(self._tails)

    @property
    def complete(self) -> bool:
        """False when the last poll of any stream stopped on an unrecoverable error."""
        return all(tail.complete for tail in self._tails.values())

    def poll(self) -> list[tuple[LogStreamRef, str]]:
        """New lines of every stream since the previous poll."""
        return [(ref, line) for ref, tail in self._tails.items() for line in tail.poll()]


def last_lines(
    logs_client: CloudWatchLogsClient,
    ref: LogStreamRef,
    n: int = 20,
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
