"""Task definitions described in code: the spec, its checks, the RegisterTaskDefinition request it
makes, content equality, and register-once-reuse-always.
"""

from ecs_pipelines.ecs.task_definitions.checks import (
    ECR_IMAGE,
    FARGATE_SIZES,
    check_image,
    check_log_group,
    parse_cpu,
    parse_memory,
)
from ecs_pipelines.ecs.task_definitions.registry import (
    ResolvedTaskDefinition,
    TaskDefinitionRegistry,
    process_cache,
)
from ecs_pipelines.ecs.task_definitions.request import check_spec
from ecs_pipelines.ecs.task_definitions.spec import (
    DEFAULT_FAMILY_PREFIX,
    TaskDefinitionDefaults,
    TaskDefinitionSpec,
    derive_family,
    with_family,
)

__all__ = [
    "DEFAULT_FAMILY_PREFIX",
    "ECR_IMAGE",
    "FARGATE_SIZES",
    "ResolvedTaskDefinition",
    "TaskDefinitionDefaults",
    "TaskDefinitionRegistry",
    "TaskDefinitionSpec",
    "check_image",
    "check_log_group",
    "check_spec",
    "derive_family",
    "parse_cpu",
    "parse_memory",
    "process_cache",
    "with_family",
]
