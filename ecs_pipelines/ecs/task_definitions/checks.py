"""Checks of a task definition described in code, before any AWS call. Pure.

Each rule is one ECS (or Docker, IAM, Secrets Manager, SSM) documents; a spec that fails would
have been refused by RegisterTaskDefinition or would have failed to start. Errors are
``EcsSpecError("task_definition_spec.<field>", problem)``; environment values never appear in
a message. Sources: the RegisterTaskDefinition API reference, the ECS developer guide ("Task
definition parameters for Fargate": task size; "Specifying sensitive data"; "Amazon ECS
service quotas": task definition size), Docker's image reference grammar
(distribution/reference), the IAM ARN formats.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ecs_pipelines.ecs.common import EcsSpecError, matching, non_empty_string

SPEC = "task_definition_spec"
MAX_FAMILY = 255
FAMILY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,255}")
CONTAINER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
# "Task definition size: 64 KiB" (Amazon ECS service quotas): the JSON of the request.
MAX_REQUEST_BYTES = 64 * 1024
# Image: "Up to 255 letters (uppercase and lowercase), numbers, hyphens, underscores, colons,
# periods, forward slashes, and number signs are allowed" (ContainerDefinition.image); the
# shape is Docker's reference grammar: [registry[:port]/]repository[:tag][@digest].
MAX_IMAGE = 255
_DOMAIN_PART = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_PATH_PART = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?/)?{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?::[\w][\w.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)
# Images in ECR: on Fargate, ECS pulls them with the task execution role.
ECR_IMAGE = re.compile(r"[0-9]{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/")
# Secrets: a Secrets Manager secret ARN (optionally :json-key:version-stage:version-id), an SSM
# parameter ARN, or the name of an SSM parameter in the task's region.
SECRETS_MANAGER_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[\w/+=.@-]+(?::[^:]*:[^:]*:[^:]*)?"
)
SSM_ARN = re.compile(r"arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[\w.\-/]{1,2048}")
SSM_NAME = re.compile(r"[\w.\-/]{1,2048}")
LOG_GROUP = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
LOG_DRIVERS = frozenset(
    {"awslogs", "fluentd", "gelf", "json-file", "journald", "logentries", "splunk", "syslog"}
    | {"awsfirelens"}
)
NETWORK_MODES = ("awsvpc", "bridge", "host", "none")
COMPATIBILITIES = frozenset({"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"})
CPU_ARCHITECTURES = ("X86_64", "ARM64")
OS_FAMILIES = (
    "LINUX",
    "WINDOWS_SERVER_2019_FULL",
    "WINDOWS_SERVER_2019_CORE",
    "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2022_CORE",
    "WINDOWS_SERVER_2025_FULL",
    "WINDOWS_SERVER_2025_CORE",
    "WINDOWS_SERVER_2004_CORE",
    "WINDOWS_SERVER_20H2_CORE",
)

# Fargate's task sizes: CPU units -> the memory values (MiB) allowed with it. ECS developer
# guide, "Amazon ECS task definition parameters for Fargate", section "Task size" (table of
# valid CPU and memory combinations). Windows tasks start at 1 vCPU.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
# ".25 vCPU" is how the developer guide's task size table writes a quarter of a vCPU.
_CPU = re.compile(r"(?P<amount>\d*\.?\d+) ?(?P<unit>vcpu)?", re.IGNORECASE)
_MEMORY = re.compile(r"(?P<amount>\d*\.?\d+) ?(?P<unit>gb)?", re.IGNORECASE)


def _size(field: str, value: object, pattern: re.Pattern[str], unit: str, scale: int) -> int:
    """An integer amount, or a string "N" / "N <unit>" converted to ECS's integer units."""
    if isinstance(value, int) and not isinstance(value, bool):
        amount = float(value)
    else:
        match = pattern.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise EcsSpecError(
                field, f"must be an integer or a string like '2 {unit}', got {value!r}"
            )
        amount = float(match["amount"]) * (scale if match["unit"] else 1)
    if amount <= 0 or not amount.is_integer():
        raise EcsSpecError(field, f"must be a positive whole number of units, got {value!r}")
    return int(amount)


def parse_cpu(field: str, value: object) -> int:
    """Task CPU in units: 1024, "1024" or "1 vCPU" -> 1024; "0.25 vCPU" or ".25 vCPU" -> 256."""
    return _size(field, value, _CPU, "vCPU", 1024)


def parse_memory(field: str, value: object) -> int:
    """Task memory in MiB: 2048, "2048" or "2 GB" -> 2048."""
    return _size(field, value, _MEMORY, "GB", 1024)


def check_image(field: str, image: object) -> str:
    image = non_empty_string(field, image)
    if len(image) > MAX_IMAGE or not IMAGE_REFERENCE.fullmatch(image):
        raise EcsSpecError(
            field,
            f"must be an image reference of at most {MAX_IMAGE} characters, "
            "[registry[:port]/]repository[:tag][@sha256:digest] with a lowercase repository, "
            f"got {image!r}",
        )
    return image


