"""Names and plumbing every part of the core shares: task ids and ARNs, ECS's words (states, stop
codes), the errors, field checks, deadlines, the one retry layer, the one poll loop, bounded
caches and the masking of secret values.
"""

from ecs_pipelines.ecs.common.arns import (
    STARTED_BY_PATTERN,
    cluster_name,
    family_and_revision,
    family_revision,
    is_revision,
    match_refs,
    short_task_id,
    started_by_value,
    tag_list,
    tags_of,
    task_id,
    task_refs,
)
from ecs_pipelines.ecs.common.bounded_map import BoundedMap
from ecs_pipelines.ecs.common.deadline import Deadline, current_deadline, install_deadline_timeouts
from ecs_pipelines.ecs.common.endpoints import is_loopback
from ecs_pipelines.ecs.common.errors import (
    EcsError,
    EcsExecError,
    EcsLaunchError,
    EcsSpecError,
    EcsTimeoutError,
)
from ecs_pipelines.ecs.common.polling import Pace, poll_until
from ecs_pipelines.ecs.common.redaction import (
    MASK,
    Redactor,
    mask_task,
    masked_task,
    secret_names_tag,
    task_secret_values,
)
from ecs_pipelines.ecs.common.retry import (
    DEFAULT_MAX_ATTEMPTS,
    THROTTLING_CODES,
    DeadlinePassed,
    Retrier,
    client_config,
    is_retryable,
)
from ecs_pipelines.ecs.common.states import MISSING, StopCode, TaskStatus
from ecs_pipelines.ecs.common.validation import (
    MAX_EPHEMERAL_GIB,
    MIN_EPHEMERAL_GIB,
    command_argv,
    environment_map,
    list_of,
    mapping,
    string_list,
)

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "MASK",
    "MAX_EPHEMERAL_GIB",
    "MIN_EPHEMERAL_GIB",
    "MISSING",
    "STARTED_BY_PATTERN",
    "THROTTLING_CODES",
    "BoundedMap",
    "Deadline",
    "DeadlinePassed",
    "EcsError",
    "EcsExecError",
    "EcsLaunchError",
    "EcsSpecError",
    "EcsTimeoutError",
    "Pace",
    "Redactor",
    "Retrier",
    "StopCode",
    "TaskStatus",
    "client_config",
    "cluster_name",
    "command_argv",
    "current_deadline",
    "environment_map",
    "family_and_revision",
    "family_revision",
    "install_deadline_timeouts",
    "is_loopback",
    "is_retryable",
    "is_revision",
    "list_of",
    "mapping",
    "mask_task",
    "masked_task",
    "match_refs",
    "poll_until",
    "secret_names_tag",
    "short_task_id",
    "started_by_value",
    "string_list",
    "tag_list",
    "tags_of",
    "task_id",
    "task_refs",
    "task_secret_values",
]
