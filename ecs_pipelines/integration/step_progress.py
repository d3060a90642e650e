"""One line per event of a step's tasks, for a terminal that shows the run (``make run`` prints
them): launched, refused for now, moved to other capacity, interrupted and relaunched, ended.
Silent unless a handler is attached to ``progress``. Ids and ECS's words only: never a secret
(what ECS said passes the step's redaction first)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.ecs.launching import CapacityFallback, CapacityWait
from ecs_pipelines.ecs.tasks import EcsTaskResult, Relaunch

progress = logging.getLogger("ecs_pipelines.progress")


@dataclass(frozen=True)
class StepProgress:
    """The progress lines of one step of one run."""

    run_id: str
    step_key: str
    mask: Callable[[str], str]

    def _say(self, text: str, *args: object) -> None:
        progress.info("%s  %-14s " + text, self.run_id[:8], self.step_key, *args)

    def launched(self, arn: str) -> None:
        self._say("%s launched", task_id(arn))

    def refused(self, wait: CapacityWait) -> None:
        self._say(
            "RunTask refused (%s): next attempt in %.1f s", self.mask(wait.said), wait.pause_seconds
        )

    def fell_back(self, fallback: CapacityFallback) -> None:
        self._say("no room on %s: falling back to %s", fallback.from_capacity, fallback.to_capacity)

    def interrupted(self, decided: Relaunch) -> None:
        self._say(
            "%s interrupted (%s): relaunching", task_id(decided.predecessor_arn), decided.stop_code
        )

    def ended(self, result: EcsTaskResult) -> None:
        codes = ",".join(str(code) for code in result.exit_codes.values()) or "-"
        outcome = "succeeded" if result.succeeded else "failed"
        self._say("%s %s (exit %s)", result.task_id, outcome, codes)
