"""``ecs-pipelines local status`` and ``local stop``: check on, or stop, an embedded ECS that is
running (the checkout's own by default, or the one ``--endpoint-url`` names)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import click

from ecs_pipelines.cli.common import echo
from ecs_pipelines.cli.local_access import checkout_server, endpoint_option, server_access
from ecs_pipelines.ecs.common import TaskStatus, cluster_name
from ecs_pipelines.local.serving import DEFAULT_REGION

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


@click.command(name="status")
@endpoint_option
def status_command(endpoint_url: str | None) -> None:
    """Say whether the embedded ECS answers, and count RUNNING and STOPPED tasks per cluster.

    Exits 1 when the endpoint is unreachable.

    \b
    Example:
      ecs-pipelines local status --endpoint-url http://127.0.0.1:4590
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    if endpoint_url and not _answers(endpoint_url):
        click.echo(f"Embedded ECS at {endpoint_url}: unreachable (nothing answers its health)")
        sys.exit(1)
    endpoint_url, credentials = server_access(endpoint_url)
    ecs: ECSClient = boto3.client(
        "ecs",
        endpoint_url=endpoint_url,
        region_name=DEFAULT_REGION,
        config=Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1}),
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
    )
    try:
        cluster_arns = ecs.list_clusters()["clusterArns"]
        counts = {
            arn: (_count(ecs, arn, TaskStatus.RUNNING), _count(ecs, arn, TaskStatus.STOPPED))
            for arn in cluster_arns
        }
    except (BotoCoreError, ClientError) as exc:
        click.echo(f"Embedded ECS at {endpoint_url}: unreachable ({exc})")
        sys.exit(1)
    click.echo(f"Embedded ECS at {endpoint_url}: reachable, {len(cluster_arns)} cluster(s)")
    for arn, (running, stopped) in counts.items():
        echo(f"  {cluster_name(arn)}: {running} RUNNING, {stopped} STOPPED")  # names from the API


def _answers(endpoint_url: str) -> bool:
    try:
        urllib.request.urlopen(endpoint_url.rstrip("/") + "/_local/health", timeout=2).close()
    except (urllib.error.URLError, OSError):
        return False
    return True


def _count(ecs: ECSClient, cluster: str, desired_status: str) -> int:
    paginator = ecs.get_paginator("list_tasks")
    pages = paginator.paginate(cluster=cluster, desiredStatus=desired_status)  # type: ignore[arg-type]
    return sum(len(page["taskArns"]) for page in pages)


@click.command(name="stop")
@endpoint_option
def stop_command(endpoint_url: str | None) -> None:
    """Stop the embedded ECS serving at the endpoint (e.g. the one `make run` left running);
    its running tasks are stopped with it. Only a server that `ecs-pipelines local serve`
    started on this host, as this user, is stopped. Exits 1 when nothing answers there, or
    when the server there is not provably this user's.

    \b
    Example:
      ecs-pipelines local stop
    """
    from ecs_pipelines.local.serving import why_not_own_server

    endpoint_url = endpoint_url or checkout_server().endpoint_url
    health_url = endpoint_url.rstrip("/") + "/_local/health"
    try:
        with urllib.request.urlopen(health_url, timeout=2) as response:
            health = json.loads(response.read())
        pid, instance = health.get("pid"), health.get("instance")
    except (urllib.error.URLError, OSError, ValueError, AttributeError) as exc:
        click.echo(f"No embedded ECS answers at {endpoint_url} ({exc})")
        sys.exit(1)
    refusal = why_not_own_server(instance, pid)
    if refusal is not None:
        click.echo(f"Refusing to stop the embedded ECS at {endpoint_url}: {refusal}.")
        sys.exit(1)
    assert isinstance(pid, int)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        click.echo(f"Embedded ECS at {endpoint_url}: process {pid} is gone")
        sys.exit(1)
    # The server stops its tasks, then closes its port: wait until nothing answers there.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(health_url, timeout=1).close()
        except (urllib.error.URLError, OSError):
            click.echo(f"Embedded ECS at {endpoint_url} stopped (pid {pid})")
            return
        time.sleep(0.1)
    click.echo(f"Embedded ECS (pid {pid}) did not stop within 30 s")
    sys.exit(1)
