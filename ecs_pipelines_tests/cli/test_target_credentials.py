"""How the local target finds the keys of the embedded ECS it names, with nothing configured:
this user's record of the server at that very endpoint, the task role inside a task, and a
clear error before any call otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecs_pipelines.cli.main import main
from ecs_pipelines.cli.target import resource_for, target_from_env
from ecs_pipelines.ecs.common import LocalCredentialsNotFound
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.fault_proxy import FaultProxy


@pytest.fixture
def proxy(local_ecs: LocalEcs) -> Iterator[FaultProxy]:
    """Another address that answers as the server does (its health, its instance id)."""
    with FaultProxy(upstream=local_ecs.endpoint_url) as running:
        yield running


def test_an_explicit_endpoint_brings_its_servers_keys(local_ecs: LocalEcs) -> None:
    """ECS_PIPELINES_ENDPOINT_URL of a server this user runs: the resource signs with its keys."""
    target = target_from_env({"ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url})
    assert target.credentials == local_ecs.credentials
    resource = resource_for(target)
    assert resource.aws_access_key_id == local_ecs.credentials.access_key_id
    assert resource.ecs_client().list_clusters()["clusterArns"]


def test_keys_are_handed_only_for_the_endpoint_the_record_names(
    local_ecs: LocalEcs, proxy: FaultProxy
) -> None:
    """An address whose health answer names the server's instance (a proxy, or anything that
    relays it) gets no keys: the record says where the server serves. The error says what to
    run, before any call."""
    target = target_from_env({"ECS_PIPELINES_ENDPOINT_URL": proxy.url})
    assert target.credentials is None
    with pytest.raises(LocalCredentialsNotFound, match="make run"):
        resource_for(target)
    proxy.calls.clear()
    result = CliRunner().invoke(main, ["tasks", "--endpoint-url", proxy.url])
    assert result.exit_code == 1
    assert "no credentials for the embedded ECS" in result.output
    assert set(proxy.calls) == {"/_local/health"}  # no AWS call went out


def test_inside_a_task_the_role_credentials_are_used(local_ecs: LocalEcs) -> None:
    """In a container with a task role (the credentials endpoint in its environment) the
    target carries no keys: the SDK's default chain fetches the role's, as on ECS."""
    target = target_from_env(
        {
            "ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{local_ecs.endpoint_url}/_local/credentials/x",
        }
    )
    assert target.task_role and target.credentials is None
    resource = resource_for(target)
    assert resource.aws_access_key_id is None and resource.aws_secret_access_key is None


def test_a_checkout_without_a_server_has_no_keys_and_no_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh checkout: no endpoint and no keys yet (make run and make ui start a server)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'fresh'\n")
    monkeypatch.chdir(tmp_path)
    target = target_from_env({})
    assert target.endpoint_url is None and target.credentials is None


def test_make_run_without_the_servers_keys_says_so_and_launches_nothing(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run` against an endpoint whose keys this user has no record of exits 2 with the
    error that says what to run, before any AWS call."""
    from ecs_pipelines.demo import main_run

    monkeypatch.setenv("ECS_PIPELINES_ENDPOINT_URL", proxy.url)
    monkeypatch.setattr(main_run, "show_progress", lambda: None)  # no handler left behind
    assert main_run.main([]) == 2
    assert "make run: no credentials for the embedded ECS" in capsys.readouterr().err
    assert set(proxy.calls) == {"/_local/health"}
