"""One embedded ECS per checkout: two checkouts side by side each run their own server, never
adopt the other's, and `local stop` in one leaves the other running."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecs_pipelines.cli.checkout import checkout_root, health, recorded_server
from ecs_pipelines.cli.dagster_ui import dagster_ui_of

pytestmark = pytest.mark.long
RUN = [sys.executable, "-m", "ecs_pipelines.demo.main_run"]


def checkout(path: Path) -> Path:
    path.mkdir()
    (path / "pyproject.toml").write_text("[project]\nname = 'a-checkout'\n")
    return path


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ECS_PIPELINES_ENDPOINT_URL"}
    env["ECS_PIPELINES_STATE_DIR"] = str(tmp_path / "state")
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")  # never the checkout's own instance
    env.pop("ECS_PIPELINES_TARGET", None)
    return env


def cli(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecs_pipelines.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_two_checkouts_run_side_by_side_each_on_its_own_server(tmp_path: Path) -> None:
    """`make run` in two checkouts at once starts a server for each; each checkout's CLI sees
    its own server; `local stop` in one leaves the other's running."""
    env = environment(tmp_path)
    first, second = checkout(tmp_path / "first"), checkout(tmp_path / "second")
    runs = [
        subprocess.Popen(RUN, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for root in (first, second)
    ]
    try:
        outputs = [process.communicate(timeout=240)[0].decode() for process in runs]
        assert [process.returncode for process in runs] == [0, 0], outputs
        servers = [recorded_server(root) for root in (first, second)]
        assert all(servers) and servers[0] != servers[1]
        for root, server, output in zip((first, second), servers, outputs, strict=True):
            assert server is not None
            assert f"Embedded ECS of this checkout ({root}): started at {server.endpoint_url}" in (
                output
            )
        # Each checkout's `tasks` lists the tasks its own make run launched, no others.
        run_ids = [set(re.findall(r"\(run ([0-9a-f-]{36})\)", output)) for output in outputs]
        listed = cli(first, env, "tasks").stdout
        assert all(run_id in listed for run_id in run_ids[0])
        assert not any(run_id in listed for run_id in run_ids[1])
        stopped = cli(first, env, "local", "stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert recorded_server(first) is None
        assert servers[1] is not None and health(servers[1].endpoint_url) is not None
        # A second make run in the second checkout reuses its server rather than starting one.
        again = subprocess.run(RUN, cwd=second, env=env, capture_output=True, text=True)
        assert again.returncode == 0, again.stdout + again.stderr
        assert recorded_server(second) == servers[1]
    finally:
        for root in (first, second):
            cli(root, env, "local", "stop")


def test_make_ui_hands_dagster_dev_this_checkouts_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make ui` starts `dg dev` (not the superseded `dagster dev`) with the checkout's own
    endpoint and a DAGSTER_HOME with a dagster.yaml it wrote, and leaves a user's own
    dagster.yaml as it was."""
    from ecs_pipelines.demo import ui

    root = checkout(tmp_path / "ui")
    monkeypatch.chdir(root)
    monkeypatch.delenv("ECS_PIPELINES_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("ECS_PIPELINES_TARGET", raising=False)
    monkeypatch.setenv("ECS_PIPELINES_STATE_DIR", str(tmp_path / "state"))
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("# mine\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    seen: dict[str, Any] = {}

    def dagster_dev(command: list[str], env: dict[str, str], cwd: Path) -> int:
        seen.update(env=env, command=command, ui=dagster_ui_of(root))
        server = recorded_server(checkout_root())
        seen["server"] = server
        return 0

    monkeypatch.setattr(ui.subprocess, "call", dagster_dev)
    assert ui.main([]) == 0  # not pytest's own arguments
    assert seen["server"] is not None
    assert [Path(seen["command"][0]).name, seen["command"][1]] == ["dg", "dev"]
    assert seen["env"]["ECS_PIPELINES_ENDPOINT_URL"] == seen["server"].endpoint_url
    assert (home / "dagster.yaml").read_text() == "# mine\n"
    assert recorded_server(root) is None  # make ui stops the server it started
    # While dagster dev ran, the checkout's record named its webserver (its port passed on).
    port = seen["command"][seen["command"].index("--port") + 1]
    assert seen["ui"] == f"http://127.0.0.1:{port}"
    assert dagster_ui_of(root) is None


def test_the_checkouts_record_holds_the_servers_credentials_for_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server a checkout starts writes its credentials in the checkout's record, a 0600
    file in a 0700 directory (and in its 0600 state record); they open its API."""
    import boto3

    from ecs_pipelines.cli.checkout import record_path, start_server
    from ecs_pipelines.cli.target import stop_process

    monkeypatch.setenv("ECS_PIPELINES_STATE_DIR", str(tmp_path / "state"))
    root = checkout(tmp_path / "private")
    server = start_server(root)
    try:
        record = record_path(root)
        assert record.stat().st_mode & 0o777 == 0o600
        assert record.parent.stat().st_mode & 0o777 == 0o700
        state_records = list((tmp_path / "state").glob("*.json"))
        assert [p.stat().st_mode & 0o777 for p in state_records] == [0o600]
        assert server.credentials.access_key_id.startswith("AKIA")
        assert server.credentials.secret_access_key in record.read_text()
        ecs = boto3.client(
            "ecs",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            **server.credentials.boto3_kwargs(),
        )
        assert ecs.list_clusters()["clusterArns"]
    finally:
        stop_process(server.pid)


def test_a_wheel_outside_any_project_uses_the_working_directory(tmp_path: Path) -> None:
    """Installed from a wheel and run outside any project, the CLI's project directory is the
    working directory, never site-packages; a checkout it runs from is still found."""
    work, site_packages = tmp_path / "work", tmp_path / "site-packages"
    work.mkdir()
    site_packages.mkdir()
    assert checkout_root(work, package_parent=site_packages) == work
    source = checkout(tmp_path / "source")
    (source / "Makefile").write_text("run:\n")
    (source / "ecs_pipelines" / "demo").mkdir(parents=True)
    assert checkout_root(work, package_parent=source) == source


def test_version_is_the_installed_packages() -> None:
    """`ecs-pipelines --version` prints the version of the installed distribution."""
    from importlib.metadata import version

    from click.testing import CliRunner

    from ecs_pipelines.cli.main import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"ecs-pipelines, version {version('ecs_pipelines')}"


def test_the_ui_is_published_only_for_the_checkouts_own_server(tmp_path: Path) -> None:
    """`make ui` on another server than the checkout's (ECS_PIPELINES_ENDPOINT_URL) records no
    UI address in the checkout: that server reads no record of the checkout's."""
    from ecs_pipelines.cli.dagster_ui import dagster_ui_published, ui_record_path

    root = checkout(tmp_path / "elsewhere")
    with dagster_ui_published(root, "http://127.0.0.1:9", "http://127.0.0.1:3000") as published:
        assert not published
        assert not ui_record_path(root).exists()
