"""What every sensor tick shares: the task definition cache of the process, bounded."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from ecs_pipelines.ecs.common import BoundedMap
from ecs_pipelines.ecs.tasks import EcsTaskClient
from ecs_pipelines.integration.sensor_ticks import definition_lookup

CONTAINER = {"name": "main", "image": "python:3.12-slim", "memory": 128}


def test_the_sensors_task_definition_cache_keeps_its_bound_and_says_so(
    ecs_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Each tick (a client of its own) describes a revision only when the process's cache does
    not hold it; past its bound the least recently used is dropped, with a warning the first
    time, and described again when a tick needs it."""
    family = f"test-{uuid.uuid4().hex[:10]}"
    arns = [
        ecs_client.register_task_definition(
            family=family, networkMode="bridge", containerDefinitions=[CONTAINER]
        )["taskDefinition"]["taskDefinitionArn"]
        for _ in range(3)
    ]
    cache: BoundedMap[str, Any] = BoundedMap("The sensors' task definition cache", 2)

    def tick(*wanted: str) -> int:
        """Looks ``wanted`` up as one tick does; the DescribeTaskDefinition calls it made."""
        client = EcsTaskClient(ecs_client)
        lookup = definition_lookup(client, cache)
        for arn in wanted:
            found = lookup(arn)
            assert found is not None and found["taskDefinitionArn"] == arn
        return client.calls["describe_task_definition"]

    with caplog.at_level(logging.DEBUG, logger="ecs_pipelines.ecs.common.bounded_map"):
        assert tick(*arns) == 3
    assert len(cache) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "at most 2 entries" in warnings[0]
    assert tick(arns[2], arns[1]) == 0
    assert tick(arns[0]) == 1
