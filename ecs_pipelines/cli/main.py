"""The ``ecs-pipelines`` command."""

from __future__ import annotations

import click

from ecs_pipelines.cli.local import local
from ecs_pipelines.cli.run import run_command
from ecs_pipelines.cli.tasks import register_task_commands


@click.group(name="ecs-pipelines")
def main() -> None:
    """ecs-pipelines: run workloads as AWS ECS tasks from Dagster, and serve an embedded local
    ECS to try it all without an AWS account.

    \b
    Example:
      ecs-pipelines local serve --port 4590
    """


main.add_command(local)
register_task_commands(main)
main.add_command(run_command)


if __name__ == "__main__":
    main()
