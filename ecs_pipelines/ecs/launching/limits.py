"""ECS RunTask's limits: its constants, and the rules that tie one option to another.

Every rule here is a limit ECS (or botocore's ECS model) documents; none is a house rule, so a
launch that passes can still be refused by ECS for account-specific reasons, but one that fails
would certainly have been refused. Sources: the RunTask API reference and the ECS developer
guide (task groups, tagging, capacity providers, Fargate ephemeral storage).

The rules of one option alone are its check in the declaration (``options.py``, from the
field checks of ``field_checks.py`` and ``ecs.common.validation``); what is here needs two
options or more. Values are echoed only when they cannot be secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from ecs_pipelines.ecs.common import MAX_TAG_VALUE, MAX_TAGS, EcsSpecError

__all__ = ["MAX_TAGS", "MAX_TAG_VALUE"]

MAX_COUNT = 10
MAX_NAME = 255  # cluster names and task group names
# botocore's ECS model states "a maximum of 20 capacity providers"; there is no separate,
# smaller per-call limit for FARGATE / FARGATE_SPOT.
MAX_STRATEGY_ITEMS = 20
MAX_WEIGHT = 1000
MAX_BASE = 100_000
MAX_SUBNETS = 16
MAX_SECURITY_GROUPS = 5
MAX_PLACEMENT_CONSTRAINTS = 10
MAX_PLACEMENT_STRATEGY = 5
MAX_CONSTRAINT_EXPRESSION = 2000
MAX_CLIENT_TOKEN = 64
MAX_REFERENCE_ID = 1024
# How long a launch waits out refusals that pass (``launcher.py``): several minutes by default,
# as Fargate capacity and EC2 scale-out take minutes to come back; at most a day.
DEFAULT_CAPACITY_RETRY_SECONDS = 300.0
MAX_RETRY_BUDGET_SECONDS = 86_400
# "A total of 8192 characters are allowed for overrides. This limit includes the JSON
# formatting characters" (RunTask reference). Environment values count, so large configs
# passed through the environment hit this first.
MAX_OVERRIDES_JSON = 8192

# MANAGED_INSTANCES is in botocore's enum even though ECS steers it through capacity providers;
# rejecting it here would refuse input that botocore itself accepts.
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES")
PROPAGATE_TAGS = ("TASK_DEFINITION", "NONE")
STRATEGY_KEYS = frozenset({"capacityProvider", "weight", "base"})
CONSTRAINT_TYPES = ("distinctInstance", "memberOf")
STRATEGY_TYPES = ("random", "spread", "binpack")


def check_one_task_definition(task_definition: object, task_definition_spec: object) -> None:
    """A launch names a registered task definition or describes one in code, not both."""
    if task_definition is not None and task_definition_spec is not None:
        raise EcsSpecError(
            "task_definition",
            "give task_definition or task_definition_spec, not both (to change a "
            "registered one: TaskDefinitionSpec(base=...))",
        )


def check_capacity(
    launch_type: str | None, strategy: Sequence[object] | None, platform_version: str | None
) -> None:
    """Launch type XOR capacity provider strategy; a platform version only for Fargate."""
    if launch_type is not None and strategy:
        raise EcsSpecError(
            "launch_type", "cannot be combined with capacity_provider_strategy; set one"
        )
    # ECS: "The platform version must be null when specifying an EC2 launch type." Without a
    # launch type the cluster's strategy may well be Fargate, so it is allowed.
    if platform_version is not None and launch_type not in (None, "FARGATE"):
        raise EcsSpecError(
            "platform_version", f"applies only to Fargate, not launch_type {launch_type}"
        )


def check_network(
    subnets: Sequence[str] | None,
    security_groups: Sequence[str] | None,
    assign_public_ip: bool | None,
) -> None:
    """awsvpcConfiguration requires subnets; security groups or a public IP alone would be
    dropped silently, so they are refused."""
    if subnets:
        return
    if security_groups:
        raise EcsSpecError("security_groups", "need subnets (awsvpc configuration)")
    if assign_public_ip is not None:
        raise EcsSpecError("assign_public_ip", "needs subnets (awsvpc configuration)")


def check_placement(
    launch_type: str | None,
    constraints: Sequence[object] | None,
    strategy: Sequence[object] | None,
) -> None:
    """Task placement applies to EC2 (and external) capacity, never to Fargate."""
    for field, items in (("placement_constraints", constraints), ("placement_strategy", strategy)):
        if items and launch_type == "FARGATE":
            raise EcsSpecError(field, "is not supported with launch_type FARGATE")


def check_container_sizes(where: str, memory: object, reservation: object) -> None:
    """A container's soft memory limit is at most its hard limit."""
    if isinstance(memory, int) and isinstance(reservation, int) and reservation > memory:
        raise EcsSpecError(
            f"{where}.memory_reservation",
            f"must be <= memory ({memory} MiB), got {reservation} MiB",
        )


def check_overrides_size(overrides: Mapping[str, object]) -> None:
    """Checks the 8192-character limit on the JSON of ``overrides`` (without echoing it)."""
    # Compact separators give the smallest encoding, so this never refuses what ECS accepts.
    size = len(json.dumps(overrides, separators=(",", ":"), ensure_ascii=False))
    if size > MAX_OVERRIDES_JSON:
        raise EcsSpecError(
            "container_overrides",
            f"overrides must be at most {MAX_OVERRIDES_JSON} characters of JSON, got {size} "
            "(large values belong in S3 or a secret, not the environment)",
        )
