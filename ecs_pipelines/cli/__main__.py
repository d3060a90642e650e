"""``python -m ecs_pipelines.cli``: the ``ecs-pipelines`` command."""

from ecs_pipelines.cli.main import main

main()
