"""The table on stdout and ``benchmarks/RESULTS.md``: machine, date, versions, every row."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from benchmarks.measures import Row

PACKAGES = ("dagster", "dagster-aws", "boto3", "botocore", "moto")
HEADERS = ("scenario", "metric", "ecs_pipelines", "PipesECSClient", "ours/theirs", "target", "met")


def machine() -> dict[str, str]:
    cpu_model = "unknown"
    memory = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu_model = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                cpu_model,
            )
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model,
        "memory": memory,
        "os": platform.platform(),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit == "B":
        return f"{value / 1024:.1f} KiB"
    if float(value).is_integer() and abs(value) >= 1:
        text = f"{int(value)}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"
    return f"{text} {unit}".strip() if unit else text


def cells(row: Row) -> list[str]:
    ratio = row.ratio
    met = "" if row.met is None else ("met" if row.met else "MISSED")
    theirs = fmt(row.theirs, row.unit)
    if row.theirs_label:
        theirs += " †"
    return [
        row.scenario,
        row.metric,
        fmt(row.ours, row.unit),
        theirs,
        "n/a" if ratio is None else f"{ratio:.3g}",
        row.target,
        met,
    ]


def text_table(rows: Sequence[Row]) -> str:
    table = [list(HEADERS)] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = []
    for index, line in enumerate(table):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(
    rows: Sequence[Row], *, started: datetime.datetime, seconds: float, notes: Sequence[str]
) -> str:
    out = [
        "# Benchmark: ecs_pipelines vs dagster-aws PipesECSClient",
        "",
        "Written by `make bench` (`python -m benchmarks`). Every figure below was measured in the",
        "run described here; ours and PipesECSClient's ran on the same tasks in the same run.",
        "",
        f"- date: {started.isoformat(timespec='seconds')} (bench took {seconds:.0f} s)",
    ]
    out += [f"- {key}: {value}" for key, value in machine().items()]
    out += ["- versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()), ""]
    out += [
        "| " + " | ".join(HEADERS) + " | backend | note |",
        "|" + "---|" * (len(HEADERS) + 2),
    ]
    for row in rows:
        note = row.note
        if row.theirs_label:
            note = f"† theirs = {row.theirs_label}. {note}".strip()
        values = [*cells(row), row.backend, note.replace("|", "/")]
        out.append("| " + " | ".join(values) + " |")
    out += ["", "## Notes", ""]
    out += [f"- {note}" for note in notes]
    return "\n".join(out) + "\n"


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
