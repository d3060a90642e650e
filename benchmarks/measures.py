"""What a scenario hands to the report: rows of one metric, ours beside PipesECSClient's."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

SCRIPTED = "scripted endpoint (loopback)"
EMBEDDED = "embedded ECS (moto)"


@dataclass
class Row:
    """One metric of one scenario. ``ours``/``theirs`` None: not measured (``note`` says why)."""

    scenario: str
    metric: str
    ours: float | None
    theirs: float | None
    unit: str = ""
    backend: str = SCRIPTED
    target: str = ""
    met: bool | None = None  # None: no target for this row
    note: str = ""
    theirs_label: str = ""  # when "theirs" is not PipesECSClient itself, what it is

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.theirs is None or self.theirs == 0:
            return None
        return self.ours / self.theirs


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (0 < fraction <= 1)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]
