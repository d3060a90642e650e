"""How the embedded ECS measures a task's processes and draws them: a process tree's CPU and
memory from /proc figures, and the task page's charts (pure)."""

from __future__ import annotations

from ecs_pipelines.ecs.usage import TaskUsage
from ecs_pipelines.local.runtime.proc_usage import ProcessFigures, ProcessTree, read_process
from ecs_pipelines.local.serving.usage_chart import usage_charts

MIB = 1024 * 1024


def test_a_tree_counts_every_descendant_and_zombies_cpu_but_not_their_memory() -> None:
    """CPU adds the root, its children and grandchildren (a zombie's too); memory only the
    live ones; other trees do not count."""
    table = {
        10: ProcessFigures(ppid=1, cpu_seconds=0.5, rss_bytes=10 * MIB, zombie=False),
        11: ProcessFigures(ppid=10, cpu_seconds=1.0, rss_bytes=300 * MIB, zombie=False),
        12: ProcessFigures(ppid=11, cpu_seconds=0.25, rss_bytes=5 * MIB, zombie=True),
        20: ProcessFigures(ppid=1, cpu_seconds=9.0, rss_bytes=99 * MIB, zombie=False),
    }
    tree = ProcessTree(table)
    assert tree.usage(10) == (1.75, 310 * MIB)
    assert tree.usage(99) is None


def test_this_process_reads_from_proc() -> None:
    """The figures of a live process come from /proc: some CPU, some resident memory."""
    import os

    figures = read_process(os.getpid())
    assert figures is not None and figures.rss_bytes > 0 and figures.cpu_seconds > 0


def test_charts_draw_use_against_the_reservation() -> None:
    """The charts hold a line of use and a dashed reservation, titled with peak and reserved,
    and nothing that a strict Content-Security-Policy refuses (script, style attributes)."""
    usage = TaskUsage(
        task_id="t",
        vcpu_seconds=1.0,
        cpu_utilization_avg=0.5,
        cpu_utilization_peak=1.0,
        cpu_peak_units=256,
        memory_peak_mib=300,
        samples=3,
        series=((1.0, 128, 100), (2.0, 256, 300), (3.0, 0, 200)),
    )
    svg = usage_charts(usage, cpu_reserved=256, memory_reserved=512)
    assert svg.count("<svg") == 2 and svg.count("stroke-dasharray") == 2
    assert "Memory (MiB): peak 300, reserved 512" in svg
    assert "CPU (vCPU): peak 0.25, reserved 0.25" in svg
    assert "<script" not in svg and "style=" not in svg
