"""Plain boto3 clients for the embedded ECS that ``ecs_pipelines_tests/conftest.py`` serves."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.demo import DUMMY_CREDENTIALS


def _client(local: LocalEcs, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=local.endpoint_url, region_name=local.region, **DUMMY_CREDENTIALS
    )


@pytest.fixture(scope="session")
def ecs_client(local_ecs: LocalEcs) -> Any:
    return _client(local_ecs, "ecs")


@pytest.fixture(scope="session")
def logs_client(local_ecs: LocalEcs) -> Any:
    return _client(local_ecs, "logs")
