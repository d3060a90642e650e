"""The task commands of `ecs-pipelines`: tasks, describe, logs, stop, exec.

Each command resolves the same target as the resource (``ECS_PIPELINES_TARGET`` and friends),
lets ``--cluster/--endpoint-url/--region/--profile`` override it, fetches through ``ecs/`` and
prints what ``cli_format`` renders. Errors become one ``Error: ...`` line and exit status 1;
bad usage exits 2 (click's convention).
"""

from __future__ import annotations

import contextlib
import functools
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.cli import format as fmt
from ecs_pipelines.cli.target import Target, local_ecs_reachable, resource_for, target_from_env
from ecs_pipelines.ecs.client import EcsTaskClient
from ecs_pipelines.ecs.errors import EcsError
from ecs_pipelines.ecs.logs import (
    LogStreamRef,
    LogTail,
    console_url_for_task,
    last_lines,
    log_stream_refs,
)
from ecs_pipelines.ecs.retry import Retrier
from ecs_pipelines.ecs.status import Outcome, decide, essential_containers
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.integration.task_naming import ASSET_KEY_TAG, RUN_ID_TAG, tag_value

F = TypeVar("F", bound=Callable[..., Any])

STATUS_CHOICES = ("RUNNING", "STOPPED", "all")
DEFAULT_STOP_REASON = "Stopped with ecs-pipelines stop"
# A person is waiting at the terminal: give up on an unreachable or throttled API sooner
# than the resource's default retrier, which is tuned for unattended bulk launches.
CLI_RETRIES = 3
_STARTED_BY = re.compile(r"^[A-Za-z0-9_/-]{1,128}$")


@dataclass(frozen=True)
class Env:
    """What every command works with: the resolved target, its resource and a task client."""

    target: Target
    resource: EcsResource
    client: EcsTaskClient

    @property
    def cluster(self) -> str:
        return self.resource.cluster


# --- shared plumbing ------------------------------------------------------------------------


@contextlib.contextmanager
def _errors_as_messages() -> Iterator[None]:
    """Known failures become one `Error: ...` line with exit 1 instead of a traceback."""
    try:
        yield
    except ClientError as error:
        raise click.ClickException(client_error_message(error)) from None
    except (EcsError, BotoCoreError) as error:
        raise click.ClickException(str(error)) from None


def client_error_message(error: ClientError) -> str:
    """``ListTasks: ClusterNotFoundException: Cluster not found.`` rather than botocore's prose."""
    details = error.response.get("Error", {})
    code = details.get("Code", "Error")
    return f"{error.operation_name}: {code}: {details.get('Message', '')}".rstrip(": ")


def _build_env(
    cluster: str | None, endpoint_url: str | None, region: str | None, profile: str | None
) -> Env:
    try:
        target = target_from_env()
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    overrides: dict[str, object] = {}
    if cluster:
        overrides["cluster"] = cluster
    if endpoint_url:
        overrides["endpoint_url"] = endpoint_url
    if region:
        overrides["region_name"] = region
    if profile:
        overrides["profile_name"] = profile
    resource = resource_for(target, **overrides)
    endpoint = resource.endpoint_url
    # Fail fast when the embedded ECS is down, rather than after a minute of connection retries.
    if target.name == "local" and endpoint and not local_ecs_reachable(endpoint):
        raise click.ClickException(
            f"nothing answers at {endpoint}; start the embedded ECS with "
            "`ecs-pipelines local serve` or point ECS_PIPELINES_ENDPOINT_URL at it"
        )
    client = EcsTaskClient(resource.ecs_client(), retrier=Retrier(max_retries=CLI_RETRIES))
    return Env(target=target, resource=resource, client=client)


