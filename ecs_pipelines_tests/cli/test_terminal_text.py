"""The one escaping every task command prints through (``cli.terminal.terminal_text``)."""

from __future__ import annotations

import json

import pytest

from ecs_pipelines.cli.terminal import terminal_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # OSC: retitles the window
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # CSI: clears the screen
        ("nul\x00 bs\x08 vt\x0b", "nul\\x00 bs\\x08 vt\\x0b"),
        ("ff\x0c so\x0e us\x1f", "ff\\x0c so\\x0e us\\x1f"),
        ("del\x7f", "del\\x7f"),
        ("csi\x9b2J nel\x85 pad\x80", "csi\\x9b2J nel\\x85 pad\\x80"),  # C1
        ("10%\r20%", "10%\\r20%"),  # a lone CR rewrites the line
        ("ends with CR\r", "ends with CR\\r"),
    ],
)
def test_control_characters_are_shown_escaped(text: str, shown: str) -> None:
    """C0 (ESC included), DEL, C1 and a lone carriage return become visible escapes."""
    assert terminal_text(text) == shown


def test_tab_newline_crlf_and_printable_text_pass_unchanged() -> None:
    """Tabs, newlines, CRLF line ends, non-ASCII letters and backslashes read as written."""
    text = "a\tb\nc\r\nd é ✓ \u00a0 C:\\x1b\\path"
    assert terminal_text(text) == text


def test_json_passes_unchanged() -> None:
    """JSON output (--json) is left as it is: JSON escapes every control character itself."""
    text = json.dumps({"every control": "".join(map(chr, range(0xA0))), "\x1b": "\r"})
    assert terminal_text(text) == text
