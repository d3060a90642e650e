"""Waiting on task state change events (EventBridge -> SQS on the embedded ECS): no DescribeTasks
but the sweep, events applied only forward, others' events left for their consumer, silence
and a lost queue covered by describing."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dagster import DagsterInstance

from ecs_pipelines.demo.task_events_queue import delete_task_events_queue
from ecs_pipelines.ecs.events.queue import QueueMessage, TaskEventQueue
from ecs_pipelines.ecs.waiting import EventSettings, TaskWatcher, WatchSettings
from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import ApiCalls, make_resource
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, py, run_op, tasks_of_run
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.task_events import (
    client,
    ecs_calls_fixture,  # noqa: F401 (the ecs_calls fixture)
    events_queue_fixture,  # noqa: F401 (the events_queue fixture)
    new_queue,
    received_events,
    stopped_event_of,
)

NOTICE = "Task state events unavailable"


def evented(local: LocalEcs, queue_url: str, **fields: Any) -> EcsResource:
    """A resource reading ``queue_url``."""
    return make_resource(local, task_events_queue_url=queue_url, **fields)


def test_a_job_on_events_describes_its_tasks_in_the_sweep_and_to_confirm_their_ends(
    local_ecs: LocalEcs, events_queue: str, ecs_calls: ApiCalls
) -> None:
    """With events on, a step's tasks are described in the sweep at the start of the wait (one
    call for all of them), then each task the sweep did not see stopped once more, batched per
    round, to confirm the end its event told."""
    ecs, calls = evented(local_ecs, events_queue), ecs_calls
    # Running for 3 s: the sweep finds them running, their ends come from events. On a loaded
    # host a task may end before the sweep: the sweep's answer is then its end.
    step = ecs_task_op("on_events", command=py("import time; time.sleep(3)"), count=3)
    result = run_op(step, ecs)
    assert result.success
    assert calls.counts["RunTask"] == 1
    sweep, *confirmations = calls.describe_sizes
    ended_by_events = sweep - calls.described_stopped[0]
    assert sweep == 3 and sum(confirmations) == ended_by_events
    assert len(confirmations) <= ended_by_events
    assert all(r.succeeded for r in result.output_for_node("on_events"))


def test_a_job_whose_queue_is_deleted_mid_run_completes_by_polling(
    local_ecs: LocalEcs, ecs_calls: ApiCalls
) -> None:
    """The queue deleted while a step waits: the step says so once in the run log, waits on
    by polling, and succeeds."""
    queue = new_queue(local_ecs)
    ecs, calls = evented(local_ecs, queue), ecs_calls
    step = ecs_task_op("queue_lost", command=py("import time; time.sleep(3); print('end')"))
    instance = DagsterInstance.ephemeral()
    outcome: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: outcome.update(result=run_op(step, ecs, instance=instance))
    )
    runner.start()
    try:

        def running_task() -> bool:
            runs = instance.get_runs()
            return bool(runs) and any(
                t["lastStatus"] == "RUNNING" for t in tasks_of_run(ecs, runs[0].run_id)
            )

        wait_until(running_task, what="the step's task to run")
        delete_task_events_queue(
            local_ecs.endpoint_url, local_ecs.region, queue, credentials=local_ecs.credentials
        )
    finally:
        runner.join(timeout=60)
    result = outcome["result"]
    assert result.success
    assert all_log_text(instance, result.run_id).count(NOTICE) == 1
    assert calls.counts["DescribeTasks"] > 1


def test_events_of_other_tasks_are_left_for_their_consumer(
    local_ecs: LocalEcs, events_queue: str, ecs_client: Any
) -> None:
    """A wait takes only its tasks' events: another task's end is still on the queue after."""
    ecs = evented(local_ecs, events_queue)
    [mine] = ecs.run_task(command=py("print('mine')"))
    [theirs] = ecs.run_task(command=py("print('theirs')"))
    [result] = ecs.wait_for_tasks([mine], timeout_seconds=60)
    assert result.succeeded
    envelopes = received_events(local_ecs, events_queue, stopped_event_of(theirs))
    assert all(e["detail"]["taskArn"] == theirs for e in envelopes)


def test_a_late_event_never_overrides_a_newer_state(local_ecs: LocalEcs, events_queue: str) -> None:
    """An event older than what is known (here a forged success of version 1, delivered after
    the task is known to run) is ignored: the task's real end is reported."""
    ecs = evented(local_ecs, events_queue)
    [arn] = ecs.run_task(command=py("import sys, time; time.sleep(2); sys.exit(5)"))
    wait_until(lambda: ecs.describe_tasks([arn])[0]["lastStatus"] == "RUNNING", what="RUNNING")
    [known] = ecs.describe_tasks([arn])
    forged = {
        "version": "0",
        "id": "forged",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "resources": [arn],
        "detail": {
            "taskArn": arn,
            "taskDefinitionArn": known["taskDefinitionArn"],
            "lastStatus": "STOPPED",
            "stopCode": "EssentialContainerExited",
            "containers": [{"name": "main", "exitCode": 0}],
            "version": 1,
        },
    }
    sqs = client(local_ecs, "sqs")
    for _ in range(2):  # a duplicate, too
        sqs.send_message(QueueUrl=events_queue, MessageBody=json.dumps(forged))
    [result] = ecs.wait_for_tasks([arn], timeout_seconds=60)
    assert not result.succeeded and result.exit_codes == {"main": 5}


