"""moto's SQS queues made safe for many consumers at once, as a queue of task state events
shared by every step of `make ui` has them.

moto's queue guards only its appends with its message lock (a ``Condition`` over an
``RLock``). A receive scans the messages, marks what it takes in flight and deep-copies the set
of in-flight messages, unguarded: two receives at once can hand one message to both consumers,
or fail with "Set changed size during iteration" (an HTTP 500, and the messages it had marked
stay invisible for their whole visibility timeout). A delete rebuilds the message list, which
can drop a message appended meanwhile; a visibility change updates the in-flight set.

``guard_sqs_queues`` makes each of these hold the queue's message lock. A long poll does not
hold it while it waits: it scans under the lock (moto's receive with no wait), then waits for
a message on the lock's condition, as moto's own loop does, until its wait time is over.

Retention. SQS deletes a message once it has been in the queue longer than the queue's
MessageRetentionPeriod (SQS developer guide, "Amazon SQS message lifecycle"). moto never
deletes one: its receive stops at the first expired message it meets (returning nothing
behind it) and checks each message it hands out by computing every attribute of the queue,
two counts over all its messages among them. On a queue thousands of messages deep, as a
shared events queue gets, one receive took over a second while holding the lock, and the task
runner, which sends each task state event to the queue, waited behind it: every task of the
server stopped changing state. Here a receive first drops the expired messages (the oldest
are first: a queue appends in the order it is sent to) and the check reads the retention
period alone.

Clock reads. moto asks whether a message is visible, or delayed, by building two datetimes
per message; every send (it computes the queue's attributes, whose counts ask each message)
and every receive asks it of every message in the queue. A thousand messages deep, a send took
23 ms and a receive 20 ms, mostly in those clock reads, and the task runner sends one message
per task state change. Here both read the clock as a float (the same wall clock): 0.6 ms and
1.8 ms.
"""

from __future__ import annotations

import time
from typing import Any

from moto.sqs.models import Message, Queue, SQSBackend

from ecs_pipelines.local.moto_bridge.state import BACKEND_LOCK, originals, patch_attribute

# The longest wait between two scans of a long poll: a message that becomes visible again
# when its visibility timeout ends wakes no waiter, so the poll looks again this often (as
# moto's own receive does).
RESCAN_SECONDS = 1


def guard_sqs_queues() -> None:
    """Makes moto's SQS receives, deletes and visibility changes hold the queue's message lock
    (see the module docstring). Idempotent; ``moto_bridge.uninstall`` restores moto's own."""
    with BACKEND_LOCK:
        if (SQSBackend, "receive_message") in originals:
            return
        shipped_receive = SQSBackend.receive_message
        shipped_visibility = SQSBackend.change_message_visibility
        shipped_delete = Queue.delete_message

        def receive_message(
            self: SQSBackend,
            queue_name: str,
            count: int,
            wait_seconds_timeout: int,
            visibility_timeout: int,
            message_attribute_names: list[str] | None = None,
        ) -> list[Any]:
            queue = self.get_queue(queue_name)
            polling_end = time.monotonic() + wait_seconds_timeout
            while True:
                with queue._messages_lock:
                    drop_expired(queue)
                    taken: list[Any] = shipped_receive(
                        self, queue_name, count, 0, visibility_timeout, message_attribute_names
                    )
                left = polling_end - time.monotonic()
                if taken or left <= 0:
                    return taken
                queue.wait_for_messages(min(RESCAN_SECONDS, left))  # type: ignore[arg-type]

        def change_message_visibility(
            self: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int
        ) -> None:
            with self.get_queue(queue_name)._messages_lock:
                shipped_visibility(self, queue_name, receipt_handle, visibility_timeout)

        def delete_message(self: Queue, receipt_handle: str) -> None:
            with self._messages_lock:
                shipped_delete(self, receipt_handle)

        def is_message_valid_based_on_retention_period(
            self: SQSBackend, queue_name: str, message: Any
        ) -> bool:
            return not expired(self.get_queue(queue_name), message, now_ms=clock_ms())

        patch_attribute(Message, "visible", property(visible))
        patch_attribute(Message, "delayed", property(delayed))
        patch_attribute(SQSBackend, "receive_message", receive_message)
        patch_attribute(
            SQSBackend,
            "is_message_valid_based_on_retention_period",
            is_message_valid_based_on_retention_period,
        )
        patch_attribute(SQSBackend, "change_message_visibility", change_message_visibility)
        patch_attribute(Queue, "delete_message", delete_message)


def clock_ms() -> float:
    """The wall clock in milliseconds, as moto's ``unix_time_millis`` reads it."""
    return time.time() * 1000


def expired(queue: Queue, message: Any, *, now_ms: float) -> bool:
    """Whether ``message`` has been in ``queue`` longer than its retention period."""
    retention_ms = int(queue.message_retention_period) * 1000  # type: ignore[attr-defined]
    sent_ms = message.sent_timestamp
    return sent_ms is not None and sent_ms + retention_ms <= now_ms


def drop_expired(queue: Queue) -> None:
    """Deletes the queue's expired messages, as SQS does; the caller holds its message lock."""
    now_ms = clock_ms()
    messages = queue._messages
    gone = 0
    while gone < len(messages) and expired(queue, messages[gone], now_ms=now_ms):
        queue.pending_messages.discard(messages[gone])
        gone += 1
    if gone:
        del messages[:gone]


def visible(message: Message) -> bool:
    """moto's ``Message.visible``, with one float clock read."""
    return clock_ms() > message.visible_at


def delayed(message: Message) -> bool:
    """moto's ``Message.delayed``, with one float clock read."""
    return clock_ms() < message.delayed_until
