"""GetLogEvents tokens of the embedded ECS: positions counted from a stream's first event. Pure.

A token is ``f/<position>`` (forward: the position of the last event returned) or
``b/<position>`` (backward: the position of the first one), moto's own format. Positions count
every event the stream ever held, those dropped to bound the server's memory included
(``log_retention``), so a token handed out before the oldest events were dropped still means
the same place afterwards: a reader carries on from there, or from the oldest event still held
when its place was dropped, and can tell how many events it missed.
"""

from __future__ import annotations

from typing import Literal

Direction = Literal["f", "b"]

# Before the first event: where a read from the head starts.
BEFORE_HEAD = -1


def make_token(direction: Direction, position: int) -> str:
    # moto pads to 56 digits; keep its shape so a token looks the same before and after a drop.
    return f"{direction}/{position:056d}"


def parse_token(token: str) -> tuple[Direction, int] | None:
    """The direction and position of ``token``; None when it is not one of ours."""
    direction, _, digits = token.partition("/")
    if direction not in ("f", "b"):
        return None
    try:
        position = int(digits)
    except ValueError:
        return None
    return ("f" if direction == "f" else "b"), position


def events_skipped(sent: str, received: str, returned: int) -> int:
    """How many events a forward read from ``sent`` ("" for the head) passed over without
    returning them (dropped before it came to them), given the forward token ``received`` and
    the number of events ``returned``."""
    before = parse_token(sent) if sent else ("f", BEFORE_HEAD)
    after = parse_token(received)
    if before is None or after is None or before[0] != "f" or after[0] != "f":
        return 0
    return max(0, after[1] - before[1] - returned)
