"""``ecs-pipelines local ...``: serve the embedded ECS, or check on one that is running."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click

from ecs_pipelines.local.seed import DEFAULT_PORT, DEMO_CLUSTER, DEMO_REGION, DUMMY_CREDENTIALS

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

ENDPOINT_ENV = "ECS_PIPELINES_ENDPOINT_URL"


@click.group(name="local")
def local() -> None:
    """The embedded local ECS: real ECS and CloudWatch Logs APIs on loopback, tasks run as
    host processes. No AWS account needed.

    \b
    Example:
      ecs-pipelines local serve --port 4590 &
      ecs-pipelines local status
    """


@local.command(name="serve")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port to bind.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (keep it loopback)."
)
def serve(port: int, host: str) -> None:
    """Serve the embedded ECS until SIGINT or SIGTERM, then stop every task process.

    Point boto3 (or EcsResource) at it with endpoint_url and any credentials; the demo
    cluster and task definitions are registered on start.

    \b
    Example:
      ecs-pipelines local serve --port 4590
      aws --endpoint-url http://127.0.0.1:4590 ecs list-tasks --cluster ecs-pipelines-demo
    """
    from ecs_pipelines.local.server import LocalEcs

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        server = LocalEcs(port=port, host=host).start()
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    click.echo(f"Embedded ECS serving on {server.endpoint_url} (cluster {DEMO_CLUSTER})")
    sys.stdout.flush()
    try:
        # A timeout keeps the wait responsive to signals on every platform.
        while not stop_requested.wait(0.5):
            pass
    finally:
        running = server.running_task_count
        server.stop()
    click.echo(f"Embedded ECS stopped ({running} running task(s) stopped)")


endpoint_option = click.option(
    "--endpoint-url",
    envvar=ENDPOINT_ENV,
    default=f"http://127.0.0.1:{DEFAULT_PORT}",
    show_default=True,
    help=f"Embedded ECS endpoint (env {ENDPOINT_ENV}).",
)


@local.command(name="status")
@endpoint_option
def status(endpoint_url: str) -> None:
    """Say whether the embedded ECS answers, and count RUNNING and STOPPED tasks per cluster.

    Exits 1 when the endpoint is unreachable.

    \b
    Example:
      ecs-pipelines local status --endpoint-url http://127.0.0.1:4590
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    ecs: ECSClient = boto3.client(
        "ecs",
        endpoint_url=endpoint_url,
        region_name=DEMO_REGION,
        config=Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1}),
        aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
    )
    try:
        cluster_arns = ecs.list_clusters()["clusterArns"]
        counts = {
            arn: (_count(ecs, arn, "RUNNING"), _count(ecs, arn, "STOPPED")) for arn in cluster_arns
        }
    except (BotoCoreError, ClientError) as exc:
        click.echo(f"Embedded ECS at {endpoint_url}: unreachable ({exc})")
        sys.exit(1)
    click.echo(f"Embedded ECS at {endpoint_url}: reachable, {len(cluster_arns)} cluster(s)")
    for arn, (running, stopped) in counts.items():
        name = arn.rsplit("/", 1)[-1]
        click.echo(f"  {name}: {running} RUNNING, {stopped} STOPPED")


def _count(ecs: ECSClient, cluster: str, desired_status: str) -> int:
    paginator = ecs.get_paginator("list_tasks")
    pages = paginator.paginate(cluster=cluster, desiredStatus=desired_status)  # type: ignore[arg-type]
    return sum(len(page["taskArns"]) for page in pages)


@local.command(name="stop")
@endpoint_option
def stop(endpoint_url: str) -> None:
    """Stop the embedded ECS serving at the endpoint (e.g. the one `make run` left running);
    its running tasks are stopped with it. Exits 1 when nothing answers there.

    \b
    Example:
      ecs-pipelines local stop
    """
    import json
    import os
    import time
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(endpoint_url.rstrip("/") + "/_local/health", timeout=2) as r:
            pid = int(json.loads(r.read())["pid"])
    except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
        click.echo(f"No embedded ECS answers at {endpoint_url} ({exc})")
        sys.exit(1)
    os.kill(pid, signal.SIGTERM)
    # The server stops its tasks, then closes its port: wait until nothing answers there.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint_url.rstrip("/") + "/_local/health", timeout=1).close()
        except (urllib.error.URLError, OSError):
            click.echo(f"Embedded ECS at {endpoint_url} stopped (pid {pid})")
            return
        time.sleep(0.1)
    click.echo(f"Embedded ECS (pid {pid}) did not stop within 30 s")
    sys.exit(1)
