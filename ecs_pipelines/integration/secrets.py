"""Secret environment values of a step, read at launch from the run worker's environment.

Values reach the task through RunTask's container overrides, which anyone allowed to call
DescribeTasks can read; the task definition's ``secrets`` (SSM Parameter Store or Secrets
Manager) is the better home for them. What the project guarantees is narrower: it never
writes a secret value into the run log, metadata, stored outputs or an error message
(``redaction``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ecs_pipelines.ecs.common import EcsSpecError


def resolve_secret_environment(
    names: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Container variable -> value, read from the run worker's variables named in ``names``."""
    environ = os.environ if environ is None else environ
    resolved = {}
    for container_var, worker_var in names.items():
        if worker_var not in environ:
            raise EcsSpecError(
                f"secret_environment_from[{container_var}]",
                f"environment variable {worker_var} is not set on the run worker",
            )
        resolved[container_var] = environ[worker_var]
    return resolved
