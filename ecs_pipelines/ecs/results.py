"""What a finished (or lost) ECS task amounts to, as handed to callers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MISSING_STATUS = "MISSING"


@dataclass(frozen=True)
class EcsTaskResult:
    """The outcome of one ECS task once it has STOPPED (or ECS no longer knows it)."""

    task_arn: str
    last_status: str
    stop_code: str | None
    stopped_reason: str | None
    exit_codes: Mapping[str, int | None]
    succeeded: bool
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    reason: str = ""
    task_definition_arn: str | None = None
    cluster_arn: str | None = None
    log_lines_complete: bool = True
    task: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]

    @property
    def lost(self) -> bool:
        """True when ECS answered MISSING for the task: its outcome is unknown, so it failed."""
        return self.last_status == MISSING_STATUS

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.stopped_at is None:
            return None
        return (self.stopped_at - self.started_at).total_seconds()

    def summary(self) -> str:
        codes = ", ".join(f"{name}={code}" for name, code in sorted(self.exit_codes.items()))
        state = "succeeded" if self.succeeded else "failed"
        return f"{self.task_id} {state}: {self.reason} [exit codes: {codes or 'none'}]"


class EcsTaskFailure(Exception):
    """One or more tasks did not succeed; ``results`` holds every task's result, good and bad."""

    def __init__(self, results: Sequence[EcsTaskResult]) -> None:
        self.results = list(results)
        self.failed = [r for r in self.results if not r.succeeded]
        lines = [r.summary() for r in self.failed]
        super().__init__(
            f"{len(self.failed)} of {len(self.results)} ECS task(s) failed:\n" + "\n".join(lines)
        )
