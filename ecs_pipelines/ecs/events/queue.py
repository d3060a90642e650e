"""Thin I/O over the SQS queue that EventBridge fills with ECS task state change events.

Three calls, each through the project's retry layer and bounded by the caller's deadline:
ReceiveMessage (long polling, up to 10 messages), DeleteMessageBatch (what was applied) and
ChangeMessageVisibilityBatch (hand a message back, for the consumer it belongs to). The boto3
SQS client is injected. What a message means is ``task_events``' business.

Batch calls take at most 10 entries (SQS API reference, DeleteMessageBatch and
ChangeMessageVisibilityBatch); a failed entry is reported, not raised: the message then comes
back after its visibility timeout, and consumers apply task states by version, so a message
seen twice changes nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ecs_pipelines.ecs.common import Deadline, Retrier, current_deadline, install_deadline_timeouts

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import MessageSystemAttributeNameType
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        ChangeMessageVisibilityBatchResultTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        DeleteMessageBatchResultTypeDef,
    )

T = TypeVar("T")

BATCH = 10  # SQS batch calls and ReceiveMessage take at most 10 messages
MAX_WAIT_SECONDS = 20  # the longest ReceiveMessage long poll (WaitTimeSeconds 0..20)
MAX_VISIBILITY_SECONDS = 43_200  # 12 hours, SQS's limit
# A long poll is cut this much short of the caller's deadline, so the request itself (whose
# read timeout the deadline also cuts) ends in time.
DEADLINE_MARGIN_SECONDS = 0.5


@dataclass(frozen=True)
class QueueMessage:
    """One received message: its id, the receipt handle that deletes it, and its body."""

    message_id: str
    receipt: str = field(repr=False)
    body: str = field(repr=False)  # an event's detail may carry secrets: never shown
    receive_count: int = 1  # SQS's ApproximateReceiveCount: how often it was received


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), BATCH):
        yield list(items[start : start + BATCH])


def _receive_count(attributes: Mapping[MessageSystemAttributeNameType, str]) -> int:
    try:
        return max(1, int(attributes.get("ApproximateReceiveCount", 1)))
    except (TypeError, ValueError):
        return 1


def long_poll_seconds(wanted: float, deadline: Deadline | None = None) -> int:
    """ReceiveMessage's WaitTimeSeconds: ``wanted`` (0..20, whole seconds, rounded up so that
    a fraction still waits), cut to what the caller's deadline leaves."""
    seconds = max(0.0, min(float(MAX_WAIT_SECONDS), wanted))
    effective = current_deadline().earliest(deadline)
    left = effective.remaining()
    if left is not None:
        seconds = min(seconds, max(0.0, left - DEADLINE_MARGIN_SECONDS))
        return math.floor(seconds)
    return math.ceil(seconds)


class TaskEventQueue:
    """The SQS calls a task event consumer makes, each retried on throttling, 5xx and dropped
    connections, within the caller's deadline."""

    def __init__(
        self, sqs_client: SQSClient, queue_url: str, *, retrier: Retrier | None = None
    ) -> None:
        self.sqs: SQSClient = install_deadline_timeouts(sqs_client)
        self.queue_url = queue_url
        self.retrier = retrier or Retrier()
        self.calls: Counter[str] = Counter()

    def _call(self, operation: str, call: Callable[[], T], deadline: Deadline | None) -> T:
        """``call()`` (the boto3 call named ``operation``), counted and retried."""

        def attempt() -> T:
            self.calls[operation] += 1
            return call()

        return self.retrier.call(attempt, deadline=deadline)

    def receive(
        self,
        *,
        wait_seconds: float,
        visibility_seconds: int,
        max_messages: int = BATCH,
        deadline: Deadline | None = None,
    ) -> list[QueueMessage]:
        """Up to ``max_messages`` (1..10) messages, waiting up to ``wait_seconds`` (long
        polling: it returns as soon as one is there). Received messages stay invisible to
        other consumers for ``visibility_seconds``."""
        response = self._call(
            "receive_message",
            lambda: self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=max(1, min(BATCH, max_messages)),
                WaitTimeSeconds=long_poll_seconds(wait_seconds, deadline),
                VisibilityTimeout=max(0, min(MAX_VISIBILITY_SECONDS, int(visibility_seconds))),
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            ),
            deadline,
        )
        return [
            QueueMessage(
                str(m["MessageId"]),
                str(m["ReceiptHandle"]),
                str(m.get("Body", "")),
                _receive_count(m.get("Attributes", {})),
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, receipts: Sequence[str], *, deadline: Deadline | None = None) -> int:
        """DeleteMessageBatch, 10 at a time; returns how many could not be deleted (an expired
        receipt handle: the message will be received again)."""
        failed = 0
        for chunk in _chunks(list(dict.fromkeys(receipts))):
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(chunk)
            ]
            response = self._delete_batch(entries, deadline)
            failed += len(response.get("Failed", []))
        return failed

    def hold(
        self, receipts: Sequence[str], seconds: int, *, deadline: Deadline | None = None
    ) -> int:
        """ChangeMessageVisibilityBatch: the messages become visible again after ``seconds``
        (0: now), for whichever consumer they belong to; returns how many failed."""
        failed = 0
        timeout = max(0, min(MAX_VISIBILITY_SECONDS, int(seconds)))
        for chunk in _chunks(list(dict.fromkeys(receipts))):
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": timeout}
                for i, r in enumerate(chunk)
            ]
            response = self._hold_batch(entries, deadline)
            failed += len(response.get("Failed", []))
        return failed

    def _hold_batch(
        self,
        entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef],
        deadline: Deadline | None,
    ) -> ChangeMessageVisibilityBatchResultTypeDef:
        return self._call(
            "change_message_visibility_batch",
            lambda: self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url, Entries=entries
            ),
            deadline,
        )

    def _delete_batch(
        self, entries: list[DeleteMessageBatchRequestEntryTypeDef], deadline: Deadline | None
    ) -> DeleteMessageBatchResultTypeDef:
        return self._call(
            "delete_message_batch",
            lambda: self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries),
            deadline,
        )