def check_secret_reference(field: str, reference: object) -> None:
    if not isinstance(reference, str) or not reference:
        raise EcsSpecError(field, "must be a non-empty secret reference")
    if reference.startswith("arn:"):
        if SECRETS_MANAGER_ARN.fullmatch(reference) or SSM_ARN.fullmatch(reference):
            return
    elif SSM_NAME.fullmatch(reference):
        return
    raise EcsSpecError(
        field,
        "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:"
        "secret:<name>), an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>) "
        "or an SSM parameter name",
    )


def check_log_group(field: str, group: object) -> None:
    matching(field, group, LOG_GROUP, "a log group name (1..512 of A-Z a-z 0-9 . - _ / #)")


# --- the whole request ------------------------------------------------------------------------


def check_request(request: Mapping[str, Any], container_name: str) -> None:
    """Rules across fields, on the complete request (defaults and base included)."""
    fargate = "FARGATE" in (request.get("requiresCompatibilities") or [])
    container = next(c for c in request["containerDefinitions"] if c.get("name") == container_name)
    check_image(f"{SPEC}.image", container.get("image"))
    task_cpu = _optional(parse_cpu, f"{SPEC}.cpu", request.get("cpu"))
    task_memory = _optional(parse_memory, f"{SPEC}.memory", request.get("memory"))
    if fargate:
        _check_fargate(request, task_cpu, task_memory)
    elif task_memory is None and not (
        container.get("memory") or container.get("memoryReservation")
    ):
        raise EcsSpecError(
            f"{SPEC}.memory", "is required: set task memory or container_memory (EC2 tasks)"
        )
    _check_container_sizes(container, task_cpu, task_memory)
    _check_execution_role(request, container, fargate)
    if "ephemeralStorage" in request and not fargate:
        raise EcsSpecError(f"{SPEC}.ephemeral_storage_gib", "applies to Fargate tasks only")
    size = len(json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_REQUEST_BYTES:
        raise EcsSpecError(
            SPEC,
            f"a task definition is at most {MAX_REQUEST_BYTES // 1024} KiB of JSON, this one is "
            f"{size} bytes (large values belong in S3, SSM or Secrets Manager)",
        )


def _optional(parse: Callable[[str, object], int], field: str, value: object) -> int | None:
    return None if value in (None, "") else parse(field, value)


def _check_fargate(request: Mapping[str, Any], cpu: int | None, memory: int | None) -> None:
    if request.get("networkMode") != "awsvpc":
        raise EcsSpecError(f"{SPEC}.network_mode", "must be awsvpc on Fargate")
    if cpu is None or memory is None:
        raise EcsSpecError(f"{SPEC}.cpu", "Fargate tasks need a task cpu and memory")
    if cpu not in FARGATE_SIZES:
        raise EcsSpecError(
            f"{SPEC}.cpu",
            f"Fargate takes {', '.join(map(str, FARGATE_SIZES))} CPU units, got {cpu}",
        )
    family = (request.get("runtimePlatform") or {}).get("operatingSystemFamily", "LINUX")
    if family != "LINUX" and cpu < 1024:
        raise EcsSpecError(f"{SPEC}.cpu", f"Windows tasks on Fargate take >= 1024, got {cpu}")
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        step = allowed[1] - allowed[0]
        choices = (
            ", ".join(map(str, allowed))
            if len(allowed) <= 4
            else f"{allowed[0]}..{allowed[-1]} in steps of {step}"
        )
        raise EcsSpecError(
            f"{SPEC}.memory",
            f"Fargate with cpu {cpu} takes memory {choices} MiB, got {memory}",
        )


def _check_container_sizes(
    container: Mapping[str, Any], task_cpu: int | None, task_memory: int | None
) -> None:
    cpu, memory = container.get("cpu"), container.get("memory")
    reservation = container.get("memoryReservation")
    if task_cpu is not None and cpu is not None and cpu > task_cpu:
        raise EcsSpecError(
            f"{SPEC}.container_cpu", f"must be <= the task's cpu ({task_cpu}), got {cpu}"
        )
    for name, value in (
        ("container_memory", memory),
        ("container_memory_reservation", reservation),
    ):
        if task_memory is not None and value is not None and value > task_memory:
            raise EcsSpecError(
                f"{SPEC}.{name}", f"must be <= the task's memory ({task_memory} MiB), got {value}"
            )
    if memory is not None and reservation is not None and reservation > memory:
        raise EcsSpecError(
            f"{SPEC}.container_memory_reservation",
            f"must be <= container_memory ({memory} MiB), got {reservation}",
        )


def _check_execution_role(
    request: Mapping[str, Any], container: Mapping[str, Any], fargate: bool
) -> None:
    """ECS uses the execution role to read secrets and, on Fargate, to pull from ECR and to
    write awslogs: without it the task fails to start, after the launch."""
    if request.get("executionRoleArn"):
        return
    needs = []
    if container.get("secrets"):
        needs.append("secrets")
    if fargate and (container.get("logConfiguration") or {}).get("logDriver") == "awslogs":
        needs.append("awslogs on Fargate")
    if fargate and ECR_IMAGE.match(str(container.get("image", ""))):
        needs.append("an ECR image on Fargate")
    if needs:
        raise EcsSpecError(
            f"{SPEC}.execution_role_arn",
            f"is required for {' and '.join(needs)} (set it on the spec or the resource)",
        )
