"""Waiting for tasks: the one watch loop (DescribeTasks in batches of 100, or task state events
with sweeps and confirmed stops).
"""

from ecs_pipelines.ecs.waiting.event_rounds import EventSettings
from ecs_pipelines.ecs.waiting.watcher import (
    ResultCallback,
    StatusCallback,
    TaskWatcher,
    WatchSettings,
    check_timeout,
)

__all__ = [
    "EventSettings",
    "ResultCallback",
    "StatusCallback",
    "TaskWatcher",
    "WatchSettings",
    "check_timeout",
]
