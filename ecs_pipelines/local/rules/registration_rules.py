"""RegisterTaskDefinition's rules that ECS enforces and moto does not, one validator per rule.
No moto here.

``registration_error(request)`` decides a RegisterTaskDefinition request (its JSON fields,
camelCase) and answers the error ECS answers, a ``RequestRejected``, or None when ECS would
register it. The bridge asks before moto registers anything, so a refused request leaves no
revision behind. Every refusal is HTTP 400 ``ClientException`` with ECS's own message, each
message quoted from public traces of ECS answering it (cited next to each rule); a rule whose
wording could not be found is left out rather than given words ECS may not use.

Task sizes may be written in CPU units and MiB ("1024", "2048") or in vCPU and GB ("1 vCPU",
"2 GB"); ECS converts them at registration ("String values are converted to an integer
indicating the CPU units when the task definition is registered", RegisterTaskDefinition
``cpu``; the same for ``memory`` in MiB), and so does ``task_size``, which the bridge uses to
register the converted values. A size neither form reads is left for moto to store as given:
ECS's wording for it is not known here.

Which rule ECS applies first when a request breaks several is not known; they run in the order
of ``RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.task_definitions import ECR_IMAGE, FARGATE_SIZES, parse_cpu, parse_memory
from ecs_pipelines.local.contract import RequestRejected

CLIENT_ERROR = "ClientException"
FARGATE = "FARGATE"
AWSVPC = "awsvpc"

Request = Mapping[str, Any]
Rule = Callable[[Request], str | None]


def task_size(field: str, value: object) -> int | None:
    """Task ``cpu`` (CPU units) or ``memory`` (MiB) as ECS registers it, from "1024", 1024,
    "1 vCPU", ".25 vCPU" or "2 GB" (the ECS core's readings); None when absent or in a form
    they do not know."""
    if value is None or value == "":
        return None
    parse = parse_cpu if field == "cpu" else parse_memory
    try:
        return parse(field, value)
    except EcsSpecError:
        return None


def registration_error(request: Request) -> RequestRejected | None:
    """The error ECS answers RegisterTaskDefinition ``request`` with, or None."""
    for rule in RULES:
        message = rule(request)
        if message is not None:
            return RequestRejected(CLIENT_ERROR, message)
    return None


# --- Fargate ----------------------------------------------------------------------------------


def _fargate(request: Request) -> bool:
    """Held to Fargate's rules: FARGATE among requiresCompatibilities, even beside EC2 ("For
    task definitions that specify FARGATE for the requiresCompatibilities parameter (even if
    EC2 is also specified)", ECS developer guide, "Troubleshoot Amazon ECS task definition
    invalid CPU or memory errors")."""
    return FARGATE in (request.get("requiresCompatibilities") or [])


def fargate_network_mode(request: Request) -> str | None:
    """Fargate tasks use awsvpc ("For Amazon ECS tasks on Fargate, the awsvpc network mode is
    required", RegisterTaskDefinition ``networkMode``). A definition that names none has
    ECS's default, bridge ("If no network mode is specified, the default is bridge"), and is
    refused too (moto would have set awsvpc on it)."""
    if not _fargate(request) or request.get("networkMode") == AWSVPC:
        return None
    # "ClientException: Fargate only supports network mode 'awsvpc'.", awsvpc between
    # typographic single quotes (U+2018, U+2019) as ECS writes them (ecs-cli output in
    # aws/amazon-ecs-cli issue #1145; the same in awslabs/ecs-nginx-reverse-proxy issue #1).
    return "Fargate only supports network mode \u2018awsvpc\u2019."


def fargate_task_cpu(request: Request) -> str | None:
    """Fargate needs a task-level cpu ("This field is required for Fargate",
    RegisterTaskDefinition ``cpu``)."""
    if not _fargate(request) or request.get("cpu") not in (None, ""):
        return None
    # "ClientException: Fargate requires that 'cpu' be defined at the task level."
    # (mongodb/terraform-aws-ecs-task-definition issue #38; hackoregon/civic-devops issue #246,
    # a CloudFormation stack with cpu and memory on the container only).
    return "Fargate requires that 'cpu' be defined at the task level."


def fargate_task_memory(request: Request) -> str | None:
    """Fargate needs a task-level memory, whatever its containers are given ("If using the
    Fargate launch type, this field is required", RegisterTaskDefinition ``memory``)."""
    if not _fargate(request) or request.get("memory") not in (None, ""):
        return None
    # "ClientException: Fargate requires that 'memory' be defined at the task level."
    # (aws/amazon-ecs-cli issue #982).
    return "Fargate requires that 'memory' be defined at the task level."


def fargate_size(request: Request) -> str | None:
    """The cpu and memory pair is one Fargate offers (``FARGATE_SIZES``, the ECS developer
    guide's table of task sizes)."""
    if not _fargate(request):
        return None
    cpu, memory = task_size("cpu", request.get("cpu")), task_size("memory", request.get("memory"))
    if cpu is None or memory is None or memory in FARGATE_SIZES.get(cpu, ()):
        return None
    # "ClientException: No Fargate configuration exists for given values: 1024 CPU, 1024
    # memory. See the Amazon ECS documentation for the valid values." (RegisterTaskDefinition,
    # aws-games/cloud-game-development-toolkit issue #737; the same through CloudFormation for
    # 512 CPU, 512 memory, towardsthecloud/aws-cdk-examples issue #1). The values are given in
    # CPU units and MiB, as ECS has converted them by then.
    return (
        f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
        "See the Amazon ECS documentation for the valid values."
    )


def fargate_execution_role(request: Request) -> str | None:
    """On Fargate, ECS writes awslogs and pulls ECR images with the task execution role, so a
    definition that needs it for either must name one."""
    if not _fargate(request) or request.get("executionRoleArn"):
        return None
    containers = list(_containers(request))
    if any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers):
        # "ClientException: Fargate requires task definition to have execution role ARN to
        # support log driver awslogs." (virtual-kubelet/virtual-kubelet issue #193).
        return (
            "Fargate requires task definition to have execution role ARN to support log driver "
            "awslogs."
        )
    if any(ECR_IMAGE.match(str(c.get("image") or "")) for c in containers):
        # "ClientException: Fargate requires task definition to have execution role ARN to
        # support ECR images." (hashicorp/terraform-provider-aws issue #3051;
        # jenkinsci/amazon-ecs-plugin PR #53).
        return "Fargate requires task definition to have execution role ARN to support ECR images."
    return None


