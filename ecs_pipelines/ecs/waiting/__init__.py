"""Waiting for tasks: the one watch loop (DescribeTasks in batches of 100, or task state events
with sweeps and confirmed stops), and the relaunch of tasks the platform interrupted.
"""

from ecs_pipelines.ecs.waiting.event_rounds import EventSettings
from ecs_pipelines.ecs.waiting.relaunches import Attempt, Relaunches
from ecs_pipelines.ecs.waiting.watcher import (
    ResultCallback,
    StatusCallback,
    SuccessorCallback,
    TaskWatcher,
    WatchSettings,
    check_timeout,
)

__all__ = [
    "Attempt",
    "EventSettings",
    "Relaunches",
    "ResultCallback",
    "StatusCallback",
    "SuccessorCallback",
    "TaskWatcher",
    "WatchSettings",
    "check_timeout",
]
