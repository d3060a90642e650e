"""Plain-text table of task results, for `make run` and the CLI."""

from __future__ import annotations

from collections.abc import Sequence

ELLIPSIS = "…"


def elide(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: its middle replaced by an ellipsis when longer,
    so that both ends (a name's start, a key's last part) still show."""
    if len(text) <= width:
        return text
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + ELLIPSIS + (text[-tail:] if tail else "")


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    max_widths: Sequence[int] | None = None,
) -> str:
    """Columns two spaces apart; with ``max_widths``, a longer cell is elided to its column's."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    if max_widths is not None:
        cells = [[elide(c, w) for c, w in zip(row, max_widths, strict=True)] for row in cells]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