def test_a_task_whose_events_never_arrive_is_described_after_the_silence_bound(
    local_ecs: LocalEcs,
) -> None:
    """A queue that gets none of the task's events (its rule names another cluster): the task
    is described each silence bound and its end found that way."""
    elsewhere = new_queue(local_ecs, "arn:aws:ecs:us-east-1:123456789012:cluster/elsewhere")
    try:
        ecs = evented(local_ecs, elsewhere, task_events_silence_seconds=0.5)
        calls = ApiCalls(ecs.ecs_client())
        [arn] = ecs.run_task(command=py("import time; time.sleep(2)"))
        [result] = ecs.wait_for_tasks([arn], timeout_seconds=60)
        assert result.succeeded
        assert calls.counts["DescribeTasks"] >= 2  # the sweep, then the silence bound
    finally:
        delete_task_events_queue(
            local_ecs.endpoint_url, local_ecs.region, elsewhere, credentials=local_ecs.credentials
        )


class RecordingQueue(TaskEventQueue):
    """The real queue calls, noting which message each receipt handle belongs to and what
    was handed back or deleted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.message_of: dict[str, str] = {}
        self.held: list[str] = []
        self.deleted: list[str] = []

    def receive(self, **kwargs: Any) -> list[QueueMessage]:
        messages = super().receive(**kwargs)
        self.message_of.update({m.receipt: m.message_id for m in messages})
        return messages

    def hold(self, receipts: Sequence[str], seconds: int, **kwargs: Any) -> int:
        self.held += [self.message_of[r] for r in receipts]
        return super().hold(receipts, seconds, **kwargs)

    def delete(self, receipts: Sequence[str], **kwargs: Any) -> int:
        self.deleted += [self.message_of[r] for r in receipts]
        return super().delete(receipts, **kwargs)


def test_a_message_nobody_takes_is_dropped_after_a_few_receives(
    local_ecs: LocalEcs, events_queue: str, tmp_path: Path
) -> None:
    """A message no waiting consumer takes (here not an event at all) is handed back, then
    deleted once it has been received ``drop_after_receives`` times and is older than the
    silence bound."""
    ecs = make_resource(local_ecs)
    sqs = client(local_ecs, "sqs")
    junk = sqs.send_message(QueueUrl=events_queue, MessageBody="not an event")["MessageId"]
    # The task runs until the test releases it, once the message is dropped (at the latest
    # after 30 s): the wait lasts as long as the drop takes, however loaded the host.
    release = tmp_path / "release"
    waits = f"import os, time\nwhile not os.path.exists({str(release)!r}): time.sleep(0.1)"
    [arn] = ecs.run_task(command=py(waits))
    settings = WatchSettings(
        timeout_seconds=60,
        events=EventSettings(drop_after_receives=2, hold_seconds=1, silence_seconds=1),
    )
    queue = RecordingQueue(ecs.sqs_client(), events_queue)
    watcher = TaskWatcher(ecs.task_client(), ecs.cluster, settings=settings, events=queue)

    def release_once_dropped() -> None:
        with contextlib.suppress(AssertionError):  # the assertions below say what happened
            wait_until(lambda: junk in queue.deleted, timeout=30, what="the message's drop")
        release.touch()

    threading.Thread(target=release_once_dropped, daemon=True).start()
    [result] = watcher.wait([arn])
    assert result.succeeded
    assert queue.held.count(junk) == 1
    assert queue.deleted.count(junk) == 1
