"""The demo's resource when `dagster dev` runs directly in a checkout: the checkout's embedded
ECS, found when first needed, or a refusal before any call; never AWS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecs_pipelines.cli.checkout import CheckoutServer, write_record
from ecs_pipelines.cli.target import target_from_env
from ecs_pipelines.demo.checkout_resource import not_running
from ecs_pipelines.demo.definitions import demo_resource
from ecs_pipelines.ecs.common import EmbeddedEcsNotRunning
from ecs_pipelines.local import LocalEcs


@pytest.fixture
def fresh_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with no embedded ECS of its own, as the working directory."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'fresh'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECS_PIPELINES_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("ECS_PIPELINES_TARGET", raising=False)
    return tmp_path


def test_no_server_refuses_before_any_call(fresh_checkout: Path) -> None:
    """With no embedded ECS for the checkout, the demo's resource builds no client (so never
    reaches AWS's endpoints or default credentials) and says what to run."""
    resource = demo_resource(target_from_env())
    with pytest.raises(EmbeddedEcsNotRunning) as refused:
        resource.ecs_client()
    message = str(refused.value)
    assert str(fresh_checkout) in message and "ecs-pipelines local serve" in message
    with pytest.raises(EmbeddedEcsNotRunning):
        resource.links()
    # In a checkout of this project, `make ui` and `make run` are there to start one.
    (fresh_checkout / "Makefile").write_text("ui:\n")
    (fresh_checkout / "ecs_pipelines" / "demo").mkdir(parents=True)
    assert "`make ui`" in str(not_running(fresh_checkout))


def test_server_started_after_loading_is_found(fresh_checkout: Path, local_ecs: LocalEcs) -> None:
    """A checkout server started after the code location loaded serves the resource's calls,
    signed with that server's keys, and its links point at that server's pages."""
    resource = demo_resource(target_from_env())
    server = CheckoutServer(
        local_ecs.endpoint_url, local_ecs.instance_id, os.getpid(), local_ecs.credentials
    )
    write_record(fresh_checkout, server)
    clusters = resource.ecs_client().list_clusters()["clusterArns"]
    assert any(arn.endswith("/ecs-pipelines-demo") for arn in clusters)
    assert resource.links().task("ecs-pipelines-demo", "abc").startswith(local_ecs.endpoint_url)


def test_aws_target_keeps_real_endpoints(
    fresh_checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AWS target, chosen explicitly, builds its clients for AWS's own endpoints."""
    monkeypatch.setenv("ECS_PIPELINES_TARGET", "aws")
    resource = demo_resource(target_from_env())
    assert "amazonaws.com" in resource.ecs_client().meta.endpoint_url