def ecs_command(func: F) -> F:
    """Adds the target options; the command receives an ``Env`` as its first argument."""

    @click.option("--profile", help="AWS profile to use (default: the usual credential chain).")
    @click.option("--region", help="AWS region (default: the target's).")
    @click.option(
        "--endpoint-url",
        help="ECS/CloudWatch Logs endpoint (default: ECS_PIPELINES_ENDPOINT_URL or the target's).",
    )
    @click.option("--cluster", help="Cluster name or ARN (default: the target's cluster).")
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        cluster: str | None,
        endpoint_url: str | None,
        region: str | None,
        profile: str | None,
        **kwargs: Any,
    ) -> Any:
        with _errors_as_messages():
            env = _build_env(cluster, endpoint_url, region, profile)
            return func(env, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def find_task(env: Env, task: str) -> dict[str, Any]:
    """The described task for a task id or ARN; exit 1 with a clear message when unknown."""
    described = env.client.describe(env.cluster, [task])
    wanted = fmt.task_id(task)
    for arn, found in described.tasks.items():
        if fmt.task_id(arn) == wanted:
            return found
    reason = next(iter(described.missing.values()), "MISSING")
    raise click.ClickException(f"task {task} not found in cluster {env.cluster} ({reason})")


# --- tasks ----------------------------------------------------------------------------------


def _check_started_by(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> str | None:
    # An option callback runs while parsing, so a bad filter fails before any AWS call.
    if value is not None and not _STARTED_BY.match(value):
        raise click.BadParameter("must be 1..128 letters, digits, '-', '/' or '_'")
    return value


def _check_family(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty")
    return value


def list_tasks(
    env: Env,
    *,
    statuses: Sequence[str],
    family: str | None,
    started_by: str | None,
    tags: Mapping[str, str],
) -> list[Mapping[str, Any]]:
    """Described tasks of the cluster matching every filter, newest first."""
    arns: dict[str, None] = {}
    for status in statuses:
        for arn in env.client.list_task_arns(
            env.cluster, family=family, started_by=started_by, desired_status=status
        ):
            arns[arn] = None
    described = env.client.describe(env.cluster, list(arns))
    matching = [t for t in described.tasks.values() if fmt.matches_tags(t, tags)]
    return fmt.sort_newest_first(matching)


@click.command("tasks")
@click.option("--run-id", help="Only tasks tagged dagster/run-id=RUN_ID.")
@click.option("--asset", help="Only tasks tagged dagster/asset-key=ASSET (e.g. raw/events).")
@click.option(
    "--status",
    type=click.Choice(STATUS_CHOICES, case_sensitive=False),
    default="all",
    show_default=True,
    help="Desired status to list; 'all' lists RUNNING and STOPPED tasks.",
)
@click.option("--family", callback=_check_family, help="Only tasks of this task definition family.")
@click.option(
    "--started-by", callback=_check_started_by, help="Only tasks with this startedBy value."
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@ecs_command
def tasks_command(
    env: Env,
    run_id: str | None,
    asset: str | None,
    status: str,
    family: str | None,
    started_by: str | None,
    as_json: bool,
) -> None:
    """List the tasks of the cluster, newest first.

    Columns: task id, status, task definition, started by, age, Dagster run.
    Stopped tasks stay listed for about an hour after they stop.

    \b
    Example:
      ecs-pipelines tasks --status RUNNING
      ecs-pipelines tasks --run-id 6f1c2e9a-... --json
    """
    wanted: dict[str, str] = {}
    if run_id:
        wanted[RUN_ID_TAG] = run_id
    if asset:
        # Launches store the asset key through tag_value; compare the same form.
        wanted[ASSET_KEY_TAG] = tag_value(asset)
    statuses = ["RUNNING", "STOPPED"] if status.lower() == "all" else [status.upper()]
    found = list_tasks(env, statuses=statuses, family=family, started_by=started_by, tags=wanted)
    now = datetime.now(UTC)
    rows = [fmt.task_row(task, now) for task in found]
    if as_json:
        click.echo(fmt.to_json(rows))
    elif rows:
        click.echo(fmt.render_task_table(rows))
    else:
        click.echo(f"No tasks in cluster {env.cluster} match.", err=True)


# --- describe -------------------------------------------------------------------------------


@click.command("describe")
@click.argument("task")
@click.option("--json", "as_json", is_flag=True, help="Print DescribeTasks' task as JSON.")
@ecs_command
def describe_command(env: Env, task: str, as_json: bool) -> None:
    """Show one task: status, stop reason, times, containers, tags, console link.

    TASK is a task id or a task ARN. Environment values are always shown as ***.

    \b
    Example:
      ecs-pipelines describe 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f
      ecs-pipelines describe 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f --json
    """
    found = fmt.masked_task(find_task(env, task))
    if as_json:
        click.echo(fmt.to_json(found))
        return
    region = env.resource.region_name or env.target.region
    url = console_url_for_task(region, str(found.get("clusterArn", env.cluster)), found["taskArn"])
    click.echo(fmt.render_task_summary(found, url))


# --- logs -----------------------------------------------------------------------------------


class _LogsClients:
    """One CloudWatch Logs client per region: awslogs-region may differ from the target's."""

    def __init__(self, resource: EcsResource) -> None:
        self._resource = resource
        self._clients: dict[str | None, Any] = {}

    def __call__(self, region: str | None) -> Any:
        own = self._resource.region_name
        key = None if region in (None, own) else region
        if key not in self._clients:
            if key is None:
                self._clients[key] = self._resource.logs_client()
            else:
                # with_clients drops the cached logs client, so the copy builds one for `region`.
                other = self._resource.model_copy(update={"region_name": region})
                self._clients[key] = other.with_clients(self._resource.ecs_client()).logs_client()
        return self._clients[key]


def _streams(
    definition: Mapping[str, Any], task_arn: str, container: str | None
) -> list[LogStreamRef]:
    refs = log_stream_refs(definition, task_arn)
    if not refs:
        family = definition.get("family", "the task definition")
        raise click.ClickException(
            f"{family} has no container logging to CloudWatch (awslogs with a stream prefix)"
        )
    if container is None:
        return refs
    chosen = [ref for ref in refs if ref.container == container]
    if not chosen:
        names = ", ".join(ref.container for ref in refs)
        raise click.BadParameter(
            f"no container {container!r} with CloudWatch logs; containers: {names}",
            param_hint="--container",
        )
    return chosen


def _echo_lines(lines: Sequence[str], ref: LogStreamRef, several: bool) -> None:
    for line in fmt.prefixed(lines, ref.container if several else None):
        click.echo(line)


def _print_once(env: Env, refs: Sequence[LogStreamRef], tail: int | None) -> None:
    clients = _LogsClients(env.resource)
    for ref in refs:
        if tail is not None:
            lines = last_lines(clients(ref.region), ref, tail)
        else:
            reader = LogTail(clients(ref.region), ref)
            lines = reader.poll()
            if not reader.complete:
                raise click.ClickException(f"could not read every line: {reader.error}")
        _echo_lines(lines, ref, len(refs) > 1)


def _follow(
    env: Env,
    task: Mapping[str, Any],
    refs: Sequence[LogStreamRef],
    tail: int | None,
    essential: frozenset[str] | None,
) -> None:
    """Print new lines each poll until the task is STOPPED; exit 1 when it failed."""
    clients = _LogsClients(env.resource)
    readers = [LogTail(clients(ref.region), ref) for ref in refs]
    several = len(refs) > 1
    first = True
    while True:
        stopped = task.get("lastStatus") == "STOPPED"
        # Read after describing: lines written before STOPPED are in by the final read.
        for reader in readers:
            lines = reader.poll()
            # --tail applies to what was there before following started.
            if first and tail is not None:
                lines = lines[-tail:] if tail else []
            _echo_lines(lines, reader.ref, several)
        first = False
        if stopped:
            break
        time.sleep(env.resource.poll_interval_seconds)
        task = find_task(env, str(task["taskArn"]))
    _drain(readers, several)
    for reader in readers:
        if not reader.complete:
            click.echo(f"Warning: some lines may be missing: {reader.error}", err=True)
    verdict = decide(task, essential)
    if verdict.outcome is Outcome.FAILED:
        raise click.ClickException(f"task {fmt.task_id(task['taskArn'])} failed: {verdict.reason}")


def _drain(readers: Sequence[LogTail], several: bool) -> None:
    """Reads until every stream is quiet, so lines flushed at the stop are not lost."""
    pending = list(readers)
    while pending:
        still_writing = []
        for reader in pending:
            lines = reader.poll()
            if lines:
                _echo_lines(lines, reader.ref, several)
                still_writing.append(reader)
        pending = still_writing


@click.command("logs")
@click.argument("task")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the task stops.")
@click.option("--container", help="Only this container's lines.")
@click.option("--tail", type=click.IntRange(min=0), help="Only the last N lines (per container).")
@ecs_command
def logs_command(
    env: Env, task: str, follow: bool, container: str | None, tail: int | None
) -> None:
    """Print a task's CloudWatch log lines (awslogs), oldest first.

    Lines are prefixed with the container name when several containers are shown.
    With --follow it exits when the task stops: status 1 if the task failed.

    \b
    Example:
      ecs-pipelines logs 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f --tail 50
      ecs-pipelines logs 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f --follow --container main
    """
    found = find_task(env, task)
    definition = env.client.task_definition(found["taskDefinitionArn"])
    refs = _streams(definition, found["taskArn"], container)
    if follow:
        _follow(env, found, refs, tail, essential_containers(definition))
    else:
        _print_once(env, refs, tail)


# --- stop -----------------------------------------------------------------------------------


@click.command("stop")
@click.argument("task")
@click.option("--reason", default=DEFAULT_STOP_REASON, show_default=True, help="Stop reason.")
@ecs_command
def stop_command(env: Env, task: str, reason: str) -> None:
    """Stop a task (StopTask); ECS records stop code UserInitiated.

    \b
    Example:
      ecs-pipelines stop 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f --reason "wrong input"
    """
    found = find_task(env, task)
    stopped = env.client.stop(env.cluster, found["taskArn"], reason=reason)
    click.echo(
        f"Stopping task {fmt.task_id(found['taskArn'])}: "
        f"last status {stopped.get('lastStatus')}, desired {stopped.get('desiredStatus')}, "
        f"reason: {stopped.get('stoppedReason') or reason}"
    )


# --- exec -----------------------------------------------------------------------------------


@click.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("task")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--container", help="Container to run in (needed when the task has several).")
@ecs_command
def exec_command(env: Env, task: str, command: tuple[str, ...], container: str | None) -> None:
    """Run a command in a running task through ECS Exec.

    The task must have been launched with ECS Exec enabled. On AWS this needs
    session-manager-plugin; on the embedded ECS the command's output is printed.
    Exits with the command's exit status.

    \b
    Example:
      ecs-pipelines exec 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f -- python -c "print(42)"
      ecs-pipelines exec 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f --container main -- /bin/sh
    """
    found = find_task(env, task)
    result = env.resource.execute_command(
        found["taskArn"],
        shlex.join(command),
        container=container,
        # ECS Exec accepts only interactive sessions ("Interactive is the only mode supported
        # currently"), on AWS and on the embedded ECS alike, whatever stdin is.
        interactive=True,
    )
    if result.output is not None:
        click.echo(result.output, nl=False)
    if result.exit_code is None:
        raise click.ClickException("the command ended without an exit status")
    sys.exit(result.exit_code)


TASK_COMMANDS = (tasks_command, describe_command, logs_command, stop_command, exec_command)


def register_task_commands(group: click.Group) -> None:
    """Adds tasks, describe, logs, stop and exec to the `ecs-pipelines` group."""
    for command in TASK_COMMANDS:
        group.add_command(command)
