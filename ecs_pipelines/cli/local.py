"""``ecs-pipelines local ...``: serve the embedded ECS (``serve``); the commands for one that
is running (``status``, ``stop``, ``env``, ``reset``) are in ``local_running``, ``local_access``."""

from __future__ import annotations

import importlib
import os
import signal
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecs_pipelines.cli.checkout import (
    CheckoutServer,
    forget_record,
    write_record,
)
from ecs_pipelines.cli.common import echo
from ecs_pipelines.cli.dagster_ui import dagster_ui_of
from ecs_pipelines.cli.local_access import (
    FAULTS_ENV,
    env_command,
    reset_command,
)
from ecs_pipelines.cli.local_running import status_command, stop_command
from ecs_pipelines.ecs.common import cluster_name
from ecs_pipelines.local.rules import (
    DEFAULT_STREAM_BYTES,
    DEFAULT_TOTAL_BYTES,
    MIB,
    FaultPlanError,
    LogLimits,
    default_max_running_tasks,
    parse_fault_plan,
)
from ecs_pipelines.local.serving import DEFAULT_PORT, Seed

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

    from ecs_pipelines.local.serving import LocalEcs

DEMO_SEED = "ecs_pipelines.demo.seed:seed_demo"
INSECURE_WARNING = (
    "WARNING: authentication is OFF (--insecure-no-auth). Any local user, any task and any web "
    "page that finds {endpoint} can run commands on this host as you. Use this only in a "
    "throwaway sandbox, never on a shared machine."
)


@click.group(name="local")
def local() -> None:
    """The embedded local ECS: real ECS and CloudWatch Logs APIs on loopback, tasks run as
    host processes. No AWS account needed.

    \b
    Example:
      ecs-pipelines local serve --port 4590 &
      ecs-pipelines local status
    """


class _StopSignals:
    """SIGINT and SIGTERM, blocked in every thread and taken by ``wait`` in the main thread.

    No handler runs at all: a Python handler runs between two bytecodes of the main thread,
    so one that takes a lock (``threading.Event.set`` does) deadlocks when the signal lands
    while that thread holds the lock, and under a stream of signals handlers nest until
    RecursionError. Blocked, a signal waits until ``wait`` takes it; later ones coalesce and
    are never delivered. Block before any thread starts: threads inherit the mask. (Container
    processes unblock them in their init process, container_init.py.)
    """

    SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})

    def __init__(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)

    def wait(self) -> None:
        """Block until SIGINT or SIGTERM (also one that came before this call)."""
        signal.sigwait(self.SIGNALS)


