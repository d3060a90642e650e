"""``ecs-pipelines local env`` and ``local reset``: the checkout's server, for other tools and
for a fresh start.

``local env`` prints the shell lines that point the AWS CLI, a notebook or any SDK at the
server (endpoint, its key pair, region): ``eval "$(ecs-pipelines local env)"``. ``local reset``
asks the server to stop every task and forget every resource, a ``POST /_local/reset`` signed
with SigV4 by the server's own keys (a task's role credentials may not reset it).
"""

from __future__ import annotations

import json
import shlex
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

import click
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ecs_pipelines.cli.checkout import (
    CheckoutServer,
    checkout_root,
    no_server_message,
    recorded_server,
)
from ecs_pipelines.cli.local_credentials import credentials_of_endpoint
from ecs_pipelines.cli.local_names import LOCAL_REGION
from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines.local.serving import (
    ACTION,
    ACTION_HEADER,
    FAULTS_ACTION,
    FAULTS_PATH,
    RESET_PATH,
    state_dir,
)

ENDPOINT_ENV = "ECS_PIPELINES_ENDPOINT_URL"
# The variables a shell may hold that would take precedence over, or mix with, the keys.
_CLEARED = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")

endpoint_option = click.option(
    "--endpoint-url",
    envvar=ENDPOINT_ENV,
    help=f"Embedded ECS endpoint (env {ENDPOINT_ENV}; default: this checkout's own server).",
)


def server_access(endpoint_url: str | None) -> tuple[str, KeyPair]:
    """The endpoint given (its keys from this user's record of it), else this checkout's
    recorded server and its keys; exits 1 saying what to run when there is none."""
    if endpoint_url:
        credentials = credentials_of_endpoint(endpoint_url)
        if credentials is None:
            click.echo(
                f"No credentials for the embedded ECS at {endpoint_url}: nothing ready answers "
                f"there, or no record of this user in {state_dir()} names it (start one with "
                "`ecs-pipelines local serve`)"
            )
            sys.exit(1)
        return endpoint_url, credentials
    server = checkout_server()
    return server.endpoint_url, server.credentials


def checkout_server() -> CheckoutServer:
    """This checkout's recorded server; exits 1 saying what to run when there is none."""
    root = checkout_root()
    server = recorded_server(root)
    if server is None:
        message = no_server_message(root)
        click.echo(f"{message[:1].upper()}{message[1:]} (`--endpoint-url` names another)")
        sys.exit(1)
    return server


@click.command(name="env")
@endpoint_option
def env_command(endpoint_url: str | None) -> None:
    """Print the shell lines that point the AWS CLI and SDKs at the embedded ECS: its
    endpoint, its key pair and region (the secret key included: evaluate the output, do not
    paste it into logs or tickets).

    \b
    Example:
      eval "$(ecs-pipelines local env)"
      aws ecs list-clusters
    """
    endpoint, credentials = server_access(endpoint_url)
    variables = {
        "AWS_ENDPOINT_URL": endpoint,
        **credentials.environment(),
        "AWS_REGION": LOCAL_REGION,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        ENDPOINT_ENV: endpoint,
    }
    for name, value in variables.items():
        click.echo(f"export {name}={shlex.quote(value)}")
    click.echo(f"unset {' '.join(_CLEARED)}")


@click.command(name="reset")
@endpoint_option
def reset_command(endpoint_url: str | None) -> None:
    """Reset the embedded ECS: stop every task process and forget every task, cluster and
    other resource, as a fresh server. Signed with the server's own keys.

    \b
    Example:
      ecs-pipelines local reset
    """
    endpoint, credentials = server_access(endpoint_url)
    status, body = post_signed(
        endpoint.rstrip("/") + RESET_PATH, credentials, headers={ACTION_HEADER: ACTION}
    )
    if status == 200:
        click.echo(f"Embedded ECS at {endpoint} reset: every task stopped, every resource gone")
        return
    if status == 404:
        click.echo(f"The embedded ECS at {endpoint} offers no reset ({RESET_PATH}).")
    else:
        click.echo(f"The embedded ECS at {endpoint} refused the reset: {_error_of(status, body)}")
    sys.exit(1)


def post_signed(
    url: str,
    credentials: KeyPair,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    """``POST url`` with ``headers`` and ``body``, signed with SigV4 (service "ecs", the demo
    region); its status and body."""
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers or {}))
    keys = Credentials(credentials.access_key_id, credentials.secret_access_key)
    SigV4Auth(keys, "ecs", LOCAL_REGION).add_auth(request)
    prepared = request.prepare()
    sent = urllib.request.Request(
        url, data=body, headers=dict(prepared.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
    except (urllib.error.URLError, OSError) as unreachable:
        raise click.ClickException(f"nothing answers at {url} ({unreachable})") from None


def _error_of(status: int, body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return f"HTTP {status}"
    if not isinstance(answer, dict):
        return f"HTTP {status}"
    code = answer.get("__type") or answer.get("code") or f"HTTP {status}"
    return f"{code}: {answer.get('message', '')}".rstrip(": ")


# The fault plan `local serve` starts with when no --faults is given; `make run` and `make ui`
# also set it on a checkout server that is already running (``send_fault_plan``).
FAULTS_ENV = "ECS_PIPELINES_LOCAL_FAULTS"


def send_fault_plan(endpoint_url: str, credentials: KeyPair, plan: str) -> None:
    """Replace the fault plan of the embedded ECS at ``endpoint_url`` ("" clears it), as its
    own user; a plan it refuses is a ClickException naming why."""
    url = endpoint_url.rstrip("/") + FAULTS_PATH
    headers = {ACTION_HEADER: FAULTS_ACTION}
    status, body = post_signed(url, credentials, headers=headers, body=plan.encode())
    if status != 200:
        raise click.ClickException(f"{FAULTS_ENV}: {_error_of(status, body)}")
