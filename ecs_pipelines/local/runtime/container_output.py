"""A container's output as the awslogs driver ships it: one log event per line. Pure.

Bytes arrive in arbitrary pieces; they are decoded as UTF-8 (invalid bytes replaced), cut at
newlines, and lines longer than CloudWatch accepts are cut into several events.
"""

from __future__ import annotations

import codecs
from typing import Any

# CloudWatch rejects events over 256 KiB; cut longer lines well below that.
MAX_EVENT_CHARS = 200_000


class OutputLines:
    """Turns a stream of output bytes into complete lines, keeping the unfinished one."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""

    def feed(self, data: bytes, *, final: bool = False) -> list[str]:
        """The lines completed by ``data``; ``final`` flushes the unfinished one too."""
        text = self._partial + self._decoder.decode(data, final=final)
        lines = text.split("\n")
        self._partial = "" if final else lines.pop()
        if len(self._partial) > MAX_EVENT_CHARS:
            lines.append(self._partial)
            self._partial = ""
        return lines


def log_events(lines: list[str], timestamp_ms: int) -> list[dict[str, Any]]:
    """CloudWatch events for ``lines`` (empty lines dropped, long ones cut), all stamped alike."""
    return [
        {"timestamp": timestamp_ms, "message": piece}
        for line in lines
        for piece in _chunks(line.rstrip("\r"))
    ]


def _chunks(line: str) -> list[str]:
    if not line:
        return []
    return [line[i : i + MAX_EVENT_CHARS] for i in range(0, len(line), MAX_EVENT_CHARS)]
