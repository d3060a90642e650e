"""Which task definition revision a reference names, as ECS resolves it.

A reference is a family, ``family:revision`` or a task definition ARN. ECS reads a bare family
as its latest ACTIVE revision: "If a revision isn't specified, the latest ACTIVE revision is
used." (botocore's ECS service model, RunTask, StartTask, CreateService, UpdateService and
CreateTaskSet ``taskDefinition``), "The family for the latest ACTIVE revision" (its
DescribeTaskDefinition ``taskDefinition``). moto takes the family's latest revision whatever its
status, so a deregistered one could be described and run. ``resolve`` replaces moto's
``describe_task_definition``, which every moto action resolves a reference through, so each of
them reads a reference the same way. A revision named explicitly is found whatever its status:
DescribeTaskDefinition still answers an INACTIVE one; whether it may start tasks is a launch
rule (``run_task_rules.check_task_definition_active``).
"""

from __future__ import annotations

import re

from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition

ACTIVE = "ACTIVE"
_REVISION = re.compile(r"[0-9]+")


def resolve(self: EC2ContainerServiceBackend, task_definition_str: str) -> TaskDefinition:
    """The revision ``task_definition_str`` names in this backend's account and region.

    A family with no ACTIVE revision left, an unknown family or revision, and a revision that
    is not a number are all the error moto (and ECS) answer for an unknown task definition
    (400 ClientException "Unable to describe task definition.").
    """
    family, has_revision, revision = task_definition_str.rsplit("/", 1)[-1].partition(":")
    revisions = self.task_definitions.get(family, {})
    number: int | None = None
    if not has_revision:
        number = max((n for n, d in revisions.items() if d.status == ACTIVE), default=None)
    elif _REVISION.fullmatch(revision):
        number = int(revision)
    found = revisions.get(number) if number is not None else None
    if found is None:
        raise TaskDefinitionNotFoundException()
    return found
