"""A step's CloudWatch lines: forwarded into the run log as they come, and the last lines of a
failed task, each passing the step's redaction. Dagster Pipes' own messages are left out (the
Pipes reader reads them)."""

from __future__ import annotations

import threading
from typing import Any

from ecs_pipelines.ecs.common import short_task_id
from ecs_pipelines.ecs.logs import LOG_TAIL_LINES, LogStreamRef, last_lines
from ecs_pipelines.integration.redaction import Redaction

PIPES_MARKER = '"__dagster_pipes_version"'


class StepLogs:
    """The log streams of a step's tasks (``refs``, by task ARN) and what is read from them."""

    def __init__(self, redaction: Redaction, log: Any, logs_client: Any) -> None:
        self.refs: dict[str, list[LogStreamRef]] = {}
        self._redaction = redaction
        self._log = log
        self._logs_client = logs_client
        self._lock = threading.Lock()

    def forward(self, task: str, container: str, lines: list[str]) -> None:
        prefix = f"[{short_task_id(task)}/{container}]"
        text = self._redaction.lines([line for line in lines if PIPES_MARKER not in line])
        if text:
            with self._lock:
                self._log.info("\n".join(f"{prefix} {line}" for line in text))

    def tail(self, task_arn: str) -> list[str]:
        lines: list[str] = []
        for ref in self.refs.get(task_arn, []):
            lines.extend(last_lines(self._logs_client(), ref, LOG_TAIL_LINES))
        kept = [line for line in lines if PIPES_MARKER not in line][-LOG_TAIL_LINES:]
        return self._redaction.lines(kept)
