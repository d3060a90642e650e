"""Performance events read back into usage, and the smaller Fargate size a task would fit."""

from __future__ import annotations

import pytest

from ecs_pipelines.ecs.usage import (
    Architecture,
    Capacity,
    Reservation,
    RunUsage,
    UnitPrices,
    filter_pattern,
    parse_task_events,
    size_hint,
    smallest_fitting,
    task_event,
    valid_sizes,
)

BIG = Reservation(
    cpu_units=1024,
    memory_mib=4096,
    storage_gib=20,
    capacity=Capacity.FARGATE,
    architecture=Architecture.X86_64,
)
PRICES = UnitPrices(vcpu_hour=0.04048, gib_hour=0.004445)


def event(task: str, at_ms: int, cpu: float, memory: float, started_ms: int = 0) -> str:
    return task_event(
        task_id=task,
        cluster="c",
        family="f",
        launch_type="FARGATE",
        started_at_ms=started_ms,
        timestamp_ms=at_ms,
        cpu_units_used=cpu,
        cpu_reserved=1024,
        memory_mib_used=memory,
        memory_reserved=2048,
    )


def test_cpu_seconds_add_each_period_since_the_previous_event() -> None:
    """vCPU-seconds sum CPU units used x each event's period; memory keeps the peak."""
    messages = [event("a", 1000, 512, 100), event("a", 2000, 1024, 300), event("b", 2000, 9, 9)]
    usage = parse_task_events(messages, ["a"])["a"]
    assert usage.vcpu_seconds == pytest.approx(0.5 + 1.0)
    assert usage.memory_peak_mib == 300
    assert usage.cpu_utilization_avg == pytest.approx(0.75)
    assert usage.cpu_utilization_peak == pytest.approx(1.0)
    assert usage.samples == 2


def test_aws_minute_events_count_a_minute_each() -> None:
    """Events a minute apart (ECS's own period) count a minute each."""
    messages = [event("a", 60_000, 1024, 1, started_ms=0), event("a", 120_000, 512, 1)]
    assert parse_task_events(messages, ["a"])["a"].vcpu_seconds == pytest.approx(90)


def test_a_peak_is_taken_over_periods_of_a_second_at_least() -> None:
    """A last period of 50 ms at full speed is no peak; with only short periods, the task's
    average stands for it."""
    messages = [event("a", 1000, 256, 1), event("a", 2000, 512, 1), event("a", 2050, 1024, 1)]
    usage = parse_task_events(messages, ["a"])["a"]
    assert usage.cpu_peak_units == 512
    assert usage.cpu_utilization_peak == pytest.approx(0.5)
    short = parse_task_events([event("b", 400, 1024, 1, started_ms=0)], ["b"])["b"]
    assert short.cpu_peak_units == pytest.approx(1024)


def test_other_types_and_garbage_are_skipped() -> None:
    """Container events, other tasks and text that is not JSON do not count."""
    messages = ['{"Type": "Container", "TaskId": "a", "Timestamp": 5}', "not json", "[]"]
    assert parse_task_events(messages, ["a"]) == {}


def test_the_filter_names_the_tasks_while_it_fits() -> None:
    """The filter names each task id, or only the event type past the pattern's limit."""
    assert '$.TaskId = "abc"' in filter_pattern(["abc"])
    assert filter_pattern([f"{i:032x}" for i in range(40)]) == '{ $.Type = "Task" }'


def test_valid_sizes_are_fargates_table() -> None:
    """Fargate's sizes include 0.25 vCPU / 0.5 GiB and 16 vCPU / 120 GiB, and not 256/4096."""
    sizes = set(valid_sizes())
    assert {(256, 512), (256, 2048), (4096, 30720), (16384, 122880)} <= sizes
    assert (256, 4096) not in sizes
    assert smallest_fitting(300, 600) == (512, 1024)


def test_a_task_that_used_little_gets_a_smaller_size_and_its_saving() -> None:
    """Three runs under half the reservation name the smallest size that fits, with the saving."""
    runs = [RunUsage(memory_peak_mib=300, cpu_peak_units=100, billed_seconds=60)] * 3
    hint = size_hint(BIG, runs, prices=PRICES)
    assert hint is not None
    assert (hint.cpu_units, hint.memory_mib) == (256, 512)
    assert hint.saving_fraction == pytest.approx(
        1 - (0.25 * 0.04048 + 0.5 * 0.004445) / (0.04048 + 4 * 0.004445)
    )
    assert "cpu 256 / memory 512 MiB" in hint.text(BIG)


def test_no_hint_without_enough_runs_or_when_the_task_used_its_size() -> None:
    """Fewer than three runs, or runs that used most of the size, get no hint."""
    small = [RunUsage(memory_peak_mib=300, cpu_peak_units=100, billed_seconds=60)] * 2
    full = [RunUsage(memory_peak_mib=3900, cpu_peak_units=1000, billed_seconds=60)] * 3
    assert size_hint(BIG, small, prices=PRICES) is None
    assert size_hint(BIG, full, prices=PRICES) is None


def test_a_step_sums_its_tasks_and_has_a_cost_only_when_each_has_one() -> None:
    """Billed seconds, reservations and memory peaks add up; the average CPU use is the
    vCPU-seconds used over those reserved while measured; one unpriced task leaves no cost."""
    from ecs_pipelines.ecs.usage import TaskCost, TaskFigures, TaskUsage, step_figures

    def figures(cost: float | None, used: float) -> TaskFigures:
        bill = TaskCost(
            task_arn="arn:aws:ecs:us-east-1:1:task/c/abc",
            reservation=BIG,
            billed_seconds=60,
            vcpu_seconds_reserved=60,
            gib_seconds_reserved=240,
            cost_usd=cost,
            prices_source="table",
        )
        usage = TaskUsage(
            task_id="abc",
            vcpu_seconds=used,
            cpu_utilization_avg=used / 10,
            cpu_utilization_peak=None,
            cpu_peak_units=0,
            memory_peak_mib=100,
            samples=10,
            measured_seconds=10,
        )
        return TaskFigures(cost=bill, usage=usage)

    step = step_figures([figures(0.001, 2.0), figures(0.002, 4.0)])
    assert step.cost_usd == pytest.approx(0.003)
    assert step.billed_seconds == 120 and step.memory_reserved_mib == 8192
    assert step.memory_peak_mib == 200 and step.vcpu_seconds_used == 6.0
    assert step.cpu_utilization_avg == pytest.approx(6.0 / 20)
    assert step_figures([figures(0.001, 1.0), figures(None, 1.0)]).cost_usd is None
