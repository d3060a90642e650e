"""Waiting by events: what a watch round does when task state changes come through SQS.

A round, in ``TaskWatcher``'s one loop (``polling.poll_until``, with no pause of its own: the
long poll is the wait):

1. Sweep: at the start, and every ``sweep_seconds`` after, one DescribeTasks per 100 pending
   tasks, for events that were lost or are late (and for what happened before the wait).
2. Silence: a pending task no event has named for ``silence_seconds`` (since the wait began,
   since its last event, or since it was last described for that reason) is described
   directly. A task whose events do not arrive at all (a rule that does not match its
   cluster) is then polled at this pace, and a lost stop event costs at most this long.
   While others' messages come through the queue (a queue many waits share, busy: in the
   last ``silence_seconds``), the bound is ``shared_silence_seconds``: a message then spends
   most of its time in other consumers' hands (each holds it about ``hold_seconds`` before
   handing it back), so with N waits an event takes about N seconds to reach its own, and
   a wait on a busy shared queue costs what polling at that pace would, never more.
3. Events: ReceiveMessage (long polling: it returns as soon as a message is there, or when
   the next sweep, silence check or log read is due). An event is a pending task's when it
   names the task by its whole identity (``task_identity``): a state short of STOPPED is
   applied if its version is newer (``task_events``); a stop is a hint. Either way its
   message is deleted; so is a message of a task this wait has already finished (a
   duplicate), and one naming a pending task's id under another account, region or cluster
   (counted, never applied). Any other message is handed back for whichever consumer it
   belongs to (ChangeMessageVisibility after ``hold_seconds``), unless it has been received
   ``drop_after_receives`` times and is older than ``silence_seconds``: nobody took it, so it
   is deleted ("dropped"; its consumer, if any, has described the task itself by then). On a
   queue many waits share (every run worker's steps), a message can pass through many
   consumers before its own: the age keeps it from being dropped before its owner sees it.
4. Confirm: the tasks events said stopped are described, one DescribeTasks per 100, once
   100 are waiting or ``confirm_every_seconds`` after the first of them (the long poll ends
   by then): a stop arriving at a steady pace costs about one call per round of stops, not
   one per stop, for at most that much more latency. The description decides; one that does
   not show the stop drops the event (counted), and the task is described again after the
   silence bound unless an event names it first.

Any error of the queue (it was deleted, access is denied, it cannot be reached after the
retry layer's attempts) raises ``QueueFailed``: the watcher then waits by polling for the
rest of the wait and says so once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecs_pipelines.ecs.common import EcsSpecError, QueueFailed, current_deadline
from ecs_pipelines.ecs.events import (
    Ignored,
    QueueMessage,
    TaskEventQueue,
    TaskMatcher,
    parse_task_event,
    stop_hint,
)
from ecs_pipelines.ecs.tasks import DESCRIBE_BATCH


@dataclass(frozen=True)
class EventSettings:
    """How a wait on task state events reconciles, and how it treats others' messages."""

    sweep_seconds: float = 300.0
    silence_seconds: float = 60.0
    shared_silence_seconds: float = 5.0
    # The longest long poll (SQS allows 20 s); a watcher that tails logs polls no longer than
    # its poll interval, so that lines keep coming.
    wait_seconds: float = 20.0
    # Our messages are deleted in the round that receives them; this only matters if the
    # process dies in between (the message then comes back after this long).
    visibility_seconds: int = 30
    hold_seconds: int = 1
    drop_after_receives: int = 5
    receives_per_round: int = 10
    # Stops told by events are confirmed together: once 100 wait, or this long after the
    # first of them (the latency a confirmation may add).
    confirm_every_seconds: float = 0.1

    def __post_init__(self) -> None:
        if isinstance(self.confirm_every_seconds, bool) or not (
            isinstance(self.confirm_every_seconds, int | float) and self.confirm_every_seconds >= 0
        ):
            raise EcsSpecError(
                "confirm_every_seconds",
                f"must be a number of seconds >= 0, got {self.confirm_every_seconds!r}",
            )
        for name in ("sweep_seconds", "silence_seconds", "shared_silence_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise EcsSpecError(name, f"must be a number of seconds > 0, got {value!r}")


# DescribeTasks these pending refs and observe them; the tasks described, by ref.
Describe = Callable[[Sequence[str]], Mapping[str, Mapping[str, Any]]]
Observe = Callable[[str, Mapping[str, Any]], None]  # a pending ref's new state


class EventRounds:
    """The rounds of one wait on events (see the module docstring)."""

    def __init__(
        self,
        queue: TaskEventQueue,
        settings: EventSettings,
        *,
        refs: Sequence[str],
        matcher: TaskMatcher,
        describe: Describe,
        observe: Observe,
        clock: Callable[[], float],
        sleep: Callable[[float], object],
        max_wait_seconds: float | None = None,
    ) -> None:
        self.queue = queue
        self.settings = settings
        self._describe = describe
        self._observe = observe
        self._clock = clock
        self._sleep = sleep
        self._max_wait = settings.wait_seconds
        if max_wait_seconds is not None:
            self._max_wait = min(self._max_wait, max_wait_seconds)
        self._matcher = matcher
        started = clock()
        self._next_sweep: float | None = None
        self._quiet_since = dict.fromkeys(refs, started)  # refs no event has named yet
        # Counted, not listed: a wait may go on for days.
        self.sweeps = 0
        self.sweep_calls = 0  # DescribeTasks calls of the sweeps (100 tasks a call)
        self.confirm_calls = 0  # DescribeTasks calls that confirmed stops
        self.confirmed = 0  # stops they confirmed or refuted
        self.ignored: Counter[Ignored] = Counter()  # events ignored, by why
        self._stopped: dict[str, None] = {}  # pending refs events said stopped, to confirm
        self._first_stop = 0.0  # when the first of them was told
        self._shared_at: float | None = None  # when others' messages last came through

    def watch(self, ref: str) -> None:
        """A task added to the wait (a relaunch): quiet since now, so that the silence check
        describes it if no event names it."""
        self._quiet_since[ref] = self._clock()

    def round(self, pending: Collection[str]) -> None:
        """Sweep or describe what is due, then apply the events that arrive. ``pending``
        supports fast membership tests (a set or dict view)."""
        now = self._clock()
        if self._next_sweep is None or now >= self._next_sweep:
            self.sweeps += 1
            self.sweep_calls += math.ceil(len(pending) / DESCRIBE_BATCH)
            self._describe(list(pending))
            self._next_sweep = now + self.settings.sweep_seconds
        for ref in [r for r in self._quiet_since if r not in pending]:
            del self._quiet_since[ref]  # done (described): no longer waited for
        bound = self._silence_bound(now)
        silent = [ref for ref, since in self._quiet_since.items() if now - since >= bound]
        if silent:
            self._describe(silent)
            for ref in silent:
                self._quiet_since[ref] = now
        self._receive(pending)
        self._confirm_when_due(pending)

    def _silence_bound(self, now: float) -> float:
        """How long a pending task may go without an event of its own before it is described:
        shorter while the queue is shared and busy (see the module docstring, 2)."""
        shared = (
            self._shared_at is not None and now - self._shared_at < self.settings.silence_seconds
        )
        if shared:
            return min(self.settings.shared_silence_seconds, self.settings.silence_seconds)
        return self.settings.silence_seconds

    def _unclaimed(self, message: QueueMessage) -> bool:
        """Another consumer's message nobody has taken: received often, and old enough that
        its consumer has described the task by now."""
        if message.receive_count < self.settings.drop_after_receives:
            return False
        return message.age_seconds is None or message.age_seconds >= self.settings.silence_seconds

    def _due_in(self) -> float:
        """Seconds until a sweep, a silence check or a confirmation is due (the long poll ends
        by then)."""
        now = self._clock()
        due = [self._next_sweep or now]
        bound = self._silence_bound(now)
        due += [since + bound for since in self._quiet_since.values()]
        if self._stopped:
            due.append(self._first_stop + self.settings.confirm_every_seconds)
        return max(0.0, min(due) - now)

    def _receive(self, pending: Collection[str]) -> None:
        wait = min(self._max_wait, self._due_in())
        if self._stopped and wait < 1:
            # A long poll waits whole seconds: a confirmation due sooner is waited for here,
            # unless messages are already there.
            wait = 0
        mine: list[str] = []
        others: list[str] = []
        dropped: list[str] = []
        received = 0
        try:
            for attempt in range(self.settings.receives_per_round):
                messages = self.queue.receive(
                    wait_seconds=wait if attempt == 0 else 0,
                    visibility_seconds=self.settings.visibility_seconds,
                )
                received += len(messages)
                for message in messages:
                    event = parse_task_event(message.body)
                    match = self._matcher.match(event.identity, event.task_id) if event else None
                    if event is None or match is None or match.ref is None:
                        if match is not None and match.foreign:
                            self.ignored[Ignored.FOREIGN] += 1
                            dropped.append(message.receipt)  # no consumer's: a task is unique
                        elif self._unclaimed(message):
                            dropped.append(message.receipt)
                        else:
                            others.append(message.receipt)
                        continue
                    ref = match.ref
                    mine.append(message.receipt)
                    if ref not in pending:
                        continue
                    self._quiet_since[ref] = self._clock()
                    if stop_hint(event.task):
                        if not self._stopped:
                            self._first_stop = self._clock()
                        self._stopped[ref] = None
                    else:
                        self._observe(ref, event.task)
                if len(messages) < 10:
                    break
            if mine or dropped:
                self.queue.delete([*mine, *dropped])
            if others:
                self.queue.hold(others, self.settings.hold_seconds)
                self._shared_at = self._clock()
        except Exception as error:
            if current_deadline().expired():
                raise  # the caller's timeout, not the queue's failure
            raise QueueFailed(error) from error
        if not received and self._stopped:
            self._sleep(min(self._due_in(), self.settings.confirm_every_seconds))

    def _confirm_when_due(self, pending: Collection[str]) -> None:
        """Confirms the stops events told (see the module docstring, 4) once it is time."""
        for ref in [r for r in self._stopped if r not in pending]:
            del self._stopped[ref]  # described meanwhile (a sweep, a silence check)
        if not self._stopped:
            return
        waited = self._clock() - self._first_stop
        if len(self._stopped) < DESCRIBE_BATCH and waited < self.settings.confirm_every_seconds:
            return
        refs, self._stopped = list(self._stopped), {}
        self.confirm_calls += math.ceil(len(refs) / DESCRIBE_BATCH)
        self.confirmed += len(refs)
        described = self._describe(refs)
        now = self._clock()
        for ref in refs:
            task = described.get(ref)
            if task is None or not stop_hint(task):
                self.ignored[Ignored.UNCONFIRMED] += 1
                self._quiet_since[ref] = now  # described again after the silence bound
