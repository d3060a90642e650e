"""The scripted endpoint's task state change events: an EventBridge rule's SQS queue, simulated.

When events are on (``/_bench/reset`` with ``"events": true``), every simulated task sends an
"ECS Task State Change" event, shaped as ECS sends them, to one queue at each change: PENDING
at RunTask (version 1), RUNNING 50 ms later (2), STOPPED at its stop time (3; at once on
StopTask). The queue answers SQS's JSON protocol (``AmazonSQS.*``): ReceiveMessage with long
polling, DeleteMessageBatch and ChangeMessageVisibilityBatch. When each STOPPED event was put
on the queue is recorded, for the detection latency "after the event is queued".

The queue has its own lock: a long poll must not hold the endpoint's state lock.
"""

from __future__ import annotations

import heapq
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SQS_TARGET = "AmazonSQS."
QUEUE_NAME = "bench-task-events"
VERSIONS = {"PENDING": 1, "RUNNING": 2, "STOPPED": 3}
_TIMES = (
    "createdAt",
    "startedAt",
    "pullStartedAt",
    "pullStoppedAt",
    "stoppingAt",
    "stoppedAt",
    "executionStoppedAt",
)


def iso(seconds: float) -> str:
    when = datetime.fromtimestamp(seconds, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def envelope(task: dict[str, Any], region: str, account: str, now: float) -> str:
    detail = {k: (iso(v) if k in _TIMES else v) for k, v in task.items() if k != "tags"}
    detail["version"] = VERSIONS[task["lastStatus"]]
    detail["updatedAt"] = iso(now)
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "ECS Task State Change",
            "source": "aws.ecs",
            "account": account,
            "time": iso(now)[:19] + "Z",
            "region": region,
            "resources": [task["taskArn"]],
            "detail": detail,
        }
    )


@dataclass
class _Message:
    message_id: str
    body: str
    receives: int = 0
    receipt: str = ""
    visible_at: float = 0.0


@dataclass
class ScriptedEvents:
    """One queue of task state change events (see the module docstring)."""

    OPERATIONS = frozenset({"ReceiveMessage", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"})

    region: str
    account: str
    enabled: bool = False
    queued_stop: dict[str, float] = field(default_factory=dict)  # task ARN -> STOPPED queued
    _ready: deque[_Message] = field(default_factory=deque)
    _hidden: dict[str, _Message] = field(default_factory=dict)  # receipt -> message
    _due: list[tuple[float, int, str, Callable[[float], dict[str, Any] | None]]] = field(
        default_factory=list
    )
    _seq: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None

    def reset(self, enabled: bool) -> None:
        with self._cond:
            self.enabled = enabled
            self.queued_stop.clear()
            self._ready.clear()
            self._hidden.clear()
            self._due.clear()
            if enabled and self._thread is None:
                self._thread = threading.Thread(target=self._emit, daemon=True, name="events")
                self._thread.start()

    def schedule(
        self, at: float, arn: str, describe: Callable[[float], dict[str, Any] | None]
    ) -> None:
        """At ``at``, ``describe(at)`` is the task's new state (None: the change was undone)."""
        if not self.enabled:
            return
        with self._cond:
            self._seq += 1
            heapq.heappush(self._due, (at, self._seq, arn, describe))
            self._cond.notify_all()

    def _emit(self) -> None:
        while True:
            with self._cond:
                now = time.time()
                while self._due and self._due[0][0] <= now:
                    at, _, arn, describe = heapq.heappop(self._due)
                    task = describe(at)
                    if task is None:
                        continue
                    body = envelope(task, self.region, self.account, time.time())
                    self._ready.append(_Message(str(uuid.uuid4()), body))
                    if task["lastStatus"] == "STOPPED":
                        self.queued_stop[arn] = time.time()
                    self._cond.notify_all()
                wait = (self._due[0][0] - now) if self._due else 1.0
                self._cond.wait(timeout=max(0.0005, min(wait, 1.0)))

    # --- SQS ------------------------------------------------------------------------------

    def handle(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            raise KeyError(operation)
        result: dict[str, Any] = handler(body)
        return result

    def _unhide(self, now: float) -> None:
        back = [r for r, m in self._hidden.items() if m.visible_at <= now]
        for receipt in back:
            self._ready.append(self._hidden.pop(receipt))

    def _op_ReceiveMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = int(body.get("MaxNumberOfMessages", 1))
        until = time.time() + float(body.get("WaitTimeSeconds", 0))
        visibility = float(body.get("VisibilityTimeout", 30))
        with self._cond:
            while True:
                now = time.time()
                if len(self._hidden) and not self._ready:
                    self._unhide(now)
                if self._ready or now >= until:
                    break
                self._cond.wait(timeout=min(0.05, until - now))
            taken = []
            while self._ready and len(taken) < wanted:
                message = self._ready.popleft()
                message.receives += 1
                message.receipt = uuid.uuid4().hex * 4  # about as long as SQS's
                message.visible_at = now + visibility
                self._hidden[message.receipt] = message
                taken.append(message)
        return {
            "Messages": [
                {
                    "MessageId": m.message_id,
                    "ReceiptHandle": m.receipt,
                    "Body": m.body,
                    "Attributes": {"ApproximateReceiveCount": str(m.receives)},
                }
                for m in taken
            ]
        }

    def _op_DeleteMessageBatch(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            for entry in body.get("Entries", []):
                self._hidden.pop(entry["ReceiptHandle"], None)
        return {"Successful": [{"Id": e["Id"]} for e in body.get("Entries", [])], "Failed": []}

    def _op_ChangeMessageVisibilityBatch(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            now = time.time()
            for entry in body.get("Entries", []):
                message = self._hidden.get(entry["ReceiptHandle"])
                if message is not None:
                    message.visible_at = now + float(entry.get("VisibilityTimeout", 0))
            self._unhide(now)
            self._cond.notify_all()
        return {"Successful": [{"Id": e["Id"]} for e in body.get("Entries", [])], "Failed": []}

    def backlog(self) -> int:
        """Messages on the queue that a receive would get now."""
        with self._cond:
            return len(self._ready)

    def queue_url(self, endpoint: str) -> str:
        return f"{endpoint}/{self.account}/{QUEUE_NAME}"
