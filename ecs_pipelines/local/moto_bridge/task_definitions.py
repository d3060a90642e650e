"""Which task definition revision a reference names, as ECS resolves it, and which actions may
use it.

A reference is a family, ``family:revision`` or a task definition ARN. ECS reads a bare family
as its latest ACTIVE revision: "If a revision isn't specified, the latest ACTIVE revision is
used." (botocore's ECS service model, RunTask, StartTask, CreateService, UpdateService and
CreateTaskSet ``taskDefinition``), "The family for the latest ACTIVE revision" (its
DescribeTaskDefinition ``taskDefinition``). moto takes the family's latest revision whatever its
status, so a deregistered one could be described and run. ``resolve`` replaces moto's
``describe_task_definition``, which every moto action resolves a reference through, so each of
them reads a reference the same way. A revision named explicitly is found whatever its status:
DescribeTaskDefinition still answers an INACTIVE one. The actions that start tasks or point a
service at a revision refuse an INACTIVE one (``usable``, with the rule and the error of each
action in ``run_task_rules.check_task_definition_active``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from moto.core.responses import ActionResult
from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

from ecs_pipelines.local import run_task_rules as rules
from ecs_pipelines.local.moto_bridge.state import rejections_as_ecs_errors

ACTIVE = "ACTIVE"
_REVISION = re.compile(r"[0-9]+")

Respond = Callable[[EC2ContainerServiceResponse], ActionResult]


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


def usable(backend: EC2ContainerServiceBackend, reference: str, action: str) -> TaskDefinition:
    """The revision ``reference`` names, refused with the error ECS answers ``action`` (an ECS
    action name such as ``"RunTask"``) when it is INACTIVE."""
    task_definition = resolve(backend, reference)
    with rejections_as_ecs_errors():
        rules.check_task_definition_active(action, task_definition.status)
    return task_definition


def refusing_inactive(action: str, respond: Respond) -> Respond:
    """``respond`` (the response method of a service action that may name a task definition:
    CreateService, UpdateService, CreateTaskSet), refusing an INACTIVE revision before it runs.

    The refusal comes before moto acts, so a refused call creates and changes nothing: moto's
    UpdateService sets the new values (desired count ...) before it looks the task definition
    up. What the call names must exist first, as moto checks it: the cluster, then the service
    an UpdateService or CreateTaskSet is for; only then the task definition.
    """

    def checked(self: EC2ContainerServiceResponse) -> ActionResult:
        reference = self._get_param("taskDefinition")
        if reference:
            backend = self.ecs_backend
            cluster = backend._get_cluster(self._get_param("cluster") or "default")
            service = self._get_param("service")
            if service:
                backend._get_service(cluster.name, str(service).rsplit("/", 1)[-1])
            usable(backend, str(reference), action)
        return respond(self)

    return checked
