"""Dagster's sensor daemon, one simulated process at a time, over a test module's ``defs``.

A test module that defines ``defs`` (its code location, whose resource reads the embedded ECS's
address and keys from the environment: ``daemon_resource()``, ``point_daemon_at``) runs ticks
through the daemon's own code path (``execute_sensor_iteration``): a tick evaluates the sensor,
stores what it produced and saves the cursor, or, when it fails, keeps the old one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, EnvVar
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.remote_representation.external import RemoteSensor
from dagster._core.scheduler.instigation import InstigatorTick, SensorInstigatorData, TickStatus
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceLoadTarget
from dagster._daemon.sensor import execute_sensor_iteration

from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_SECURITY_GROUP, DEMO_SUBNET
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.polling import wait_until

# Where a daemon-run code location's resource reads the embedded ECS's address and keys.
ENDPOINT_ENV = "ECS_PIPELINES_SENSOR_TEST_ENDPOINT_URL"
KEY_ID_ENV = "ECS_PIPELINES_SENSOR_TEST_ACCESS_KEY_ID"
SECRET_ENV = "ECS_PIPELINES_SENSOR_TEST_SECRET_ACCESS_KEY"


def point_daemon_at(monkeypatch: pytest.MonkeyPatch, local: LocalEcs) -> None:
    """Sets what ``daemon_resource`` reads: the embedded ECS's endpoint and its keys."""
    monkeypatch.setenv(ENDPOINT_ENV, local.endpoint_url)
    monkeypatch.setenv(KEY_ID_ENV, local.credentials.access_key_id)
    monkeypatch.setenv(SECRET_ENV, local.credentials.secret_access_key)


def daemon_resource() -> EcsResource:
    """The resource of a daemon-run code location: the demo cluster, at ``ENDPOINT_ENV``."""
    return EcsResource(
        region_name="us-east-1",
        endpoint_url=EnvVar(ENDPOINT_ENV),
        aws_access_key_id=EnvVar(KEY_ID_ENV),
        aws_secret_access_key=EnvVar(SECRET_ENV),
        cluster=DEMO_CLUSTER,
        task_definition="ecs-pipelines-python",
        container_name="main",
        launch_type="FARGATE",
        subnets=[DEMO_SUBNET],
        security_groups=[DEMO_SECURITY_GROUP],
    )


class ModuleLocation(WorkspaceLoadTarget):
    """A module's ``defs`` as an in-process code location."""

    def __init__(self, module_name: str, location_name: str) -> None:
        self.module_name = module_name
        self.location_name = location_name

    def create_origins(self) -> Sequence[InProcessCodeLocationOrigin]:
        target = LoadableTargetOrigin(
            executable_path=sys.executable, module_name=self.module_name, attribute="defs"
        )
        return [InProcessCodeLocationOrigin(target, location_name=self.location_name)]


class SensorDaemon:
    """A sensor daemon process: its own instance and workspace; ``tick()`` is one iteration."""

    def __init__(
        self,
        instance: DagsterInstance,
        workspace: WorkspaceProcessContext,
        location_name: str,
        sensor_name: str,
    ) -> None:
        self.instance = instance
        self.workspace = workspace
        location = workspace.create_request_context().get_code_location(location_name)
        repository = location.get_repository("__repository__")
        self.sensor: RemoteSensor = repository.get_sensor(sensor_name)

    def tick(self) -> InstigatorTick:
        """Runs daemon iterations until one evaluates the sensor (they wait out its interval)
        and returns that tick; a failed tick fails the test."""
        before = len(self.ticks())

        def iterate() -> InstigatorTick | None:
            logger = logging.getLogger("SensorDaemon")
            list(execute_sensor_iteration(self.workspace, logger, None, None))
            ticks = self.ticks()
            return ticks[0] if len(ticks) > before else None

        tick = wait_until(iterate, timeout=30, interval=0.1, what="a sensor tick")
        assert tick.status != TickStatus.FAILURE, tick.error
        return tick

    def ticks(self) -> Sequence[InstigatorTick]:
        origin, selector = self.sensor.get_remote_origin_id(), self.sensor.selector_id
        return self.instance.get_ticks(origin, selector, limit=1000)

    def state(self) -> tuple[Any, SensorInstigatorData]:
        origin, selector = self.sensor.get_remote_origin_id(), self.sensor.selector_id
        state = self.instance.get_instigator_state(origin, selector)
        assert state is not None and isinstance(state.instigator_data, SensorInstigatorData)
        return state, state.instigator_data

    def cursor(self) -> str | None:
        return self.state()[1].cursor

    def set_cursor(self, cursor: str | None) -> None:
        """As if the last tick died after storing its events and before saving its cursor."""
        state, data = self.state()
        self.instance.update_instigator_state(state.with_data(data._replace(cursor=cursor)))


@contextmanager
def sensor_daemon(
    home: str | Path, location: ModuleLocation, sensor_name: str
) -> Iterator[SensorDaemon]:
    """A daemon process on the instance at ``home`` running ``location``'s ``sensor_name``."""
    with (
        DagsterInstance.from_config(str(home)) as instance,
        create_test_daemon_workspace_context(location, instance) as workspace,
    ):
        yield SensorDaemon(instance, workspace, location.location_name, sensor_name)
