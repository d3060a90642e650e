"""A launch resolves its task definition once: the DescribeTaskDefinition and RunTask calls
of one launch, counted where the resource's clients are made."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ecs_pipelines.integration.ops import ecs_task_op
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.dagster_helpers import py, run_op
from ecs_pipelines_tests.support.resource_clients import hook_resource_clients

COUNTED = ("DescribeTaskDefinition", "RunTask")


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """ECS calls of every client a resource builds (a run builds its own resource)."""
    seen: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        seen[model.name] += 1

    hook_resource_clients(monkeypatch, "before-parameter-build.ecs.*", count)
    return seen


def launch_calls(seen: Counter[str]) -> dict[str, int]:
    return {name: seen[name] for name in COUNTED}


@pytest.mark.parametrize("exec_enabled", [False, True], ids=["plain", "with ECS Exec"])
def test_a_step_reads_its_task_definition_once(
    local_ecs: LocalEcs, counts: Counter[str], exec_enabled: bool
) -> None:
    """A step's launch reads its task definition (a family, so never cached) once, for its
    container, ECS Exec's task role and its log streams together, then calls RunTask once."""
    ecs = make_resource(local_ecs, container_name=None)
    op_def = ecs_task_op("reads_once", command=py("print(1)"), enable_execute_command=exec_enabled)
    result = run_op(op_def, ecs)
    assert result.success
    assert launch_calls(counts) == {"DescribeTaskDefinition": 1, "RunTask": 1}


def test_run_task_reads_the_task_definition_only_when_it_must(
    local_ecs: LocalEcs, counts: Counter[str]
) -> None:
    """run_task reads no task definition when the container is named and ECS Exec is off;
    once when it must pick the container."""
    named = make_resource(local_ecs)
    arns = named.run_task(command=py("print(1)"))
    assert launch_calls(counts) == {"DescribeTaskDefinition": 0, "RunTask": 1}
    counts.clear()
    unnamed = make_resource(local_ecs, container_name=None)
    arns += unnamed.run_task(command=py("print(1)"))
    assert launch_calls(counts) == {"DescribeTaskDefinition": 1, "RunTask": 1}
    assert all(r.succeeded for r in named.wait_for_tasks(arns, timeout_seconds=60))
