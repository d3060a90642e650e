"""A real `dagster dev` (webserver and daemon) for end-to-end tests, started the way `make ui`
starts it (``python -m ecs_pipelines.demo.ui``) and driven over GraphQL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance

from ecs_pipelines.cli.local_credentials import require_credentials_of
from ecs_pipelines.demo.run_workers import RUN_WORKER_FAMILY, TASK_DEFINITION_ENV, aws_environment
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.polling import wait_until
from ecs_pipelines_tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "ecs_pipelines"
REPOSITORY = "__repository__"

LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""
RUN_STATUS = """
query RunStatus($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status } }
}
"""
RUN_TAGS = """
query RunTags($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { tags { key value } } }
}
"""
TERMINATE_RUN = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) { __typename ... on PythonError { message } }
}
"""
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


class DagsterDev:
    """`make ui` (dagster dev -w workspace.yaml) on a free port with its own DAGSTER_HOME.

    ``env`` must name the embedded ECS (``ECS_PIPELINES_ENDPOINT_URL``); with
    ``ECS_PIPELINES_RUN_LAUNCHER=default`` runs use Dagster's default launcher, else each run
    is a run-worker task on that ECS."""

    def __init__(self, dagster_home: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.dagster_home = dagster_home
        self.log_path = dagster_home / "dagster-dev.log"
        self.env = {**os.environ, **env, "DAGSTER_HOME": str(dagster_home)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ecs_pipelines.demo.ui",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._location_loaded, timeout=120, interval=0.5, what="dagster dev to load")

    @contextlib.contextmanager
    def instance(self) -> Iterator[DagsterInstance]:
        """The instance `dagster dev` uses, opened in this process. With run monitoring on,
        opening it builds the run launcher, which needs what its processes are given."""
        with pytest.MonkeyPatch.context() as patch:
            endpoint = self.env["ECS_PIPELINES_ENDPOINT_URL"]
            keys = require_credentials_of(endpoint).environment()
            for name, value in {**aws_environment(endpoint), **keys}.items():
                patch.setenv(name, value)
            patch.setenv(TASK_DEFINITION_ENV, RUN_WORKER_FAMILY)
            with DagsterInstance.from_config(str(self.dagster_home)) as instance:
                yield instance

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload: dict[str, Any] = json.loads(response.read())
        assert "errors" not in payload, payload
        return payload["data"]

    def _location_loaded(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.logs()[-3000:]
        try:
            data = self.graphql(
                "{ workspaceOrError { ... on Workspace { locationEntries { name "
                "locationOrLoadError { __typename } } } } }"
            )
        except (urllib.error.URLError, OSError, AssertionError):
            return False
        entries = data["workspaceOrError"]["locationEntries"]
        kinds = {
            e["name"]: e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"]
            for e in entries
        }
        assert kinds.get(LOCATION) != "PythonError", self.logs()[-3000:]
        return kinds.get(LOCATION) == "RepositoryLocation"

    def launch(
        self, job_name: str, *, assets: list[str] | None = None, run_config: Any = None
    ) -> str:
        """Launches a run the way the Launchpad does; returns its run id."""
        selector: dict[str, Any] = {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": job_name,
        }
        if assets:
            selector["assetSelection"] = [{"path": [key]} for key in assets]
        params = {"selector": selector, "runConfigData": run_config or {}, "mode": "default"}
        result = self.graphql(LAUNCH_RUN, {"executionParams": params})["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return str(result["run"]["runId"])

    def status(self, run_id: str) -> str:
        return str(self.graphql(RUN_STATUS, {"runId": run_id})["runOrError"]["status"])

    def tags(self, run_id: str) -> dict[str, str]:
        run = self.graphql(RUN_TAGS, {"runId": run_id})["runOrError"]
        return {tag["key"]: tag["value"] for tag in run["tags"]}

    def wait_for_run(self, run_id: str, timeout: float = 180) -> str:
        return wait_until(
            lambda: (s := self.status(run_id)) in TERMINAL and s,
            timeout=timeout,
            interval=0.5,
            what=f"run {run_id} to finish",
        )

    def terminate(self, run_id: str) -> None:
        result = self.graphql(TERMINATE_RUN, {"runId": run_id})["terminateRun"]
        assert result["__typename"] == "TerminateRunSuccess", result


@contextlib.contextmanager
def dagster_dev_on(
    endpoint_url: str, dagster_home: Path, run_launcher: str
) -> Iterator[DagsterDev]:
    """`make ui` on the local target, against the embedded ECS at ``endpoint_url``, with
    ``run_launcher`` (``ecs``: make ui's default, whatever the shell says; ``default``: Dagster's
    own); stopped afterwards."""
    dev = DagsterDev(
        dagster_home,
        env={
            "ECS_PIPELINES_TARGET": "local",
            "ECS_PIPELINES_ENDPOINT_URL": endpoint_url,
            "ECS_PIPELINES_RUN_LAUNCHER": run_launcher,
        },
    )
    dev.start()
    try:
        yield dev
    finally:
        dev.stop()


def dagster_dev_fixture(run_launcher: str) -> Any:
    """A module-scoped ``dagster_dev`` fixture: `make ui` with ``run_launcher`` on the session's
    embedded ECS, with a DAGSTER_HOME of the module's own."""

    @pytest.fixture(scope="module")
    def dagster_dev(
        local_ecs: LocalEcs, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[DagsterDev]:
        home = tmp_path_factory.mktemp("dagster_home")
        with dagster_dev_on(local_ecs.endpoint_url, home, run_launcher=run_launcher) as dev:
            yield dev

    return dagster_dev
