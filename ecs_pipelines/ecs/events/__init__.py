"""ECS task state change events through SQS: reading the queue, which task an event names, and
applying states forward by version (a stop only a hint).
"""

from ecs_pipelines.ecs.events.identity import Scope, TaskMatcher, cluster_scope, task_identity
from ecs_pipelines.ecs.events.queue import (
    BATCH,
    MAX_VISIBILITY_SECONDS,
    QueueMessage,
    TaskEventQueue,
)
from ecs_pipelines.ecs.events.state_changes import (
    TASK_TIMESTAMPS,
    Ignored,
    TaskEvent,
    TaskVersions,
    ignored_summary,
    newest_states,
    parse_task_event,
    stop_hint,
)

__all__ = [
    "BATCH",
    "MAX_VISIBILITY_SECONDS",
    "TASK_TIMESTAMPS",
    "Ignored",
    "QueueMessage",
    "Scope",
    "TaskEvent",
    "TaskEventQueue",
    "TaskMatcher",
    "TaskVersions",
    "cluster_scope",
    "ignored_summary",
    "newest_states",
    "parse_task_event",
    "stop_hint",
    "task_identity",
]
