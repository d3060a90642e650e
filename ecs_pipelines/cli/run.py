"""`ecs-pipelines run`: launch a task from the terminal, e.g. one to ECS Exec into."""

from __future__ import annotations

import click

from ecs_pipelines.cli import format as fmt
from ecs_pipelines.cli.tasks import Env, ecs_command


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("--task-definition", help="Family, family:revision or ARN (default: the target's).")
@click.option("--env", "environment", multiple=True, help="NAME=VALUE for the container.")
@click.option("--count", type=click.IntRange(1, 10), default=1, show_default=True)
@click.option("--exec/--no-exec", "enable_exec", default=False, help="Enable ECS Exec.")
@click.option("--wait", is_flag=True, help="Wait for the task(s) to stop; exit 1 if one failed.")
@ecs_command
def run_command(
    env: Env,
    command: tuple[str, ...],
    task_definition: str | None,
    environment: tuple[str, ...],
    count: int,
    enable_exec: bool,
    wait: bool,
) -> None:
    """Launch task(s) with RunTask (the same checks and defaults as EcsResource) and print
    their ids; with --wait, wait for them and exit 1 if any failed.

    \b
    Example:
      ecs-pipelines run --exec -- python -c "import time; time.sleep(300)"
      ecs-pipelines run --wait --env DAY=2026-11-24 -- python -c "print('hi')"
    """
    variables = {}
    for item in environment:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(
                f"expected NAME=VALUE, got {name or item!r}", param_hint="--env"
            )
        variables[name] = value
    arns = env.resource.run_task(
        task_definition=task_definition,
        command=list(command) or None,
        environment=variables or None,
        count=count,
        enable_execute_command=enable_exec,
    )
    for arn in arns:
        click.echo(fmt.task_id(arn))
    if not wait:
        return
    results = env.resource.wait_for_tasks(arns)
    for result in results:
        click.echo(result.summary())
    if not all(r.succeeded for r in results):
        raise SystemExit(1)
