"""`ecs-pipelines run`: launch a task from the terminal (e.g. one to ECS Exec into), and wait."""

from __future__ import annotations

import sys

import click

from ecs_pipelines.cli.common import Env, echo, ecs_command
from ecs_pipelines.cli.logs import LinePrinter, print_last, streams
from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.ecs.launching import MAX_COUNT, default_of, describe
from ecs_pipelines.ecs.logs import LOG_TAIL_LINES
from ecs_pipelines.ecs.tasks import EcsTaskResult

INTERRUPTED_STOP_REASON = "Interrupted: ecs-pipelines run --wait"
INTERRUPTED_EXIT = 130  # what a shell reports for a command ended by Ctrl-C (128 + SIGINT)


def _environment(items: tuple[str, ...]) -> dict[str, str]:
    variables = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(
                f"expected NAME=VALUE, got {name or item!r}", param_hint="--env"
            )
        variables[name] = value
    return variables


TASK_EVENTS_OPTION = click.option(
    "--task-events-queue-url",
    envvar="ECS_PIPELINES_TASK_EVENTS_QUEUE_URL",
    help=(
        "SQS queue of the cluster's task state change events (deploy/task-events.yaml): wait "
        "on events instead of polling DescribeTasks. Falls back to polling if it fails."
    ),
)


def wait_for(env: Env, arns: list[str], queue_url: str | None) -> list[EcsTaskResult]:
    """The tasks' results: from task state events when a queue is given, else by polling."""
    resource = env.resource
    if queue_url:
        resource = resource.model_copy(update={"task_events_queue_url": queue_url})
    watcher = resource.task_watcher(
        env.cluster,
        resource.watch_settings(),
        on_notice=lambda text: echo(text, err=True),
    )
    return watcher.wait(arns)


def _show_output(env: Env, result: EcsTaskResult) -> None:
    """The task's last log lines (at most LOG_TAIL_LINES per container, saying when earlier
    ones were left out), so the terminal shows what it did, or why it failed, without another
    command. The launch's secrets are the resource's, which ``env.redactor()`` masks."""
    if result.lost or not result.task_definition_arn:
        return
    definition = env.client.task_definition(result.task_definition_arn)
    echo(f"Log of task {result.task_id}:", err=True)
    try:
        refs = streams(definition, result.task_arn, None)
        show = LinePrinter(env.redactor(), several=len(refs) > 1)
        shown = print_last(env, show, refs, LOG_TAIL_LINES)
    except click.ClickException as error:
        echo(f"({error.message})", err=True)
        return
    if not shown.printed:
        echo("(no log lines)", err=True)
    elif shown.cut:
        echo(
            f"(only the last {LOG_TAIL_LINES} lines of each container: "
            f"`ecs-pipelines logs {result.task_id}` prints them all)",
            err=True,
        )


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("--task-definition", help=describe("task_definition") + " Unset: the target's.")
@click.option("--env", "environment", multiple=True, help="NAME=VALUE for the container.")
@click.option(
    "--count",
    type=click.IntRange(1, MAX_COUNT),
    default=default_of("count"),
    show_default=True,
    help=describe("count"),
)
@click.option(
    "--exec/--no-exec", "enable_exec", default=False, help=describe("enable_execute_command")
)
@click.option("--wait", is_flag=True, help="Wait for the task(s) to stop; exit 1 if one failed.")
@TASK_EVENTS_OPTION
@ecs_command
def run_command(
    env: Env,
    command: tuple[str, ...],
    task_definition: str | None,
    environment: tuple[str, ...],
    count: int,
    enable_exec: bool,
    wait: bool,
    task_events_queue_url: str | None,
) -> None:
    """Launch task(s) with RunTask (the same checks and defaults as EcsResource) and print
    their ids; with --wait, wait for them, print each one's last log lines and exit 1 if any
    failed. Ctrl-C while waiting stops the task(s) and exits 130.

    \b
    Example:
      ecs-pipelines run --exec -- python -c "import time; time.sleep(300)"
      ecs-pipelines run --wait --env DAY=2026-11-24 -- python -c "print('hi')"
      ecs-pipelines run --wait --task-events-queue-url "$QUEUE_URL" -- python -c "print(1)"
    """
    variables = _environment(environment)
    arns = env.resource.run_task(
        task_definition=task_definition,
        command=list(command) or None,
        environment=variables or None,
        count=count,
        enable_execute_command=enable_exec,
    )
    for arn in arns:
        echo(task_id(arn))
    if not wait:
        return
    try:
        results = wait_for(env, arns, task_events_queue_url)
    except KeyboardInterrupt:
        report = env.resource.stop_tasks(arns, reason=INTERRUPTED_STOP_REASON, cluster=env.cluster)
        echo(
            f"Interrupted: stopped {len(report.stopped)} task(s)"
            + (f"; could not stop {len(report.failed)}" if report.failed else ""),
            err=True,
        )
        for problem in report.failed.values():
            echo(problem, err=True)
        sys.exit(INTERRUPTED_EXIT)
    for result in results:
        echo(result.masked(env.redactor()).summary())
    for result in results:
        _show_output(env, result)
    if not all(result.succeeded for result in results):
        raise SystemExit(1)
