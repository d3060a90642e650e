"""The sensors' side of task state events: each sensor's own queue, read once per tick.

A sensor given ``task_events_queue_url`` learns that its tasks ended from that queue
(``ecs.tracking``): it describes only new tasks, a sweep every
``task_events_sweep_seconds`` and what events cannot tell, and deletes the messages it applied
only in the tick after, once Dagster has stored the cursor that holds them. The queue must be
the sensor's alone: a message of a task it does not watch is deleted (the detached sensor
describes a task when it starts tracking it and needs none of its earlier events; the
completion sensor starts tracking a task of its cluster and filters from its events). Give each
sensor its own queue (one EventBridge rule can target up to five; ``deploy/task-events.yaml``
makes one rule and queue per consumer).
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import EnvVar, SensorEvaluationContext

from ecs_pipelines.ecs.events import (
    MAX_VISIBILITY_SECONDS,
    Ignored,
    TaskEventQueue,
    ignored_summary,
)
from ecs_pipelines.ecs.tracking import SensorTick
from ecs_pipelines.integration.resource import EcsResource

# A message a tick applied stays hidden until the next tick has deleted it: several sensor
# intervals, so that a daemon running late does not see it again (if it does: harmless).
MIN_VISIBILITY_SECONDS = 120


def sensor_queue(ecs: EcsResource, queue_url: str | None) -> TaskEventQueue | None:
    """The sensor's queue (``queue_url``: a URL, or an ``EnvVar`` read at each tick); None:
    the sensor polls."""
    url = queue_url.get_value() if isinstance(queue_url, EnvVar) else queue_url
    return ecs.task_event_queue(url) if url else None


def visibility_seconds(minimum_interval_seconds: int) -> int:
    """How long a received message stays hidden from the sensor's later receives."""
    return min(MAX_VISIBILITY_SECONDS, max(MIN_VISIBILITY_SECONDS, 4 * minimum_interval_seconds))


def say_events(context: SensorEvaluationContext, ticked: SensorTick) -> None:
    """What a tick on events has to say, once each: the previous tick's messages it could not
    delete (they come back: harmless), a queue it could not read (it described instead),
    and how many events it ignored and why (never what they held: an event's detail carries
    the task's overrides)."""
    if ticked.queue_error:
        context.log.warning(f"Task state event queue: {ticked.queue_error}")
    intake = ticked.intake
    if intake.failed:
        context.log.warning(
            f"Task state events unavailable ({intake.failed}): this tick described the "
            "tracked tasks instead"
        )
    counts = {Ignored.FOREIGN: intake.foreign, Ignored.UNCONFIRMED: len(ticked.result.unconfirmed)}
    summary = ignored_summary(counts)
    if summary:
        context.log.warning(summary)


def settle(
    context: SensorEvaluationContext,
    queue: TaskEventQueue,
    *,
    delete: Sequence[str],
    release: Sequence[str] = (),
) -> None:
    """Deletes the messages nothing is kept of and hands back those to decide again; a
    failure only means they come back later, which is harmless."""
    try:
        if delete:
            queue.delete(delete)
        if release:
            queue.hold(release, 0)
    except Exception as error:
        context.log.warning(f"Task state event queue: {type(error).__name__}: {error}")
