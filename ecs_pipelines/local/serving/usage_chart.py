"""Pure: a task's CPU and memory over time as two small inline SVG charts, each against the
task's reservation (a dashed line), drawn by the server: no script, no style attribute and
nothing loaded, so the pages' Content-Security-Policy holds as it is.

The points are the task's Container Insights performance events (what the task page reads
from the server's own CloudWatch Logs API, as a console would).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ecs_pipelines.ecs.usage import CPU_UNITS_PER_VCPU, TaskUsage

WIDTH, HEIGHT = 480, 120
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 8, 10, 22


def usage_charts(usage: TaskUsage, *, cpu_reserved: float, memory_reserved: float) -> str:
    """The CPU chart (vCPU used, reserved vCPU) and the memory chart (MiB), side by side."""
    times = [point[0] for point in usage.series]
    cpu = [point[1] / CPU_UNITS_PER_VCPU for point in usage.series]
    memory = [point[2] for point in usage.series]
    return (
        "<div class='usage-charts'>"
        + _chart("cpu-chart", "CPU (vCPU)", times, cpu, cpu_reserved / CPU_UNITS_PER_VCPU, "{:.2f}")
        + _chart("memory-chart", "Memory (MiB)", times, memory, memory_reserved, "{:.0f}")
        + "</div>"
    )


def _chart(
    ident: str,
    title: str,
    times: Sequence[float],
    values: Sequence[float],
    reserved: float,
    label: str,
) -> str:
    top = max([reserved, *values, 1e-9]) * 1.1
    start, end = (times[0], times[-1]) if times else (0.0, 1.0)
    span = max(end - start, 1e-9)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(t: float) -> float:
        return _LEFT + (t - start) / span * plot_w if len(times) > 1 else _LEFT + plot_w / 2

    def y(v: float) -> float:
        return _TOP + plot_h - v / top * plot_h

    points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values, strict=True))
    peak = max(values, default=0.0)
    parts = [
        f"<svg id='{ident}' xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' "
        f"height='{HEIGHT}' viewBox='0 0 {WIDTH} {HEIGHT}' role='img' "
        f"aria-label='{html.escape(title)}'>",
        f"<title>{html.escape(title)}: peak {label.format(peak)}, reserved "
        f"{label.format(reserved)}</title>",
        f"<rect x='{_LEFT}' y='{_TOP}' width='{plot_w}' height='{plot_h}' fill='#f6f8fb' "
        "stroke='#dde2ea'/>",
        f"<line class='reserved' x1='{_LEFT}' x2='{_LEFT + plot_w}' y1='{y(reserved):.1f}' "
        f"y2='{y(reserved):.1f}' stroke='#c0392b' stroke-dasharray='4 3'/>",
        f"<text x='{_LEFT - 4}' y='{y(reserved) + 4:.1f}' text-anchor='end' font-size='10' "
        f"fill='#c0392b'>{label.format(reserved)}</text>",
        f"<text x='{_LEFT - 4}' y='{_TOP + plot_h:.1f}' text-anchor='end' font-size='10' "
        "fill='#5b6474'>0</text>",
        f"<text x='{_LEFT}' y='{HEIGHT - 6}' font-size='11' fill='#1d2433'>"
        f"{html.escape(title)} · peak {label.format(peak)} · reserved "
        f"{label.format(reserved)} (dashed)</text>",
    ]
    if len(values) > 1:
        parts.append(
            f"<polyline class='used' points='{points}' fill='none' stroke='#2563eb' "
            "stroke-width='2'/>"
        )
    elif values:
        parts.append(
            f"<circle class='used' cx='{x(times[0]):.1f}' cy='{y(values[0]):.1f}' r='3' "
            "fill='#2563eb'/>"
        )
    parts.append("</svg>")
    return "".join(parts)
