"""A step tailing many tasks reads their CloudWatch lines with one FilterLogEvents per log group
per round, every line once; a step of a few tasks keeps one GetLogEvents tail per stream. What
a step's tasks used is one read for the step, after they stop."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from dagster import DagsterInstance

from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import all_log_text, py, run_op
from ecs_pipelines_tests.support.resource_clients import hook_resource_clients

PERFORMANCE_GROUPS = "/aws/ecs/containerinsights/"
PRINT_THREE = py("import os\nfor n in range(3): print(f\"line {n} of {os.environ['N']}\")")


@pytest.fixture
def log_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """CloudWatch Logs reads of every client a resource builds, by operation; the reads of
    Container Insights' performance events (what tasks used) apart, as ``usage``."""
    reads: Counter[str] = Counter()

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        group = str(params.get("logGroupName", ""))
        reads["usage" if group.startswith(PERFORMANCE_GROUPS) else model.name] += 1

    hook_resource_clients(monkeypatch, "before-parameter-build.logs.*", count)
    return reads


def test_a_step_of_many_tasks_reads_their_logs_batched(
    local_ecs: LocalEcs, log_reads: Counter[str]
) -> None:
    """Six tasks: their lines reach the run log once each, read with FilterLogEvents alone."""
    ecs: EcsResource = make_resource(local_ecs)
    step = ecs_task_op("many_logs", command=PRINT_THREE, count=6, environment={"N": "x"})
    instance = DagsterInstance.ephemeral()
    result = run_op(step, ecs, instance=instance)
    assert result.success
    text = all_log_text(instance, result.run_id)
    for n in range(3):
        assert text.count(f"line {n} of x") == 6
    assert log_reads["FilterLogEvents"] >= 1 and log_reads["GetLogEvents"] == 0
    # What the six tasks used: one read for the step, after they stopped, none per round.
    assert log_reads["usage"] == 1
    assert all(r.log_lines_complete for r in result.output_for_node("many_logs"))


def test_a_step_of_a_few_tasks_tails_each_stream(
    local_ecs: LocalEcs, log_reads: Counter[str]
) -> None:
    """Below five tasks, each stream has its GetLogEvents tail (FilterLogEvents' lower rate
    does not pay off)."""
    ecs: EcsResource = make_resource(local_ecs)
    step = ecs_task_op("few_logs", command=PRINT_THREE, count=2, environment={"N": "y"})
    instance = DagsterInstance.ephemeral()
    result = run_op(step, ecs, instance=instance)
    assert result.success
    assert all_log_text(instance, result.run_id).count("line 2 of y") == 2
    assert log_reads["GetLogEvents"] >= 2 and log_reads["FilterLogEvents"] == 0
    assert log_reads["usage"] == 1
