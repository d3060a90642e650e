"""`ecs-pipelines exec`: run a command in a running task through ECS Exec."""

from __future__ import annotations

import shlex
import sys

import click

from ecs_pipelines.cli.common import Env, ecs_command, find_task


@click.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("task")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--container", help="Container to run in (needed when the task has several).")
@ecs_command
def exec_command(env: Env, task: str, command: tuple[str, ...], container: str | None) -> None:
    """Run a command in a running task through ECS Exec.

    The task must have been launched with ECS Exec enabled. On AWS this needs
    session-manager-plugin; on the embedded ECS the command's output is printed as it is
    (secret values masked), as an interactive session shows it. Exits with the command's
    exit status.

    \b
    Example:
      ecs-pipelines exec 0f9c1d2e3b4a4c5d8e7f6a5b4c3d2e1f -- python -c "print(42)"
      ecs-pipelines exec 0f9c1d2e --container main -- /bin/sh
    """
    found = find_task(env, task)
    result = env.resource.execute_command(
        found["taskArn"],
        shlex.join(command),
        container=container,
        # ECS Exec accepts only interactive sessions ("Interactive is the only mode supported
        # currently"), on AWS and on the embedded ECS alike, whatever stdin is.
        interactive=True,
        cluster=env.cluster,
    )
    if result.output is not None:
        click.echo(env.redactor(found)(result.output), nl=False)
    if result.exit_code is None:
        raise click.ClickException("the command ended without an exit status")
    sys.exit(result.exit_code)
