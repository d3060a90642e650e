"""Pure reads of /proc: the CPU time and resident memory of a process tree (Linux).

A container's CPU time is that of every process of it, live or exited: each live process's own
time plus what it has reaped of its children (``cutime``/``cstime``). Its init process is a
subreaper that reaps every process of the container before it exits, so its figures as a
zombie (before the server reaps it) hold the container's whole CPU time. Zombies count their
own time, which their parent has not reaped yet. Where there is no /proc, nothing is measured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MIB = 1024 * 1024


@dataclass(frozen=True)
class ProcessFigures:
    ppid: int
    cpu_seconds: float  # own and reaped children's, user and system
    rss_bytes: int
    zombie: bool


def read_process(pid: int) -> ProcessFigures | None:
    """One process's figures from /proc/<pid>/stat, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    try:
        ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        return ProcessFigures(
            ppid=int(fields[1]),
            cpu_seconds=ticks / _TICKS,
            rss_bytes=int(fields[21]) * _PAGE,
            zombie=fields[0] in (b"Z", b"X"),
        )
    except (IndexError, ValueError):
        return None


def process_table() -> dict[int, ProcessFigures]:
    """Every process's figures, in one pass over /proc."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    table: dict[int, ProcessFigures] = {}
    for entry in entries:
        if entry.isdigit():
            figures = read_process(int(entry))
            if figures is not None:
                table[int(entry)] = figures
    return table


class ProcessTree:
    """One pass over /proc, and the figures of any process tree in it."""

    def __init__(self, table: dict[int, ProcessFigures] | None = None) -> None:
        self.table = process_table() if table is None else table
        self._children: dict[int, list[int]] = {}
        for pid, figures in self.table.items():
            self._children.setdefault(figures.ppid, []).append(pid)

    def usage(self, root: int) -> tuple[float, int] | None:
        """(CPU seconds, resident bytes) of ``root`` and its descendants; None when ``root``
        is gone."""
        if root not in self.table:
            return None
        cpu, rss = 0.0, 0
        queue = [root]
        while queue:
            pid = queue.pop()
            figures = self.table[pid]
            cpu += figures.cpu_seconds
            rss += 0 if figures.zombie else figures.rss_bytes
            queue.extend(self._children.get(pid, ()))
        return cpu, rss
