"""The one poll loop: probe, pause, probe again, until an answer or the deadline.

Everything in the project that waits for something to change (tasks to stop, ECS Exec to be
ready, a log stream to go quiet, the embedded ECS to answer) waits here. Pauses start short
(most short tasks end within seconds) and grow to a maximum; each interval is counted from the
start of a round, so a slow round (thousands of tasks, a throttled call) does not add its own
length to the detection delay; no pause runs past the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from ecs_pipelines.ecs.common.deadline import Deadline, bounded_by
from ecs_pipelines.ecs.common.retry import is_retryable

T = TypeVar("T")


@dataclass(frozen=True)
class Pace:
    """How the loop spaces its rounds."""

    initial_seconds: float = 0.2
    maximum_seconds: float = 1.0
    growth: float = 1.5

    def intervals(self) -> Iterator[float]:
        """Pauses between rounds: fast first, then geometric growth capped at the maximum."""
        interval = min(self.initial_seconds, self.maximum_seconds)
        while True:
            yield interval
            interval = min(self.maximum_seconds, interval * self.growth)


def poll_until(
    probe: Callable[[], T | None],
    *,
    deadline: Deadline,
    on_timeout: Callable[[], BaseException],
    pace: Pace = Pace(),
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """The first non-None answer of ``probe()``; ``on_timeout()`` is raised past the deadline.

    Every AWS call the probe makes is bounded by the deadline; a probe that fails because the
    deadline passed mid-call also ends in ``on_timeout()``, so the caller sees one timeout
    error whatever the endpoint did. With a deadline, a round whose calls failed for a reason
    that time can fix (throttling, a dropped connection: the retry layer already gave up on
    that round) is followed by another round; without one, the error is raised.
    """
    pauses = pace.intervals()
    with bounded_by(deadline) as effective:
        while True:
            started = clock()
            try:
                answer = probe()
            except Exception as error:
                if effective.expired():
                    raise on_timeout() from error
                if effective.at is None or not is_retryable(error):
                    raise
                answer = None
            if answer is not None:
                return answer
            if effective.expired():
                raise on_timeout()
            pause = max(0.0, next(pauses) - (clock() - started))
            sleep(effective.cap(pause))
