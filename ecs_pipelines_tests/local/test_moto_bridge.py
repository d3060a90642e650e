"""Guards the moto internals that the ``ecs_pipelines/local/moto_bridge`` package relies on.

When a moto upgrade renames or removes one of them, the failure here names it, instead of the
embedded ECS breaking somewhere inside a task.
"""

from __future__ import annotations

import importlib
from typing import Any

import moto
import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_REGION
from ecs_pipelines.ecs.common import task_id
from ecs_pipelines.local import LocalEcs
from ecs_pipelines.local.moto_bridge import shipped_attribute
from ecs_pipelines_tests.local.local_ecs_tools import run_task, wait_for_log, wait_for_status

BRIDGE = "ecs_pipelines/local/moto_bridge/"

# (module, name) pairs the bridge imports.
IMPORTED = [
    ("moto.core.base_backend", "BackendDict"),
    ("moto.core.models", "DEFAULT_ACCOUNT_ID"),
    ("moto.core.responses", "ActionResult"),
    ("moto.core.responses", "BaseResponse"),
    ("moto.core.utils", "pascal_to_camelcase"),
    ("moto.core.utils", "remap_nested_keys"),
    ("moto.ec2.models", "ec2_backends"),
    ("moto.ec2.exceptions", "InvalidSubnetIdError"),
    ("moto.ecs.exceptions", "ECSException"),
    ("moto.ecs.exceptions", "InvalidParameterException"),
    ("moto.ecs.exceptions", "TaskDefinitionNotFoundException"),
    ("moto.ecs.models", "EC2ContainerServiceBackend"),
    ("moto.sts.models", "STSBackend"),
    ("moto.sts.models", "AssumedRole"),
    ("moto.sts.exceptions", "STSValidationError"),
    ("moto.ecs.models", "Cluster"),
    ("moto.ecs.models", "Task"),
    ("moto.ecs.models", "TaskDefinition"),
    ("moto.core.model_instances", "reset_model_data"),
    ("moto.ecs.models", "ecs_backends"),
    ("moto.ecs.responses", "DESCRIBE_TASKS_TAGS"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse"),
    ("moto.logs.exceptions", "InvalidParameterException"),
    ("moto.logs.models", "LogEvent"),
    ("moto.logs.models", "LogStream"),
    ("moto.logs.models", "logs_backends"),
    ("moto.logs.responses", "LogsResponse"),
    ("moto.moto_server.werkzeug_app", "DomainDispatcherApplication"),
    ("moto.moto_server.werkzeug_app", "MotoRequestHandler"),
    ("moto.moto_server.werkzeug_app", "create_backend_app"),
]

# (module, class, attribute) the bridge calls, patches or wraps.
CLASS_ATTRIBUTES = [
    ("moto.core.base_backend", "BackendDict", "reset"),
    ("moto.core.responses", "BaseResponse", "_dispatch"),
    ("moto.core.responses", "BaseResponse", "get_region_from_url"),
    ("moto.core.responses", "BaseResponse", "call_action"),
    ("moto.core.responses", "BaseResponse", "_get_param"),
    ("moto.core.responses", "BaseResponse", "_include_in_response"),
    ("moto.core.responses", "BaseResponse", "_exclude_from_response"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "ecs_backend"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "run_task"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "describe_tasks"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_tasks"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_task_definitions"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_task_definition_families"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "stop_task"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "start_task"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "create_task_set"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "create_service"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "update_service"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "start_task"),
    ("moto.sts.models", "STSBackend", "assume_role"),
    ("moto.sts.models", "AssumedRole", "arn"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "describe_task_sets"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "update_cluster_resources"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "_get_cluster"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "_get_service"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "_calculate_task_resource_requirements"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "run_task"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "describe_task_definition"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "register_task_definition"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "_validate_container_defs"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "update_container_instance_resources"),
    ("moto.ecs.models", "Task", "task_arn"),
    ("moto.ecs.models", "Task", "last_status"),
    ("moto.logs.models", "LogsBackend", "create_log_group"),
    ("moto.logs.models", "LogsBackend", "ensure_log_stream"),
    ("moto.logs.models", "LogsBackend", "put_log_events"),
    ("moto.logs.models", "LogStream", "get_log_events"),
    ("moto.logs.models", "LogEvent", "to_response_dict"),
    ("moto.logs.models", "LogEvent", "instances_tracked"),
    ("moto.moto_server.werkzeug_app", "MotoRequestHandler", "log_request"),
]

# Attributes set in moto's constructors, checked on live objects of a running embedded ECS.
INSTANCE_ATTRIBUTES = {
    "EC2ContainerServiceBackend": [
        "account_id",
        "region_name",
        "clusters",
        "container_instances",
        "tasks",
        "task_definitions",
    ],
    "Cluster": ["arn", "name", "running_tasks_count", "default_capacity_provider_strategy"],
    "TaskDefinition": [
        "arn",
        "family",
        "revision",
        "container_definitions",
        "network_mode",
        "cpu",
        "memory",
        "tags",
        "status",
    ],
    "Task": [
        "attachments",
        "container_instance_arn",
        "desired_status",
        "launch_type",
        "platform_version",
        "resource_requirements",
        "started_by",
        "task_definition_arn",
        "_transitions",
    ],
    "ContainerInstance": ["container_instance_arn", "registered_resources", "remaining_resources"],
    "LogsBackend": ["groups"],
    "AccountSpecificBackend": ["regions"],
    "LogGroup": ["name", "streams"],
    "LogStream": ["log_group", "log_stream_name", "events", "stored_bytes"],
    "LogEvent": ["timestamp", "message", "event_id"],
}


def _missing(what: str) -> str:
    return f"moto {moto.__version__} no longer has {what}, which {BRIDGE} relies on"


@pytest.mark.parametrize(("module", "name"), IMPORTED, ids=[f"{m}.{n}" for m, n in IMPORTED])
def test_imported_names_exist(module: str, name: str) -> None:
    """Every moto name the bridge imports still exists."""
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(_missing(f"module {module} ({exc})"))
    assert hasattr(found, name), _missing(f"{module}.{name}")


@pytest.mark.parametrize(
    ("module", "cls", "attribute"),
    CLASS_ATTRIBUTES,
    ids=[f"{c}.{a}" for _, c, a in CLASS_ATTRIBUTES],
)
def test_class_attributes_exist(module: str, cls: str, attribute: str) -> None:
    """Every method or property the bridge calls or replaces still exists on its moto class."""
    owner = getattr(importlib.import_module(module), cls, None)
    assert owner is not None, _missing(f"{module}.{cls}")
    # Look past the bridge's own replacements, which are installed while an embedded ECS runs.
    found = any(shipped_attribute(k, attribute) is not None for k in owner.__mro__)
    assert found, _missing(f"{module}.{cls}.{attribute}")


def test_instance_attributes_exist(local_ecs: LocalEcs, ecs_client: Any, logs_client: Any) -> None:
    """Every attribute the bridge reads or writes on moto's model objects is still set by moto."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends
    from moto.logs.models import logs_backends

    task = run_task(ecs_client, command=["python", "-c", "print('bridge')"], launchType="EC2")
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    wait_for_log(logs_client, task["taskArn"], "bridge")
    backend = ecs_backends[DEFAULT_ACCOUNT_ID][DEMO_REGION]
    cluster = backend.clusters[DEMO_CLUSTER]
    objects: dict[str, Any] = {
        "EC2ContainerServiceBackend": backend,
        "Cluster": cluster,
        "TaskDefinition": backend.describe_task_definition("ecs-pipelines-python"),
        "Task": backend.tasks[DEMO_CLUSTER][task["taskArn"]],
        "ContainerInstance": next(iter(backend.container_instances[DEMO_CLUSTER].values())),
        "LogsBackend": logs_backends[DEFAULT_ACCOUNT_ID][DEMO_REGION],
        "AccountSpecificBackend": ecs_backends[DEFAULT_ACCOUNT_ID],
    }
    objects["LogGroup"] = objects["LogsBackend"].groups["/ecs/ecs-pipelines"]
    objects["LogStream"] = objects["LogGroup"].streams[f"ecs/main/{task_id(task['taskArn'])}"]
    objects["LogEvent"] = objects["LogStream"].events[0]
    for cls, attributes in INSTANCE_ATTRIBUTES.items():
        for attribute in attributes:
            assert hasattr(objects[cls], attribute), _missing(f"{cls}().{attribute}")


def test_container_instance_resources_keep_their_shape(local_ecs: LocalEcs) -> None:
    """The fake container instance's resources are still a list of {name, integerValue} dicts."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends

    instances = ecs_backends[DEFAULT_ACCOUNT_ID][DEMO_REGION].container_instances[DEMO_CLUSTER]
    resources = next(iter(instances.values())).remaining_resources
    names = {r.get("name"): r for r in resources}
    for name in ("CPU", "MEMORY"):
        assert name in names, _missing(f"a {name} entry in ContainerInstance.remaining_resources")
        assert "integerValue" in names[name], _missing("ContainerInstance resource integerValue")
