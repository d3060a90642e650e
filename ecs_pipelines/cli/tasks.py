"""`ecs-pipelines tasks | describe | stop`: list, show and stop the cluster's tasks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import click

from ecs_pipelines.cli import format as fmt
from ecs_pipelines.cli.common import RAW_OPTION, Env, echo, ecs_command, find_task
from ecs_pipelines.cli.task_costs import add_cost_columns
from ecs_pipelines.ecs.common import (
    EcsSpecError,
    TaskStatus,
    non_empty_string,
    started_by_string,
    task_id,
)
from ecs_pipelines.ecs.logs import links_for
from ecs_pipelines.integration.task_naming import ASSET_KEY_TAG, tag_value

STATUS_CHOICES = (TaskStatus.RUNNING.value, TaskStatus.STOPPED.value, "all")
DEFAULT_STOP_REASON = "Stopped with ecs-pipelines stop"


def _check_started_by(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> str | None:
    # An option callback runs while parsing, so a bad filter fails before any AWS call.
    return _checked(started_by_string, value)


def _check_family(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return _checked(non_empty_string, value)


def _checked(check: Callable[[str, object], str], value: str | None) -> str | None:
    """``value`` through a field check of the vocabulary; its problem as a usage error."""
    if value is None:
        return None
    try:
        return check("value", value)
    except EcsSpecError as error:
        raise click.BadParameter(error.problem) from None


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
@click.option(
    "--run-id", help="Only the tasks of run RUN_ID: its steps' tasks and its run-worker task."
)
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

    Columns: task id, status, task definition, started by, age, cost (a stopped task's, by
    Fargate's rule at the resource's prices), memory peak (Container Insights, read once for
    all the tasks), Dagster run. Stopped tasks stay listed for about an hour after they stop.

    \b
    Example:
      ecs-pipelines tasks --status RUNNING
      ecs-pipelines tasks --run-id 6f1c2e9a-... --json
    """
    wanted: dict[str, str] = {}
    if asset:
        # Launches store the asset key through tag_value; compare the same form.
        wanted[ASSET_KEY_TAG] = tag_value(asset)
    statuses = [TaskStatus.RUNNING, TaskStatus.STOPPED] if status == "all" else [status.upper()]
    found = list_tasks(env, statuses=statuses, family=family, started_by=started_by, tags=wanted)
    if run_id:  # the run's step tasks and its run-worker task
        found = [task for task in found if fmt.run_id_of(task) == run_id]
    now = datetime.now(UTC)
    rows = [fmt.task_row(env.shown_task(task), now) for task in found]
    note = add_cost_columns(env, found, rows)
    if as_json:
        echo(fmt.to_json(rows))
    elif rows:
        echo(fmt.render_task_table(rows))
        if note:
            echo(note, err=True)
    else:
        echo(f"No tasks in cluster {env.cluster} match.", err=True)


@click.command("describe")
@click.argument("task")
@click.option("--json", "as_json", is_flag=True, help="Print DescribeTasks' task as JSON.")
@click.option(
    "--show-env",
    is_flag=True,
    help="Show environment values not known to be secret (secret ones stay ***).",
)
@RAW_OPTION
@ecs_command
def describe_command(env: Env, task: str, as_json: bool, show_env: bool, raw: bool) -> None:
    """Show one task: status, stop reason, times, containers, overrides, tags, console link.

    TASK is a task id, a task ARN or a unique prefix of a task id. Environment values are
    shown as *** unless --show-env, which shows those not known to be secret; a secret value
    is *** wherever else it appears (the command, another variable, a reason). Control
    characters in the task's fields are shown escaped (\\x1b) unless --raw.

    \b
    Example:
      ecs-pipelines describe 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f
      ecs-pipelines describe 0f9c1d2e --json --show-env
    """
    shown = env.shown_task(find_task(env, task), reveal=show_env)
    if as_json:
        echo(fmt.to_json(shown), raw=raw)
        return
    region = env.resource.region_name or env.target.region
    cluster = str(shown.get("clusterArn", env.cluster))
    url = links_for(env.resource.endpoint_url, region).task(cluster, shown["taskArn"])
    echo(fmt.render_task_summary(shown, url), raw=raw)


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
    ident = task_id(found["taskArn"])
    if found.get("lastStatus") == TaskStatus.STOPPED:
        shown = env.shown_task(found)
        echo(
            f"Task {ident} had already stopped ({shown.get('stopCode', 'no stop code')}: "
            f"{shown.get('stoppedReason', '')})"
        )
        return
    stopped = env.shown_task(env.client.stop(env.cluster, found["taskArn"], reason=reason))
    echo(
        f"Stopping task {ident}: "
        f"last status {stopped.get('lastStatus')}, desired {stopped.get('desiredStatus')}, "
        f"reason: {stopped.get('stoppedReason') or reason}"
    )
