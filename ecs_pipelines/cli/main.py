"""The ``ecs-pipelines`` command: every subcommand, registered in one place."""

from __future__ import annotations

import click

from ecs_pipelines.cli.costs import cost_command
from ecs_pipelines.cli.exec import exec_command
from ecs_pipelines.cli.local import local
from ecs_pipelines.cli.logs import logs_command
from ecs_pipelines.cli.run import run_command
from ecs_pipelines.cli.tasks import describe_command, stop_command, tasks_command

DISTRIBUTION = "ecs_pipelines"  # --version reads its version from the installed metadata
TASK_COMMANDS = (
    tasks_command,
    describe_command,
    logs_command,
    stop_command,
    exec_command,
    cost_command,
)


@click.group(name="ecs-pipelines")
@click.version_option(package_name=DISTRIBUTION, prog_name="ecs-pipelines")
def main() -> None:
    """ecs-pipelines: run workloads as AWS ECS tasks from Dagster, and serve an embedded local
    ECS to try it all without an AWS account.

    \b
    Example:
      ecs-pipelines local serve --port 4590
    """


for _command in (*TASK_COMMANDS, run_command, local):
    main.add_command(_command)


if __name__ == "__main__":
    main()
