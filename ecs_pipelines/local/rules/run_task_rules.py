"""RunTask's parameter rules that ECS enforces, one validator per rule. No moto here.

Each raises ``RequestRejected`` with the error ECS answers; the bridge calls them before it
creates any task, so a refused RunTask starts nothing. One rule is shared by every action that
takes a task definition (``check_task_definition_active``): the bridge applies it to RunTask,
StartTask, CreateService, UpdateService and CreateTaskSet before they create or change anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ecs_pipelines.local.contract import RequestRejected

INVALID_PARAMETER = "InvalidParameterException"
CLIENT_ERROR = "ClientException"
# "A total of 8192 characters are allowed for overrides. This limit includes the JSON
# formatting characters of the override structure." (ECS API reference, RunTask overrides)
MAX_OVERRIDES_CHARACTERS = 8192


def check_count(count: Any) -> int:
    """RunTask launches 1 to 10 tasks (ECS API reference, RunTask ``count``)."""
    value = 1 if count is None else int(count)
    if not 1 <= value <= 10:
        raise RequestRejected(INVALID_PARAMETER, "Count must be between 1 and 10.")
    return value


def check_propagate_tags(propagate_tags: str | None) -> None:
    """SERVICE is a PropagateTags value for services only (ECS API reference, RunTask)."""
    if propagate_tags == "SERVICE":
        raise RequestRejected(
            INVALID_PARAMETER, "The propagateTags value SERVICE is not valid for RunTask."
        )


def check_overrides_size(overrides: Mapping[str, Any] | None) -> None:
    """Overrides fit in 8192 characters of JSON, as ECS serialises them (compact, UTF-8)."""
    if not overrides:
        return
    text = json.dumps(overrides, separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_OVERRIDES_CHARACTERS:
        # The wording ECS answers with (HTTP 400 InvalidParameterException).
        raise RequestRejected(
            INVALID_PARAMETER,
            f"Container Overrides length must be at most {MAX_OVERRIDES_CHARACTERS}",
        )


# The error ECS answers (HTTP 400, "TaskDefinition is inactive") to each action that names an
# INACTIVE revision. The service model lists both codes for all five actions; public traces tell
# which one is answered:
# - RunTask: InvalidParameterException (AWS SDK for Go v2 and Step Functions traces, e.g.
#   "operation error ECS: RunTask, https response error StatusCode: 400, ...,
#   InvalidParameterException: TaskDefinition is inactive", DefangLabs/defang PR #775).
#   StartTask, the other call that starts tasks directly, is taken to answer as RunTask does.
# - UpdateService: ClientException (AWS CLI traces of rollbacks to a deregistered revision: "An
#   error occurred (ClientException) when calling the UpdateService operation: TaskDefinition is
#   inactive"; Cloud-CV/EvalAI PR #5167 retries on it, its test fixture with that code).
# - CreateService, CreateTaskSet: no public trace found; taken to answer as UpdateService, the
#   other service-scheduler action, does.
INACTIVE_REVISION_ERRORS = {
    "RunTask": INVALID_PARAMETER,
    "StartTask": INVALID_PARAMETER,
    "CreateService": CLIENT_ERROR,
    "UpdateService": CLIENT_ERROR,
    "CreateTaskSet": CLIENT_ERROR,
}


def check_task_definition_active(action: str, status: str) -> None:
    """ "You can't use an INACTIVE task definition to run new tasks or create new services, and
    you can't update an existing service to reference an INACTIVE task definition" (botocore's
    ECS service model, DeregisterTaskDefinition); tasks and services already on it keep running.
    ``action`` is the ECS action asked (a key of ``INACTIVE_REVISION_ERRORS``)."""
    if status != "ACTIVE":
        raise RequestRejected(INACTIVE_REVISION_ERRORS[action], "TaskDefinition is inactive")


def check_override_names(
    overrides: Mapping[str, Any] | None, container_names: Iterable[str]
) -> None:
    """Every containerOverrides entry names a container of the task definition."""
    known = set(container_names)
    for override in (overrides or {}).get("containerOverrides") or []:
        name = override.get("name")
        if name is not None and name not in known:
            raise RequestRejected(
                INVALID_PARAMETER,
                f"Override for container named {name} is not a container in the TaskDefinition.",
            )


# The launch types moto's placement knows (the service model's LaunchType enum also has
# MANAGED_INSTANCES, which the embedded ECS does not place); the message is the one moto answered.
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL")


def check_launch_type(launch_type: str | None) -> None:
    """An unknown launchType is refused before anything is looked up: ECS checks the request's
    own values first, so an invalid launch type on an unknown cluster is this error, not
    ClusterNotFoundException."""
    if launch_type and launch_type not in LAUNCH_TYPES:
        raise RequestRejected(
            INVALID_PARAMETER, f"launch type should be one of [{','.join(LAUNCH_TYPES)}]"
        )


def check_launch_type_or_strategy(launch_type: str | None, strategy: list[Any] | None) -> None:
    """ "If a capacityProviderStrategy is specified, the launchType parameter must be omitted"
    (ECS API reference, RunTask ``capacityProviderStrategy``)."""
    if launch_type and strategy:
        raise RequestRejected(
            INVALID_PARAMETER,
            "Specify either Launch Type or Capacity Provider Strategy, but not both.",
        )
