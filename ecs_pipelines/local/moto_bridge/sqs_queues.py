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
"""

from __future__ import annotations

import time
from typing import Any

from moto.sqs.models import Queue, SQSBackend

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

        patch_attribute(SQSBackend, "receive_message", receive_message)
        patch_attribute(SQSBackend, "change_message_visibility", change_message_visibility)
        patch_attribute(Queue, "delete_message", delete_message)
