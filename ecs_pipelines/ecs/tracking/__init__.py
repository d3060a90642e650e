"""Tracking tasks across sensor ticks: the versioned cursor, the time-boxed tick, and a tick on
task state events.
"""

from ecs_pipelines.ecs.tracking.cursor import TaskGroup, TrackingState, task_digest
from ecs_pipelines.ecs.tracking.event_intake import (
    DEFAULT_SWEEP_SECONDS,
    EventIntake,
    client_region,
    group_matcher,
    listed_by,
    sweep_due,
    take_events,
    tick_with_events,
)
from ecs_pipelines.ecs.tracking.ticks import (
    DEFAULT_BUDGET_SECONDS,
    GroupCompletion,
    TickResult,
    tick,
)

__all__ = [
    "DEFAULT_BUDGET_SECONDS",
    "DEFAULT_SWEEP_SECONDS",
    "EventIntake",
    "GroupCompletion",
    "TaskGroup",
    "TickResult",
    "TrackingState",
    "client_region",
    "group_matcher",
    "listed_by",
    "sweep_due",
    "take_events",
    "task_digest",
    "tick",
    "tick_with_events",
]
