"""Fixtures for the ECS core tests: a real moto server over HTTP and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from ecs_pipelines.ecs.common import Retrier
from ecs_pipelines.ecs.tasks import EcsTaskClient

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, shared by the whole test session."""
    # port=0 lets the OS pick a free port; get_host_and_port() reports the bound one.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def make_client() -> Callable[..., Any]:
    """Factory of boto3 clients with fake credentials; endpoint_url None keeps the AWS one."""

    def make(service: str, endpoint_url: str | None = None) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make


@pytest.fixture
def logs_client(moto_endpoint: str, make_client: Callable[..., Any]) -> Any:
    """A CloudWatch Logs client talking to the moto server."""
    return make_client("logs", moto_endpoint)


@pytest.fixture
def stubbed() -> Iterator[tuple[EcsTaskClient, Stubber]]:
    """An EcsTaskClient over a Stubber-driven ECS client, for shapes no real ECS here produces
    (RunTask failures, throttling, MISSING); retries do not sleep."""
    ecs = boto3.client("ecs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecs) as stubber:
        yield EcsTaskClient(ecs, retrier=Retrier(sleep=lambda _: None)), stubber
        stubber.assert_no_pending_responses()
