"""EcsTaskClient's task definition reads against the embedded ECS: a family's revisions newest
first, a page at a time, and the bounded cache of described revisions."""

from __future__ import annotations

import itertools
import logging
import uuid
from typing import Any

import pytest

from ecs_pipelines.ecs.common import family_and_revision
from ecs_pipelines.ecs.tasks import EcsTaskClient

CONTAINER = {
    "name": "main",
    "image": "python:3.12-slim",
    "command": ["python", "-c", "print('revision')"],
    "memory": 128,
}


def _family(ecs_client: Any, revisions: int) -> str:
    """A new EC2 (bridge) family with ``revisions`` ACTIVE revisions."""
    family = f"test-{uuid.uuid4().hex[:10]}"
    for _ in range(revisions):
        ecs_client.register_task_definition(
            family=family, networkMode="bridge", containerDefinitions=[CONTAINER]
        )
    return family


def _numbers(arns: list[str]) -> list[int | None]:
    return [family_and_revision(arn)[1] for arn in arns]


def test_active_revisions_reads_newest_first_a_page_at_a_time(ecs_client: Any) -> None:
    """A family's ACTIVE revisions come newest first, one ListTaskDefinitions call per page,
    so a caller that stops early reads one page."""
    family = _family(ecs_client, 25)
    client = EcsTaskClient(ecs_client)
    revisions = client.active_revisions(family, page_size=10)
    newest = list(itertools.islice(revisions, 10))
    assert _numbers(newest) == list(range(25, 15, -1))
    assert client.calls["list_task_definitions"] == 1
    assert _numbers(list(revisions)) == list(range(15, 0, -1))
    assert client.calls["list_task_definitions"] == 3


def test_the_task_definition_cache_keeps_its_bound_and_says_when_it_drops(
    ecs_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Describing more revisions than the cache holds keeps it at its bound and warns once, at
    the first drop; a kept revision costs no call, a dropped one is described again."""
    family = _family(ecs_client, 5)
    client = EcsTaskClient(ecs_client, max_task_definitions=3)
    with caplog.at_level(logging.DEBUG, logger="ecs_pipelines.ecs.common.bounded_map"):
        for revision in range(1, 6):
            client.task_definition(f"{family}:{revision}")
    assert len(client.task_definition_cache) == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "at most 3 entries" in warnings[0] and f"{family}:1" in warnings[0]
    assert client.calls["describe_task_definition"] == 5
    client.task_definition(f"{family}:5")
    assert client.calls["describe_task_definition"] == 5
    client.task_definition(f"{family}:1")
    assert client.calls["describe_task_definition"] == 6
    assert len(client.task_definition_cache) == 3


def test_remembered_revisions_share_the_bound(ecs_client: Any) -> None:
    """Revisions remembered after a registration count against the same bound."""
    family = _family(ecs_client, 3)
    client = EcsTaskClient(ecs_client, max_task_definitions=4)
    for revision in range(1, 4):
        definition = ecs_client.describe_task_definition(taskDefinition=f"{family}:{revision}")
        client.remember_task_definition(definition["taskDefinition"])
    assert len(client.task_definition_cache) == 4
    assert client.task_definition(f"{family}:3")["revision"] == 3
    assert client.calls["describe_task_definition"] == 0
