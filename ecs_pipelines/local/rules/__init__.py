"""What ECS accepts and answers, as pure rules: RegisterTaskDefinition's and RunTask's checks,
request bodies against botocore's model, secrets references, listings' pages, the task metadata
responses, the retention of task output, the fault plan and the cap on running tasks.

The names other packages use, loaded on first use: importing the package loads none of its
modules (the HTTP surface and the runtime bring in moto).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecs_pipelines.local.rules.fault_decider import (
        RATE_EXCEEDED,
        SPOT_INTERRUPTION,
        SPOT_STOPPED_REASON,
        FaultDecider,
    )
    from ecs_pipelines.local.rules.fault_plan import (
        NO_FAULTS,
        FaultPlan,
        FaultPlanError,
        LaunchTarget,
        parse_fault_plan,
    )
    from ecs_pipelines.local.rules.listing_pages import INVALID_PARAMETER, descending, page_of
    from ecs_pipelines.local.rules.log_retention import (
        DEFAULT_STREAM_BYTES,
        DEFAULT_TOTAL_BYTES,
        MIB,
        Age,
        Drop,
        LogLimits,
        StreamHold,
        event_bytes,
        events_bytes,
        head_to_drop,
        oldest_to_drop,
    )
    from ecs_pipelines.local.rules.log_tokens import events_skipped, make_token, parse_token
    from ecs_pipelines.local.rules.registration_rules import registration_error, task_size
    from ecs_pipelines.local.rules.run_task_rules import (
        check_count,
        check_launch_type,
        check_launch_type_or_strategy,
        check_override_names,
        check_overrides_size,
        check_propagate_tags,
        check_task_definition_active,
    )
    from ecs_pipelines.local.rules.secret_refs import (
        SECRETS_MANAGER,
        SecretRef,
        SecretUnavailable,
        json_value,
        not_found,
        parse_value_from,
    )
    from ecs_pipelines.local.rules.task_cap import (
        check_max_running_tasks,
        default_max_running_tasks,
        no_capacity_failures,
        over_cap,
    )
    from ecs_pipelines.local.rules.wire_check import Rejection, check_body, operation_for

_MODULES = {
    "RATE_EXCEEDED": "fault_decider",
    "SPOT_INTERRUPTION": "fault_decider",
    "SPOT_STOPPED_REASON": "fault_decider",
    "FaultDecider": "fault_decider",
    "NO_FAULTS": "fault_plan",
    "FaultPlan": "fault_plan",
    "FaultPlanError": "fault_plan",
    "LaunchTarget": "fault_plan",
    "parse_fault_plan": "fault_plan",
    "check_max_running_tasks": "task_cap",
    "default_max_running_tasks": "task_cap",
    "no_capacity_failures": "task_cap",
    "over_cap": "task_cap",
    "Age": "log_retention",
    "check_body": "wire_check",
    "check_count": "run_task_rules",
    "check_launch_type": "run_task_rules",
    "check_launch_type_or_strategy": "run_task_rules",
    "check_override_names": "run_task_rules",
    "check_overrides_size": "run_task_rules",
    "check_propagate_tags": "run_task_rules",
    "check_task_definition_active": "run_task_rules",
    "DEFAULT_STREAM_BYTES": "log_retention",
    "DEFAULT_TOTAL_BYTES": "log_retention",
    "descending": "listing_pages",
    "Drop": "log_retention",
    "event_bytes": "log_retention",
    "events_bytes": "log_retention",
    "events_skipped": "log_tokens",
    "head_to_drop": "log_retention",
    "INVALID_PARAMETER": "listing_pages",
    "json_value": "secret_refs",
    "LogLimits": "log_retention",
    "make_token": "log_tokens",
    "MIB": "log_retention",
    "not_found": "secret_refs",
    "oldest_to_drop": "log_retention",
    "operation_for": "wire_check",
    "page_of": "listing_pages",
    "parse_token": "log_tokens",
    "parse_value_from": "secret_refs",
    "registration_error": "registration_rules",
    "Rejection": "wire_check",
    "SecretRef": "secret_refs",
    "SECRETS_MANAGER": "secret_refs",
    "SecretUnavailable": "secret_refs",
    "StreamHold": "log_retention",
    "task_size": "registration_rules",
}
__all__ = [
    "DEFAULT_STREAM_BYTES",
    "DEFAULT_TOTAL_BYTES",
    "INVALID_PARAMETER",
    "MIB",
    "NO_FAULTS",
    "RATE_EXCEEDED",
    "SECRETS_MANAGER",
    "SPOT_INTERRUPTION",
    "SPOT_STOPPED_REASON",
    "Age",
    "Drop",
    "FaultDecider",
    "FaultPlan",
    "FaultPlanError",
    "LaunchTarget",
    "LogLimits",
    "Rejection",
    "SecretRef",
    "SecretUnavailable",
    "StreamHold",
    "check_body",
    "check_count",
    "check_launch_type",
    "check_launch_type_or_strategy",
    "check_max_running_tasks",
    "check_override_names",
    "check_overrides_size",
    "check_propagate_tags",
    "check_task_definition_active",
    "default_max_running_tasks",
    "descending",
    "event_bytes",
    "events_bytes",
    "events_skipped",
    "head_to_drop",
    "json_value",
    "make_token",
    "no_capacity_failures",
    "not_found",
    "oldest_to_drop",
    "operation_for",
    "over_cap",
    "page_of",
    "parse_fault_plan",
    "parse_token",
    "parse_value_from",
    "registration_error",
    "task_size",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
