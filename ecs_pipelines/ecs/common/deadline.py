"""A caller's deadline, and how it bounds every AWS call made on its behalf.

A deadline is set once, where the caller's timeout is known (``wait_for_tasks(timeout_seconds=)``,
a sensor tick's budget), and holds for everything below it: the retry layer stops trying when it
passes, the poll loop never sleeps past it, and each HTTP request's read timeout is cut to the
time left. The last part goes through botocore's per-request ``read_timeout`` (the request
context key its URLLib3Session honours), set by a ``before-call`` hook from a context variable,
so it needs no private botocore attribute and works for any client the project is handed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from botocore.client import BaseClient

# A request needs some time to be worth sending at all; below this the deadline has passed.
MIN_REQUEST_SECONDS = 0.05
# Connect timeout of the clients the project builds: short, so that an unreachable endpoint
# fails fast and a deadline holds within a few seconds whatever the network does.
CONNECT_TIMEOUT_SECONDS = 5.0
# Read timeout when no deadline is set (botocore's default is 60 s).
READ_TIMEOUT_SECONDS = 30.0
_HOOK_ID = "ecs-pipelines-deadline-read-timeout"


@dataclass(frozen=True)
class Deadline:
    """A monotonic time by which the caller wants an answer; ``at=None`` means no limit."""

    at: float | None = None
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def after(cls, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(None if seconds is None else clock() + seconds, clock)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a limit."""
        return None if self.at is None else max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        return self.at is not None and self.clock() >= self.at

    def cap(self, seconds: float) -> float:
        """``seconds``, shortened to the time left."""
        left = self.remaining()
        return seconds if left is None else max(0.0, min(seconds, left))

    def earliest(self, other: Deadline | None) -> Deadline:
        """The sooner of two deadlines."""
        if other is None or other.at is None:
            return self
        if self.at is None or other.at < self.at:
            return other
        return self


NO_DEADLINE = Deadline()
_current: ContextVar[Deadline] = ContextVar("ecs_pipelines_deadline", default=NO_DEADLINE)


def current_deadline() -> Deadline:
    """The deadline of the innermost ``bounded_by`` block (no limit outside any)."""
    return _current.get()


@contextlib.contextmanager
def bounded_by(deadline: Deadline | None) -> Iterator[Deadline]:
    """Every AWS call in the block ends by ``deadline`` (or an enclosing, sooner one)."""
    effective = current_deadline().earliest(deadline)
    token = _current.set(effective)
    try:
        yield effective
    finally:
        _current.reset(token)


def _cap_read_timeout(context: dict[str, Any], **_: Any) -> None:  # Any: botocore's call context
    deadline = current_deadline()
    if deadline.at is None:
        return
    configured = context.get("client_config")
    default = getattr(configured, "read_timeout", None) or READ_TIMEOUT_SECONDS
    context["read_timeout"] = max(MIN_REQUEST_SECONDS, deadline.cap(float(default)))


ClientT = TypeVar("ClientT", bound="BaseClient")


def install_deadline_timeouts(client: ClientT) -> ClientT:
    """Makes ``client``'s requests honour the current deadline; idempotent, returns the client."""
    client.meta.events.register("before-call", _cap_read_timeout, unique_id=_HOOK_ID)
    return client
