"""The one way tasks are stopped when their caller gives up on them: best effort, never louder
than the reason it was called for.

Every path that leaves tasks behind (a timeout, an interrupted wait, a terminated Dagster run, a
failed sibling, a half-finished launch, a run that ended badly) stops them here, which holds to
three rules:

- each task is stopped in the cluster it was launched in (the caller says which);
- nothing raised here replaces the exception that caused the stop: a failed StopTask is
  reported to ``on_problem`` and the next task is stopped all the same;
- a second interrupt (Ctrl-C again, Dagster terminating a run twice) while the stops run is
  held back until they are done; outside an ``except`` block it is then delivered, inside one
  the exception already on its way wins.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from ecs_pipelines.ecs.common import Deadline, TaskStatus, task_id

if TYPE_CHECKING:
    from ecs_pipelines.ecs.tasks.client import EcsTaskClient

# StopTask is one quick call; a stop that cannot get through in this long is reported, not
# waited on, so that giving up on tasks never hangs on an endpoint that stopped answering.
STOP_DEADLINE_SECONDS = 30.0
_HELD_SIGNALS = ("SIGINT", "SIGTERM")

ProblemCallback = Callable[[str, str], None]  # (task ARN, what went wrong)


@dataclass
class StopReport:
    """What a stop came to, task by task."""

    stopped: list[str] = field(default_factory=list)  # StopTask accepted, task was running
    already_stopped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # task ARN -> why StopTask failed
    interrupted: bool = False  # an interrupt arrived (and was held back) while stopping


@contextlib.contextmanager
def interrupts_held() -> Iterator[list[int]]:
    """SIGINT/SIGTERM arriving in the block are recorded, not acted on, until it ends.

    Only the main thread receives signals, so elsewhere this does nothing. On leaving, a held
    signal is re-raised unless an exception is being handled (it must not replace that one).
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def hold(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous: dict[int, Any] = {}
    for name in _HELD_SIGNALS:
        number = getattr(signal, name)
        previous[number] = signal.signal(number, hold)
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if received and _no_exception_in_flight():
        signal.raise_signal(received[0])


def _no_exception_in_flight() -> bool:
    import sys

    return sys.exc_info()[1] is None


def stop_tasks(
    client: EcsTaskClient,
    cluster: str,
    task_arns: Sequence[str],
    *,
    reason: str,
    on_problem: ProblemCallback | None = None,
    deadline_seconds: float = STOP_DEADLINE_SECONDS,
) -> StopReport:
    """Stops each task of ``cluster`` in ``task_arns``; never raises. See the module docstring."""
    report = StopReport()
    deadline = Deadline.after(deadline_seconds)
    with interrupts_held() as held:
        for arn in dict.fromkeys(task_arns):
            try:
                task = client.stop(cluster, arn, reason=reason, deadline=deadline)
            except BaseException as error:
                problem = f"StopTask failed for task {task_id(arn)}: {_describe(error)}"
                report.failed[arn] = problem
                if isinstance(error, KeyboardInterrupt | SystemExit) or not isinstance(
                    error, Exception
                ):
                    report.interrupted = True
                if on_problem is not None:
                    with contextlib.suppress(Exception):
                        on_problem(arn, problem)
                continue
            was_stopped = task.get("lastStatus") == TaskStatus.STOPPED
            (report.already_stopped if was_stopped else report.stopped).append(arn)
        report.interrupted = report.interrupted or bool(held)
    return report


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text
