"""Waiting for tasks while relaunching the ones the platform interrupted.

A launch asks for N tasks; each is a slot. ``wait_relaunching`` waits for the tasks of every
slot, and when one stopped through no fault of its own (``tasks.relaunch_decision``: a Spot
reclaim, a host retired, a start the host failed), it launches that slot again and waits for
the new task. A slot's result is the last task's; the tasks before it are kept as attempts,
each with the ARN that replaced it, so that the run log and the metadata can say the story.

Waiting goes in rounds: the tasks of a round are waited for together (one watch loop), then
the interrupted ones are relaunched and the next round waits for those. The I/O is injected
(``wait_round``, ``relaunch``): the caller owns launching, logging and the deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ecs_pipelines.ecs.tasks import EcsTaskResult, Relaunch, relaunch_decision

WaitRound = Callable[[Sequence[str]], list[EcsTaskResult]]
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


@dataclass
class RelaunchedWait:
    """What the tasks of a launch came to: one result per slot, and the attempts before."""

    results: list[EcsTaskResult]
    attempts: list[Attempt] = field(default_factory=list)


def wait_relaunching(
    task_arns: Sequence[str], *, wait_round: WaitRound, relaunch: RelaunchSlot, allowed: int
) -> RelaunchedWait:
    """Waits for every slot's task; an interrupted one is relaunched up to ``allowed`` times
    (per slot), and its slot waits for the new task."""
    current = list(task_arns)
    relaunched = [0] * len(current)
    finished: dict[int, EcsTaskResult] = {}
    attempts: list[Attempt] = []
    waiting = list(range(len(current)))
    while waiting:
        results = wait_round([current[slot] for slot in waiting])
        again = []
        for slot, result in zip(waiting, results, strict=True):
            decision = relaunch_decision(result, relaunched=relaunched[slot], allowed=allowed)
            if decision is None:
                finished[slot] = result
                continue
            new_arn = relaunch(slot, decision)
            attempts.append(
                Attempt(slot, result.task_arn, decision.stop_code, decision.stopped_reason, new_arn)
            )
            current[slot], relaunched[slot] = new_arn, relaunched[slot] + 1
            again.append(slot)
        waiting = again
    return RelaunchedWait([finished[slot] for slot in range(len(current))], attempts)
