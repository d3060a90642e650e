"""Shared fixtures: one embedded ECS over real HTTP for the session, and resources pointed at it."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_SECURITY_GROUP, DEMO_SUBNET, seed_demo
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.fault_plans import set_fault_plan


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files of long tests (marked ``e2e`` or ``long``) first: `make test` hands whole files
    to its workers in collection order, so the longest start at once and the short files fill
    in around them, instead of one long file ending the run alone."""
    items.sort(
        key=lambda item: not any(item.iter_markers("e2e")) and not any(item.iter_markers("long"))
    )


@pytest.fixture(scope="session")
def local_ecs() -> Iterator[LocalEcs]:
    with LocalEcs(port=0, seed=seed_demo) as local:
        yield local


@pytest.fixture
def fault_plan(local_ecs: LocalEcs) -> Iterator[Callable[[str], None]]:
    """Sets the shared embedded ECS's fault plan for one test (the signed route tests use);
    the plan is cleared after the test whatever happened, so that no other test meets it."""

    def set_plan(plan: str) -> None:
        set_fault_plan(local_ecs.endpoint_url, local_ecs.credentials, plan)

    try:
        yield set_plan
    finally:
        set_plan("")


def local_client(local: LocalEcs, service: str, **options: Any) -> Any:
    """A plain boto3 client of ``service`` on an embedded ECS, signed with its own keys."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=local.endpoint_url,
        region_name=local.region,
        **local.credentials.boto3_kwargs(),
        **options,
    )


def _boto3_client(local: LocalEcs, service: str) -> Any:
    return local_client(local, service)


@pytest.fixture(scope="session")
def ecs_client(local_ecs: LocalEcs) -> Any:
    """A plain boto3 ECS client for the shared embedded ECS."""
    return _boto3_client(local_ecs, "ecs")


@pytest.fixture(scope="session")
def logs_client(local_ecs: LocalEcs) -> Any:
    """A plain boto3 CloudWatch Logs client for the shared embedded ECS."""
    return _boto3_client(local_ecs, "logs")


@pytest.fixture(autouse=True)
def _default_signal_handlers() -> Iterator[None]:
    """Each test starts with Python's own SIGINT and SIGTERM handling, and leaves it so.

    Dagster's in-process runs map SIGTERM to whatever handles SIGINT at that moment (its
    ``setup_interrupt_handlers``) and restore only SIGINT; a handler left behind that way (a
    held or ignored signal) made a later test's Ctrl-C do nothing, and children started by it
    inherit an ignored signal (a subprocess that then ignores SIGTERM or SIGINT)."""

    def reset() -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never let a test reach a real account through the developer's credentials (these are
    # no key of any embedded ECS either: clients of one take its own, `local_ecs.credentials`).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def make_resource(local: LocalEcs, **fields: Any) -> EcsResource:
    config: dict[str, Any] = {
        "region_name": "us-east-1",
        "endpoint_url": local.endpoint_url,
        **local.credentials.boto3_kwargs(),
        "cluster": DEMO_CLUSTER,
        "task_definition": "ecs-pipelines-python",
        "container_name": "main",
        "launch_type": "FARGATE",
        "subnets": [DEMO_SUBNET],
        "security_groups": [DEMO_SECURITY_GROUP],
        "poll_interval_seconds": 0.5,
    }
    config.update(fields)
    return EcsResource(**config)


@pytest.fixture
def ecs(local_ecs: LocalEcs) -> EcsResource:
    return make_resource(local_ecs)


class ApiCalls:
    """Counts the ECS API calls a boto3 client makes (by operation name)."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.describe_sizes: list[int] = []
        # How many of the tasks each DescribeTasks answered with were STOPPED, in call order.
        self.described_stopped: list[int] = []
        client.meta.events.register("before-parameter-build.ecs.*", self._count)
        client.meta.events.register("after-call.ecs.DescribeTasks", self._described)

    def _count(self, model: Any, params: Any = None, **_: Any) -> None:
        self.counts[model.name] += 1
        if model.name == "DescribeTasks":
            self.describe_sizes.append(len(params["tasks"]))

    def _described(self, parsed: Any = None, **_: Any) -> None:
        tasks = (parsed or {}).get("tasks", [])
        self.described_stopped.append(sum(t.get("lastStatus") == "STOPPED" for t in tasks))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@pytest.fixture
def counted_ecs(ecs: EcsResource) -> tuple[EcsResource, ApiCalls]:
    """The resource with a shared ECS client whose calls are counted."""
    client = ecs.ecs_client()
    return ecs.with_clients(client, ecs.logs_client()), ApiCalls(client)
