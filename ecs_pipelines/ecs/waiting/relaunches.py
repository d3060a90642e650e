"""The relaunch of tasks the platform interrupted, while a wait goes on.

A launch asks for N tasks; each is a slot. While ``TaskWatcher`` waits for them, ``Relaunches``
is its successor hook: when a slot's task stopped through no fault of its own
(``tasks.relaunch_decision``: a Spot reclaim, a host retired, a start the host failed), it
launches the slot again at once (through the injected ``relaunch``) and the watcher waits for
the new task in the old one's place. A slot's result is its last task's; the tasks before it
are kept as attempts, each with the task that replaced it, for the run log and the metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ecs_pipelines.ecs.tasks import EcsTaskResult, Relaunch, relaunch_decision

# (slot, the relaunch decided) -> the new task's ARN
RelaunchSlot = Callable[[int, Relaunch], str]


@dataclass(frozen=True)
class Attempt:
    """A task that was interrupted, and the task launched in its place."""

    slot: int
    task_arn: str
    stop_code: str
    stopped_reason: str
    relaunched_as: str

    def as_dict(self) -> dict[str, object]:
        return {
            "slot": self.slot,
            "task_arn": self.task_arn,
            "stop_code": self.stop_code,
            "stopped_reason": self.stopped_reason,
            "relaunched_as": self.relaunched_as,
        }


class Relaunches:
    """Which slot each task fills and how often that slot was relaunched; the successor hook
    of a wait (``successor``)."""

    def __init__(self, task_arns: Sequence[str], *, relaunch: RelaunchSlot, allowed: int) -> None:
        self._relaunch = relaunch
        self.allowed = allowed
        self._slot = {arn: slot for slot, arn in enumerate(task_arns)}
        self._relaunched: dict[str, int] = dict.fromkeys(task_arns, 0)
        self.attempts: list[Attempt] = []

    def successor(self, result: EcsTaskResult) -> str | None:
        """The task launched in place of ``result``'s when it was interrupted and its slot
        may be relaunched again; None when its result stands."""
        arn = result.task_arn
        slot = self._slot.get(arn)
        if slot is None:
            return None
        done = self._relaunched.get(arn, 0)
        decision = relaunch_decision(result, relaunched=done, allowed=self.allowed)
        if decision is None:
            return None
        new_arn = self._relaunch(slot, decision)
        self._slot[new_arn], self._relaunched[new_arn] = slot, done + 1
        self.attempts.append(
            Attempt(slot, arn, decision.stop_code, decision.stopped_reason, new_arn)
        )
        return new_arn