@local.command(name="serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to bind; 0 picks a free one (the banner names it).",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (keep it loopback)."
)
@click.option(
    "--checkout",
    type=click.Path(file_okay=False, path_type=Path),
    help="Record this server as the given checkout's own (what `make run` does).",
)
@click.option(
    "--log-stream-mib",
    type=click.IntRange(min=1),
    default=DEFAULT_STREAM_BYTES // MIB,
    show_default=True,
    help="Task output held in memory per log stream, in MiB; the oldest lines go first.",
)
@click.option(
    "--log-total-mib",
    type=click.IntRange(min=1),
    default=DEFAULT_TOTAL_BYTES // MIB,
    show_default=True,
    help="Task output held in memory in all, in MiB (at least --log-stream-mib).",
)
@click.option(
    "--seed",
    default=DEMO_SEED,
    show_default=True,
    help="What the server starts with: MODULE:FUNCTION called with its endpoint, keys and "
    "region once it answers (the demo's cluster and task definitions by default), or 'none' "
    "for an empty account.",
)
@click.option(
    "--faults",
    envvar=FAULTS_ENV,
    default="",
    help="A fault plan to rehearse with, e.g. 'no-capacity:provider=FARGATE_SPOT,rate=0.3,"
    "seed=7;spot-reclaim:after=5s,warning=1s;pull-error:count=2;throttle:api=RunTask,"
    "rate=0.2' (or JSON). Read from ECS_PIPELINES_LOCAL_FAULTS when not given, so that "
    "`make run` and `make ui` pass it on.",
)
@click.option(
    "--max-running-tasks",
    type=click.IntRange(min=1),
    default=None,
    help="Past this many tasks not yet STOPPED, RunTask answers no capacity as ECS does "
    f"[default: {default_max_running_tasks()} on this host].",
)
@click.option(
    "--assumed-role-max-seconds",
    type=click.IntRange(min=1),
    default=None,
    help="Credentials STS AssumeRole issues live at most this long (below STS's 900 s "
    "minimum too), to see their renewal during a short wait; unset: as DurationSeconds asks.",
)
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    envvar="ECS_PIPELINES_INSECURE_NO_AUTH",
    help="Serve every request unsigned, from anyone (a throwaway sandbox only; warns loudly).",
)
def serve(
    port: int,
    host: str,
    checkout: Path | None,
    log_stream_mib: int,
    log_total_mib: int,
    seed: str,
    faults: str,
    max_running_tasks: int | None,
    assumed_role_max_seconds: int | None,
    insecure_no_auth: bool,
) -> None:
    """Serve the embedded ECS until SIGINT or SIGTERM, then stop every task process.

    Every AWS API request must be SigV4-signed with the key pair the server makes at start:
    it records it for this user (0600) with the checkout's record, and `ecs-pipelines local
    env` prints it for the AWS CLI and SDKs. The demo cluster and task definitions are
    registered on start (--seed). Task output is held in memory within --log-stream-mib per
    stream and --log-total-mib in all; past them the oldest lines are dropped (GetLogEvents and
    the log pages start at the oldest line still held). Its STS answers AssumeRole for a role
    in any account; the credentials act in that account only (clusters, tasks and logs apart).

    \b
    Example:
      ecs-pipelines local serve --port 4590
      eval "$(ecs-pipelines local env --endpoint-url http://127.0.0.1:4590)"
      aws ecs list-tasks --cluster ecs-pipelines-demo
    """
    from ecs_pipelines.local.serving import state_dir

    try:
        from ecs_pipelines.local.serving import LocalEcs
    except ModuleNotFoundError as missing:  # a library install, without the `local` extra
        raise click.ClickException(
            f"the embedded ECS needs the `local` extra ({missing.name} is not installed): "
            "pip install 'ecs_pipelines[local]'"
        ) from None

    if log_total_mib < log_stream_mib:
        raise click.BadParameter(
            f"must be at least --log-stream-mib ({log_stream_mib}), got {log_total_mib}",
            param_hint="--log-total-mib",
        )
    log_limits = LogLimits(stream_bytes=log_stream_mib * MIB, total_bytes=log_total_mib * MIB)
    seeding = _seed_function(seed)
    try:
        fault_plan = parse_fault_plan(faults)
    except FaultPlanError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    # Before any thread starts: a signal that comes while the server starts still stops it.
    stop_signals = _StopSignals()
    try:
        # Its state record (keys, and this pid: what lets `local stop` prove the server is
        # this user's own on this host) is written before it answers ready.
        server = LocalEcs(
            port=port,
            host=host,
            log_limits=log_limits,
            seed=seeding,
            authenticate=not insecure_no_auth,
            owner_pid=os.getpid(),
            faults=fault_plan,
            max_running_tasks=max_running_tasks,
            # A checkout's server links a task to its run in the checkout's `make ui`.
            dagster_ui=_no_ui if checkout is None else partial(dagster_ui_of, checkout),
            assumed_role_max_seconds=assumed_role_max_seconds,
        ).start()
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        if checkout is not None:
            write_record(
                checkout,
                CheckoutServer(
                    server.endpoint_url, server.instance_id, os.getpid(), server.credentials
                ),
            )
        if insecure_no_auth:
            click.echo(INSECURE_WARNING.format(endpoint=server.endpoint_url), err=True)
        if server.state_record is None:
            click.echo(
                f"WARNING: no record of this server could be kept in {state_dir()} (not a "
                "directory of this user's alone): clients naming its endpoint will not find "
                "its keys, and `local stop` will not stop it.",
                err=True,
            )
        echo(f"Embedded ECS serving on {server.endpoint_url} ({_account(server)})")  # API names
        if fault_plan.faults:
            echo(f"Fault plan: {fault_plan.text}")
        sys.stdout.flush()
        stop_signals.wait()
    finally:
        if checkout is not None:
            forget_record(checkout, server.instance_id)
        running = server.running_task_count
        server.stop()
    click.echo(f"Embedded ECS stopped ({running} running task(s) stopped)")


def _no_ui() -> str | None:
    return None


def _account(server: LocalEcs) -> str:
    """What the account it serves holds, in a few words: its clusters (names from the API)."""
    import boto3

    keys = server.credentials
    ecs: ECSClient = boto3.client(
        "ecs",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
    )
    names = [cluster_name(arn) for arn in ecs.list_clusters()["clusterArns"]]
    if not names:
        return "an empty account"
    return f"cluster{'s' if len(names) > 1 else ''} {', '.join(sorted(names))}"


def _seed_function(seed: str) -> Seed | None:
    """The ``--seed`` function (MODULE:FUNCTION), imported by name: the embedded ECS knows
    nothing of what it is seeded with (the demo sits above it); None for 'none'."""
    if seed.strip().lower() == "none":
        return None
    module_name, _, function_name = seed.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise click.BadParameter(
            f"must be MODULE:FUNCTION or none, got {seed!r} ({error})", param_hint="--seed"
        ) from None
    if not callable(function):
        raise click.BadParameter(f"{seed!r} is not callable", param_hint="--seed")
    seeding: Seed = function
    return seeding


local.add_command(env_command)
local.add_command(reset_command)
local.add_command(status_command)
local.add_command(stop_command)