# --- containers within the task ---------------------------------------------------------------


def container_memory_within_task(request: Request) -> str | None:
    """No container's memory (its hard limit) exceeds the task's memory, when the task has one
    ("The total amount of memory reserved for all containers within a task must be lower than
    the task memory value, if one is specified", ContainerDefinition ``memory``)."""
    task_memory = task_size("memory", request.get("memory"))
    if task_memory is None:
        return None
    for container in _containers(request):
        memory = _whole_number(container.get("memory"))
        if memory is not None and memory > task_memory:
            # "ClientException: The 'memory' setting for container 'worker' is greater than
            # for the task." (pulumi/pulumi-awsx issues #1220 and #188).
            return (
                f"The 'memory' setting for container '{container.get('name')}' is greater "
                "than for the task."
            )
    return None


def container_cpu_within_task(request: Request) -> str | None:
    """The containers' cpu adds up to no more than the task's cpu, when the task has one ("the
    total amount of CPU reserved for all containers within a task be lower than the task-level
    cpu value", ContainerDefinition ``cpu``); equal is accepted, as the message says."""
    task_cpu = task_size("cpu", request.get("cpu"))
    if task_cpu is None:
        return None
    total = sum(_whole_number(c.get("cpu")) or 0 for c in _containers(request))
    if total <= task_cpu:
        return None
    # "ClientException: The sum of all container 'cpu' values cannot be greater than the value
    # of the task 'cpu'." (RegisterTaskDefinition, cloudnativedaysjp/dreamkast-infra PR #4726;
    # through CloudFormation, aws/aws-cdk issues #24629 and #1553).
    return (
        "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."
    )


RULES: tuple[Rule, ...] = (
    fargate_network_mode,
    fargate_task_cpu,
    fargate_task_memory,
    fargate_size,
    container_memory_within_task,
    container_cpu_within_task,
    fargate_execution_role,
)


def _containers(request: Request) -> Iterator[Mapping[str, Any]]:
    return (c for c in request.get("containerDefinitions") or [] if isinstance(c, Mapping))


def _whole_number(value: object) -> int | None:
    """A container's cpu or memory: an integer, or (through CloudFormation) a string of one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
