"""Where tasks log and how their lines are read: awslogs streams, one stream's tail, many streams
at once (FilterLogEvents), the log pump of a wait, and links to a task's pages.
"""

from ecs_pipelines.ecs.logs.links import TASK_PAGES, TaskLinks, links_for
from ecs_pipelines.ecs.logs.pump import BATCH_FROM_TASKS, LogLinesCallback, LogPump, pump_for
from ecs_pipelines.ecs.logs.reads import LOG_TAIL_LINES, LogTail, last_lines
from ecs_pipelines.ecs.logs.streams import LogStreamRef, log_stream_refs

__all__ = [
    "BATCH_FROM_TASKS",
    "LOG_TAIL_LINES",
    "TASK_PAGES",
    "LogLinesCallback",
    "LogPump",
    "LogStreamRef",
    "LogTail",
    "TaskLinks",
    "last_lines",
    "links_for",
    "log_stream_refs",
    "pump_for",
]
