"""ECS Exec: whether a task can take a command now, later or never, and running one (session-
manager-plugin on AWS).
"""

from ecs_pipelines.ecs.exec.readiness import required_task_role_problem
from ecs_pipelines.ecs.exec.session import ExecResult, execute_command

__all__ = ["ExecResult", "execute_command", "required_task_role_problem"]
