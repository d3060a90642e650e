"""Tracking tasks across sensor ticks: the versioned cursor, the decision of a tick (pure), the
time-boxed describe, the queue of task state events, and the runner that does a tick's I/O.
"""

from ecs_pipelines.ecs.tracking.cursor import TaskGroup, TrackingState, task_digest
from ecs_pipelines.ecs.tracking.decision import (
    ClusterWatch,
    Listing,
    Settlement,
    TickDecision,
    TickRules,
    sweep_begins,
)
from ecs_pipelines.ecs.tracking.event_intake import (
    DEFAULT_SWEEP_SECONDS,
    EventIntake,
    client_region,
    group_matcher,
    listed_by,
    sweep_due,
    take_events,
)
from ecs_pipelines.ecs.tracking.review import Described, GroupCompletion, TickResult
from ecs_pipelines.ecs.tracking.runner import (
    SensorTick,
    list_watched,
    run_tick,
    tick_with_events,
)
from ecs_pipelines.ecs.tracking.ticks import DEFAULT_BUDGET_SECONDS, tick

__all__ = [
    "DEFAULT_BUDGET_SECONDS",
    "DEFAULT_SWEEP_SECONDS",
    "ClusterWatch",
    "Described",
    "EventIntake",
    "GroupCompletion",
    "Listing",
    "SensorTick",
    "Settlement",
    "TaskGroup",
    "TickDecision",
    "TickResult",
    "TickRules",
    "TrackingState",
    "client_region",
    "group_matcher",
    "list_watched",
    "listed_by",
    "run_tick",
    "sweep_begins",
    "sweep_due",
    "take_events",
    "task_digest",
    "tick",
    "tick_with_events",
]
