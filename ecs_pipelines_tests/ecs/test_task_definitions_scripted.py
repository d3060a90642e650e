"""Register-or-reuse against the benchmark's scripted endpoint, which keeps task definitions as
ECS does where the embedded ECS differs (a family names its latest ACTIVE revision; sorted,
paged listings), and the task-definition benchmark scenario in small."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.pipes_side import default_ecs_client
from benchmarks.scripted_process import ScriptedEcsProcess
from benchmarks.task_definitions import code_resource, specs, task_definition_rows
from ecs_pipelines.ecs.task_definitions.registry import ResolutionCache, TaskDefinitionRegistry
from ecs_pipelines.ecs.task_definitions.request import register_request
from ecs_pipelines.ecs.task_definitions.spec import content_digest
from ecs_pipelines.ecs.tasks import EcsTaskClient


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ScriptedEcsProcess]:
    with ScriptedEcsProcess() as process:
        process.reset()
        yield process


def fresh_registry(endpoint: ScriptedEcsProcess) -> TaskDefinitionRegistry:
    return TaskDefinitionRegistry(
        EcsTaskClient(default_ecs_client(endpoint.endpoint_url)), ResolutionCache()
    )


def test_a_race_settles_where_a_family_names_its_latest_active_revision(
    endpoint: ScriptedEcsProcess,
) -> None:
    """Two workers register the same content; afterwards a third finds the winner with one
    DescribeTaskDefinition, since the deregistered duplicate is no longer the family's latest."""
    [spec] = specs(1)
    resource = code_resource(endpoint.endpoint_url)
    defaults = resource.task_definition_defaults("us-east-1")
    request = register_request(spec, defaults)
    digest = content_digest(request)
    first, second = fresh_registry(endpoint), fresh_registry(endpoint)
    family = str(spec.family)
    looked = [first.find(family, request, digest), second.find(family, request, digest)]
    one = first.register(request, digest, after=looked[0].latest_revision)
    two = second.register(request, digest, after=looked[1].latest_revision)
    assert one.arn == two.arn
    third = fresh_registry(endpoint)
    assert third.resolve(spec, defaults).arn == one.arn
    assert dict(third.client.calls) == {"describe_task_definition": 1}


def test_the_oldest_of_more_contents_than_a_listing_page_is_found(
    endpoint: ScriptedEcsProcess,
) -> None:
    """105 contents in one family (more than one ListTaskDefinitions page of 100): a fresh
    process finds the first one's revision on the second page and registers nothing."""
    [base] = specs(1)
    family = f"{base.family}-paged"
    resource = code_resource(endpoint.endpoint_url)
    defaults = resource.task_definition_defaults("us-east-1")
    shared = [
        dataclasses.replace(base, family=family, command=["python", "-m", f"app{index}"])
        for index in range(105)
    ]
    first = fresh_registry(endpoint)
    oldest = first.resolve(shared[0], defaults)
    # The other 104 registered as a registry would (it found none of them), without the
    # lookup each resolve makes first: it reads the whole family, 5,500 describes in all.
    latest = oldest.revision
    for spec in shared[1:]:
        request = register_request(spec, defaults)
        latest = first.register(request, content_digest(request), after=latest).revision
    fresh = fresh_registry(endpoint)
    found = fresh.resolve(shared[0], defaults)
    assert (found.arn, found.registered) == (oldest.arn, False)
    assert fresh.client.calls["register_task_definition"] == 0
    assert fresh.client.calls["list_task_definitions"] == 2


def test_the_benchmark_scenario_registers_once_per_definition(
    endpoint: ScriptedEcsProcess,
) -> None:
    """30 launches over 3 definitions: 3 registrations, 3 lookups, none the second time."""
    rows: dict[str, Any] = {
        row.metric: row for row in task_definition_rows(endpoint, launches=30, definitions=3)
    }
    assert rows["RegisterTaskDefinition calls"].ours == 3
    assert rows["task-definition lookups (Describe + List)"].ours == 3
    assert rows["RunTask calls"].ours == 30
    assert rows["a second process, same content: task-definition calls"].ours == 3
    assert rows["task-definition lookups (Describe + List)"].theirs == 30
