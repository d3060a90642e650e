"""``ecs-pipelines local env`` (the shell lines other tools need) and ``local reset`` (a signed
request of the server's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from click.testing import CliRunner
from werkzeug.serving import BaseWSGIServer, make_server

from ecs_pipelines.cli.checkout import CheckoutServer, write_record
from ecs_pipelines.cli.local_access import post_signed
from ecs_pipelines.cli.main import main
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.auth import (
    AccessKeyStore,
    IssuedKey,
    new_server_keys,
    require_server_signature,
)
from ecs_pipelines.local.serving.instance import new_instance_id

LIST_CLUSTERS = "import boto3; print(boto3.client('ecs').list_clusters()['clusterArns'])"


def _clean_environment() -> dict[str, str]:
    """This process's environment without any AWS or embedded ECS setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_PIPELINES_"))}


def test_local_env_lines_are_all_a_boto3_client_needs(local_ecs: LocalEcs) -> None:
    """A shell that evaluates `local env` runs a plain `boto3.client("ecs")` against the
    server: endpoint, keys and region come from those lines only."""
    command = [sys.executable, "-m", "ecs_pipelines.cli", "local", "env"]
    script = (
        f'eval "$({" ".join(command)} --endpoint-url {local_ecs.endpoint_url})" && '
        f'{sys.executable} -c "{LIST_CLUSTERS}"'
    )
    shell = subprocess.run(
        ["bash", "-c", script],
        env={**_clean_environment(), "AWS_SESSION_TOKEN": "from-another-account"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.returncode == 0, shell.stderr
    assert "ecs-pipelines-demo" in shell.stdout


def test_local_env_names_every_variable_the_sdks_read(local_ecs: LocalEcs) -> None:
    """The lines export the endpoint (for the SDKs and for ecs-pipelines), the server's key
    pair and the region, and unset a session token or profile that would spoil the keys."""
    result = CliRunner().invoke(main, ["local", "env", "--endpoint-url", local_ecs.endpoint_url])
    assert result.exit_code == 0, result.output
    exported = dict(
        line.removeprefix("export ").split("=", 1)
        for line in result.output.splitlines()
        if line.startswith("export ")
    )
    assert exported == {
        "AWS_ENDPOINT_URL": local_ecs.endpoint_url,
        "AWS_ACCESS_KEY_ID": local_ecs.credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": local_ecs.credentials.secret_access_key,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ECS_PIPELINES_ENDPOINT_URL": local_ecs.endpoint_url,
    }
    assert "unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE" in result.output


@pytest.mark.parametrize(
    ("source_checkout", "words", "hint"),
    [
        (True, "for the checkout", "`make run`"),
        (False, "for the project directory", "`ecs-pipelines local serve --port 0 --checkout"),
    ],
)
def test_local_env_without_a_server_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source_checkout: bool, words: str, hint: str
) -> None:
    """With no server, `local env` prints no keys and exits 1, saying what starts one there:
    `make run` in a checkout of this project, the CLI's own command in any other project."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'empty'\n")
    if source_checkout:
        (tmp_path / "Makefile").write_text("run:\n")
        (tmp_path / "ecs_pipelines" / "demo").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECS_PIPELINES_ENDPOINT_URL", raising=False)
    result = CliRunner().invoke(main, ["local", "env"])
    assert result.exit_code == 1
    assert f"{words} {tmp_path}" in result.output and hint in result.output
    assert ("make run" in result.output) is source_checkout
    assert "export" not in result.output


class ResetStandIn:
    """A stand-in for the server's reset route (``POST /_local/reset``), guarded as the route
    is guarded: ``require_server_signature`` with the server's key store."""

    def __init__(self) -> None:
        self.keys = AccessKeyStore(new_server_keys())
        self.instance = new_instance_id()
        self.resets = 0
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_port}"

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/_local/health":
            body = {"status": "ok", "instance": self.instance, "pid": os.getpid()}
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]
        if path == "/_local/reset" and environ["REQUEST_METHOD"] == "POST":
            refused = require_server_signature(environ, start_response, self.keys)
            if refused is not None:
                return refused
            self.resets += 1
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"{}"]
        start_response("404 Not Found", [])
        return [b""]


@pytest.fixture
def stand_in() -> Iterator[ResetStandIn]:
    served = ResetStandIn()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        thread.join()


def test_local_reset_signs_its_request_with_the_checkouts_server_keys(
    stand_in: ResetStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`local reset` in a checkout sends POST /_local/reset to the checkout's server, signed
    with SigV4 by the keys its record holds; the route accepts it."""
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'reset'\n")
    server = CheckoutServer(stand_in.endpoint_url, stand_in.instance, 1, stand_in.keys.server)
    write_record(root, server)
    monkeypatch.chdir(root)
    monkeypatch.delenv("ECS_PIPELINES_ENDPOINT_URL", raising=False)
    result = CliRunner().invoke(main, ["local", "reset"])
    assert result.exit_code == 0, result.output
    assert stand_in.resets == 1
    assert "reset" in result.output


def test_the_reset_route_takes_only_the_servers_own_signature(stand_in: ResetStandIn) -> None:
    """Unsigned, signed by an unknown key, or by a task's role credentials: the route refuses
    (a task may call the AWS APIs, not reset the server) and nothing is reset."""
    url = stand_in.endpoint_url + "/_local/reset"
    task_key = stand_in.keys.issue_task_key(
        "arn:aws:ecs:us-east-1:123456789012:task/demo/1", "arn:aws:iam::123456789012:role/r"
    )
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=10)
    assert json.loads(unsigned.value.read())["__type"] == "MissingAuthenticationTokenException"
    stranger = new_server_keys()
    assert json.loads(post_signed(url, stranger)[1])["__type"] == "UnrecognizedClientException"
    status, body = _post_with_task_key(url, task_key)
    assert (status, json.loads(body)["__type"]) == (400, "AccessDeniedException")
    assert stand_in.resets == 0


def _post_with_task_key(url: str, key: IssuedKey) -> tuple[int, bytes]:
    request = AWSRequest(method="POST", url=url, data=b"")
    credentials = Credentials(key.access_key_id, key.secret_access_key, key.session_token)
    SigV4Auth(credentials, "ecs", "us-east-1").add_auth(request)
    sent = urllib.request.Request(
        url, data=b"", headers=dict(request.prepare().headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
