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

RegisterTaskDefinition is held to ECS's rules before moto registers anything
(``refusing_invalid``, the rules in ``registration_rules``), whether the request comes through
the API or from a CloudFormation stack: both reach moto's backend ``register_task_definition``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import pascal_to_camelcase, remap_nested_keys
from moto.ecs.exceptions import ECSException, TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

from ecs_pipelines.local.moto_bridge.state import rejections_as_ecs_errors
from ecs_pipelines.local.rules import check_task_definition_active, registration_error, task_size

ACTIVE = "ACTIVE"
_REVISION = re.compile(r"[0-9]+")

Respond = Callable[[EC2ContainerServiceResponse], ActionResult]
Register = Callable[..., TaskDefinition]


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
        check_task_definition_active(action, task_definition.status)
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


def refusing_invalid(register: Register) -> Register:
    """``register`` (moto's backend ``register_task_definition``), refusing what ECS refuses
    before it registers anything, and registering task sizes as ECS converts them.

    moto's own checks of the container definitions (a name, an image, some memory) answer
    first, as they did; then ``registration_rules``. A CloudFormation stack passes its
    container definitions with CloudFormation's PascalCase keys when it updates a task
    definition; the rules read them in camelCase.
    """

    def checked(
        self: EC2ContainerServiceBackend,
        family: str,
        container_definitions: list[dict[str, Any]],
        **options: Any,
    ) -> TaskDefinition:
        EC2ContainerServiceBackend._validate_container_defs(
            options.get("memory"), container_definitions, options.get("requires_compatibilities")
        )
        request = {
            "family": family,
            "containerDefinitions": remap_nested_keys(container_definitions, pascal_to_camelcase),
            "requiresCompatibilities": options.get("requires_compatibilities"),
            "networkMode": options.get("network_mode"),
            "cpu": options.get("cpu"),
            "memory": options.get("memory"),
            "executionRoleArn": options.get("execution_role_arn"),
        }
        error = registration_error(request)
        if error is not None:
            raise ECSException(error.code, error.message)
        for field in ("cpu", "memory"):
            size = task_size(field, options.get(field))
            if size is not None:
                options[field] = str(size)
        return register(self, family, container_definitions, **options)

    return checked
