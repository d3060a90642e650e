"""Smoke test of the event benchmarks: the scripted endpoint's SQS queue and CloudWatch Logs
end to end with a few tasks. Structure only; the speed targets live in ``make bench``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.event_scenarios import log_round_calls, wait_for
from benchmarks.scripted_process import ScriptedEcsProcess


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ScriptedEcsProcess]:
    with ScriptedEcsProcess() as process:
        yield process


def test_a_wait_on_the_scripted_queue_describes_in_its_sweep_and_to_confirm_stops(
    endpoint: ScriptedEcsProcess,
) -> None:
    """20 tasks waited for on events: every one reported; besides one sweep, DescribeTasks
    only confirms the stops events told, each task's once, in batches."""
    ours = wait_for(endpoint, 20, events=True, scale=0.1)
    assert ours["errors"] == 0 and ours["fell_back"] is None and ours["ignored"] == 0
    assert ours["sweeps"] == 1 and ours["confirmed"] == 20
    assert round(ours["describe_per_task"] * 20) == ours["confirm_calls"] < 20
    assert ours["after_queue_median"] is not None and ours["sqs_per_task"] > 0


def test_batched_log_reads_deliver_every_scripted_line_once(
    endpoint: ScriptedEcsProcess,
) -> None:
    """Five tasks' lines read batched: all of them, none twice, about one call a round."""
    ours = log_round_calls(endpoint, 5, batched=True)
    assert ours["lines"] == ours["expected"] and ours["repeated"] == 0
    assert ours["complete"] and ours["per_round"] < 2
