"""Text from tasks and AWS fields, made harmless for the terminal it is printed on.

A log line is whatever a task wrote, and API fields such as a stop reason are whatever the
caller of StopTask wrote: printed as they are, their control characters drive the terminal
(``ESC ] 0 ;`` retitles the window, ``ESC [ 2 J`` clears the screen, a carriage return lets a
line overwrite what came before it, and some terminals answer queries by typing into the
shell). ``terminal_text`` shows each of them as a visible escape (``\\x1b``, ``\\r``) and
keeps tab and newline, so the text reads the same and cannot act.

Every task command prints through it, on a terminal and elsewhere alike (a file or a pipe is
often shown on a terminal later: ``less -R``, ``tee``, ``cat``); ``--raw`` on ``logs`` and
``describe`` prints the text as it is. JSON output needs nothing: JSON escapes every control
character already, so it passes unchanged.
"""

from __future__ import annotations

import re

# C0 except tab and newline, a carriage return not ending a line (CRLF is a line end, a lone
# CR rewrites the line), DEL, and C1 (U+0080..U+009F: U+009B is an 8-bit CSI to terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return "\\r" if char == "\r" else f"\\x{ord(char):02x}"


def terminal_text(text: str) -> str:
    """``text`` with every control character but tab, newline and CRLF shown as an escape."""
    if text.isprintable():  # most lines: no control character at all, told 5x faster
        return text
    return _CONTROL.sub(_escape, text)
