"""Secret environment values: resolved at launch, masked wherever the project writes text.

Values reach the task through RunTask's container overrides, which anyone allowed to call
DescribeTasks can read; the task definition's ``secrets`` (SSM Parameter Store or Secrets
Manager) is the better home for them. What this module guarantees is narrower: the project
itself never writes a secret value into the run log, metadata or an error message.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from ecs_pipelines.ecs.errors import EcsSpecError

MASK = "***"
# Shorter values would mask ordinary words and digits all over the log.
MIN_MASKED_LENGTH = 4


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


class Redactor:
    """Replaces every known secret value in a text with ***."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self.values = sorted(
            {v for v in values if len(v) >= MIN_MASKED_LENGTH}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        return text

    def lines(self, lines: Iterable[str]) -> list[str]:
        return [self(line) for line in lines]
