"""Watching the calls of every boto3 client an ``EcsResource`` builds (a job's, a sensor's or
the test's own): the one client factory of the integration, patched for one test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def hook_resource_clients(
    monkeypatch: pytest.MonkeyPatch, event: str, handler: Callable[..., None]
) -> None:
    """Registers ``handler`` for botocore ``event`` (e.g. ``before-call.*.*``) on every client
    the resource builds for the rest of the test."""
    from ecs_pipelines.integration import resource as resource_module

    build = resource_module.boto3_client

    def hooked(service: str, settings: Any, credentials: Any = None) -> Any:
        client = build(service, settings, credentials)
        client.meta.events.register(event, handler)
        return client

    monkeypatch.setattr(resource_module, "boto3_client", hooked)
