"""The one place that touches moto's internals: backends, models, response classes.

moto answers the ECS and CloudWatch Logs wire APIs; this module hooks it so that tasks are
handed to a ``LocalController`` (which runs real processes) and so that what moto leaves out or
gets wrong for this use is filled in: RunTask's ``clientToken`` and ``enableExecuteCommand``,
DescribeTasks ``failures`` (MISSING), ListTasks filters and paging, StopTask through the
controller, ExecuteCommand, and a backend lock because moto's models are not thread safe.

Everything here names moto attributes on purpose; ``test_moto_bridge.py`` checks that each one
still exists, so a moto upgrade that renames one fails loudly there instead of deep in a task.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from botocore import xform_name
from moto.core.base_backend import BackendDict
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult, BaseResponse
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Task, ecs_backends
from moto.ecs.responses import DESCRIBE_TASKS_TAGS, EC2ContainerServiceResponse
from moto.logs.models import logs_backends
from moto.logs.responses import LogsResponse
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

from ecs_pipelines.local.contract import LocalController, NewTask, RequestRejected

# Guards moto's models: held for every ECS and Logs API call (parsing, model update and
# serialisation) and by the task runner whenever it changes a task or writes log events.
BACKEND_LOCK = threading.RLock()

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
_RUN_TASK_PARAMS = (
    "taskDefinition",
    "count",
    "overrides",
    "startedBy",
    "tags",
    "launchType",
    "networkConfiguration",
    "group",
    "platformVersion",
    "capacityProviderStrategy",
    "enableExecuteCommand",
    "propagateTags",
    "referenceId",
    "placementConstraints",
    "placementStrategy",
    "enableECSManagedTags",
)
_DEFAULT_PLATFORM_VERSION = "1.4.0"


@dataclass
class _Adopted:
    """A moto task the controller owns, with what the bridge needs to find and release it."""

    task: Task
    backend: EC2ContainerServiceBackend
    cluster_name: str
    sequence: int
    counted_running: bool = False
    released: bool = False


class _Registry:
    """Bridge state that moto does not keep: adopted tasks, client tokens, the controller."""

    def __init__(self) -> None:
        self.controller: LocalController | None = None
        self.by_arn: dict[str, _Adopted] = {}
        self.by_id: dict[str, _Adopted] = {}
        self.client_tokens: dict[tuple[str, str, str, str], tuple[str, list[str]]] = {}
        self.sequence = 0

    def clear(self) -> None:
        self.by_arn.clear()
        self.by_id.clear()
        self.client_tokens.clear()
        self.sequence = 0


_registry = _Registry()
_originals: dict[tuple[type, str], Any] = {}


# ---------------------------------------------------------------- server plumbing


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without a log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def make_moto_app() -> DomainDispatcherApplication:
    """moto's all-services WSGI app (ECS, CloudWatch Logs, EC2, ... on one endpoint)."""
    return DomainDispatcherApplication(create_backend_app)


def reset_backends() -> None:
    """Forget every moto resource and every task the bridge knew (a fresh embedded ECS)."""
    with BACKEND_LOCK:
        BackendDict.reset()
        _registry.clear()


# ---------------------------------------------------------------- install / uninstall


def install(controller: LocalController) -> None:
    """Hook moto so that ECS calls reach ``controller``. One controller per process."""
    with BACKEND_LOCK:
        if _registry.controller is not None:
            raise RuntimeError("an embedded ECS is already running in this process")
        _registry.controller = controller
        _patch(EC2ContainerServiceResponse, "call_action", _locked_call_action)
        _patch(LogsResponse, "call_action", _locked_call_action)
        _patch(EC2ContainerServiceResponse, "run_task", _run_task)
        _patch(EC2ContainerServiceResponse, "describe_tasks", _describe_tasks)
        _patch(EC2ContainerServiceResponse, "list_tasks", _list_tasks)
        _patch(EC2ContainerServiceResponse, "stop_task", _stop_task)
        _patch(EC2ContainerServiceResponse, "execute_command", _execute_command)
        _patch(
            EC2ContainerServiceBackend,
            "_calculate_task_resource_requirements",
            staticmethod(_resource_requirements),
        )


def uninstall() -> None:
    """Undo ``install``: moto behaves as shipped again."""
    with BACKEND_LOCK:
        for (owner, name), original in _originals.items():
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        _originals.clear()
        _registry.controller = None


def shipped_attribute(owner: type, name: str) -> Any:
    """``owner.name`` as moto ships it, even while ``install`` has replaced it (None if absent)."""
    with BACKEND_LOCK:
        if (owner, name) in _originals:
            return _originals[(owner, name)]
        return getattr(owner, name, None)


def _patch(owner: type, name: str, replacement: Any) -> None:
    _originals[(owner, name)] = owner.__dict__.get(name)
    setattr(owner, name, replacement)


def _controller() -> LocalController:
    if _registry.controller is None:
        raise ECSException("ServerException", "The embedded ECS is not running.")
    return _registry.controller


_base_call_action: Callable[[BaseResponse], Any] = BaseResponse.call_action


def _locked_call_action(self: BaseResponse) -> Any:
    with BACKEND_LOCK:
        return _base_call_action(self)


@contextmanager
def _rejections_as_ecs_errors() -> Iterator[None]:
    """A controller's RequestRejected becomes the ECS error moto serialises."""
    try:
        yield
    except RequestRejected as exc:
        raise ECSException(exc.code, exc.message) from exc


# ---------------------------------------------------------------- task state from the runner


def update_task(task_arn: str, fields: dict[str, Any]) -> None:
    """Copy ECS fields (camelCase) onto moto's task object; moto serialises them as they are."""
    with BACKEND_LOCK:
        adopted = _registry.by_arn.get(task_arn)
        if adopted is None:
            return
        task = adopted.task
        _set_fields(task, fields)
        status = fields.get("lastStatus")
        cluster = adopted.backend.clusters.get(adopted.cluster_name)
        if status == "RUNNING" and not adopted.counted_running and not task.container_instance_arn:
            # moto counts EC2 tasks at placement; count Fargate tasks when they run.
            adopted.counted_running = True
            if cluster is not None:
                cluster.running_tasks_count += 1
        if status == "STOPPED" and not adopted.released:
            adopted.released = True
            _release(adopted, cluster)


def _set_fields(task: Task, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        # moto's serialiser looks attributes up by the snake_case of the API field name.
        setattr(task, xform_name(key), value)


def _release(adopted: _Adopted, cluster: Any) -> None:
    task = adopted.task
    if task.container_instance_arn:
        instances = adopted.backend.container_instances.get(adopted.cluster_name, {})
        instance = instances.get(task.container_instance_arn.split("/")[-1])
        if instance is not None and task.resource_requirements:
            adopted.backend.update_container_instance_resources(
                instance, task.resource_requirements, removing=True
            )
        if cluster is not None:
            cluster.running_tasks_count -= 1
    elif adopted.counted_running and cluster is not None:
        cluster.running_tasks_count -= 1


def write_log_events(
    account_id: str, region: str, group: str, stream: str, events: list[dict[str, Any]]
) -> None:
    """Append events to a CloudWatch Logs stream, creating the group and stream as needed."""
    with BACKEND_LOCK:
        logs = logs_backends[account_id][region]
        if group not in logs.groups:
            logs.create_log_group(group, tags={})
        logs.ensure_log_stream(group, stream)
        if events:
            logs.put_log_events(group, stream, events)


def make_container_instances_roomy(
    region: str, cluster_name: str, *, cpu: int, memory: int, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Give the cluster's (fake) container instances room for many concurrent EC2 tasks."""
    with BACKEND_LOCK:
        backend = ecs_backends[account_id][region]
        for instance in backend.container_instances.get(cluster_name, {}).values():
            for resources in (instance.registered_resources, instance.remaining_resources):
                for resource in resources:
                    if resource.get("name") == "CPU":
                        resource["integerValue"] = cpu
                    elif resource.get("name") == "MEMORY":
                        resource["integerValue"] = memory


# ---------------------------------------------------------------- response overrides


def _resource_requirements(task_definition: Any) -> dict[str, Any]:
    """moto's placement arithmetic, tolerant of Fargate-style definitions.

    moto adds up container ``memory`` and fails on containers that leave it to the task level
    (valid ECS). Missing values count as 0 and the task-level cpu/memory fill in.
    """
    containers = [
        {**c, "memory": c.get("memory") or c.get("memoryReservation") or 0}
        for c in task_definition.container_definitions
    ]
    original = _originals[(EC2ContainerServiceBackend, "_calculate_task_resource_requirements")]
    result: dict[str, Any] = original.__func__(SimpleNamespace(container_definitions=containers))
    if not result["CPU"] and getattr(task_definition, "cpu", None):
        result["CPU"] = int(task_definition.cpu)
    if not result["MEMORY"] and getattr(task_definition, "memory", None):
        result["MEMORY"] = int(task_definition.memory)
    return result


def _run_task(self: EC2ContainerServiceResponse) -> ActionResult:
    controller = _controller()
    backend = self.ecs_backend
    cluster_ref = self._get_param("cluster") or "default"
    cluster = backend._get_cluster(cluster_ref)
    params = {name: self._get_param(name) for name in _RUN_TASK_PARAMS}
    count = params["count"] if params["count"] is not None else 1
    if not 1 <= int(count) <= 10:
        raise InvalidParameterException("Count must be between 1 and 10.")
    if params["propagateTags"] == "SERVICE":
        raise InvalidParameterException("The propagateTags value SERVICE is not valid for RunTask.")

    token = self._get_param("clientToken")
    token_key = (backend.account_id, backend.region_name, cluster.arn, token or "")
    fingerprint = json.dumps(params, sort_keys=True, default=str)
    if token:
        seen = _registry.client_tokens.get(token_key)
        if seen is not None:
            seen_fingerprint, arns = seen
            if seen_fingerprint != fingerprint:
                conflict = ECSException(
                    "ConflictException",
                    "The clientToken was already used with different parameters.",
                )
                conflict.resource_ids = arns  # type: ignore[attr-defined]
                raise conflict
            return ActionResult({"tasks": [_registry.by_arn[a].task for a in arns], "failures": []})

    task_definition = backend.describe_task_definition(params["taskDefinition"])
    strategy = params["capacityProviderStrategy"]
    launch_type = params["launchType"]
    if not launch_type and not strategy:
        strategy = cluster.default_capacity_provider_strategy
    provider = strategy[0]["capacityProvider"] if strategy else None
    fargate = launch_type == "FARGATE" or provider in FARGATE_PROVIDERS
    if not fargate and not backend.container_instances.get(cluster.name):
        raise InvalidParameterException("No Container Instances were found in your cluster.")

    network, requested_subnet = _tolerant_network(backend, task_definition, params)
    tasks = backend.run_task(
        cluster_ref,
        params["taskDefinition"],
        int(count),
        params["overrides"],
        params["startedBy"],
        _task_tags(backend, task_definition, params),
        launch_type,
        network,
        params["group"],
        params["platformVersion"],
        params["capacityProviderStrategy"],
    )
    # moto places fewer EC2 tasks than asked when instances are full; ECS reports why.
    instances = list(backend.container_instances.get(cluster.name, {}).values())
    failures = [
        {
            "arn": instances[0].container_instance_arn if instances else "",
            "reason": "RESOURCE:MEMORY",
        }
        for _ in range(int(count) - len(tasks))
    ]
    created = []
    for task in tasks:
        _adopt(task, backend, cluster.name, task_definition, fargate, provider, requested_subnet)
        _set_fields(task, {"enableExecuteCommand": bool(params["enableExecuteCommand"])})
        created.append(
            NewTask(
                task_arn=task.task_arn,
                cluster_arn=cluster.arn,
                region=backend.region_name,
                launch_type=task.launch_type,
                task_definition=_task_definition_view(task_definition),
                overrides=dict(params["overrides"] or {}),
                enable_execute_command=bool(params["enableExecuteCommand"]),
            )
        )
    with _rejections_as_ecs_errors():
        controller.tasks_created(created)
    if token:
        _registry.client_tokens[token_key] = (fingerprint, [t.task_arn for t in tasks])
    return ActionResult({"tasks": tasks, "failures": failures})


def _task_tags(
    backend: EC2ContainerServiceBackend, task_definition: Any, params: dict[str, Any]
) -> list[dict[str, str]]:
    tags = list(params["tags"] or [])
    if params["propagateTags"] == "TASK_DEFINITION":
        given = {t["key"] for t in tags}
        tags += [t for t in task_definition.tags or [] if t.get("key") not in given]
    return tags


def _tolerant_network(
    backend: EC2ContainerServiceBackend, task_definition: Any, params: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """Accept any subnet id: no networking is simulated, so unknown subnets map to a real one.

    moto creates an ENI in the first subnet and fails on ids its EC2 does not know; locally a
    made-up id such as ``subnet-local`` should work. The task still reports the id it was given.
    """
    network = params["networkConfiguration"]
    if task_definition.network_mode != "awsvpc" or not network:
        return network, None
    awsvpc = dict(network.get("awsvpcConfiguration") or {})
    subnets = list(awsvpc.get("subnets") or [])
    if not subnets:
        raise InvalidParameterException("subnets can not be empty.")
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    try:
        ec2.get_subnet(subnets[0])
        return network, None
    except InvalidSubnetIdError:
        pass
    stand_in = ec2.describe_subnets()[0].id
    awsvpc["subnets"] = [stand_in, *subnets[1:]]
    awsvpc.setdefault("securityGroups", [])
    return {**network, "awsvpcConfiguration": awsvpc}, subnets[0]


def _adopt(
    task: Task,
    backend: EC2ContainerServiceBackend,
    cluster_name: str,
    task_definition: Any,
    fargate: bool,
    provider: str | None,
    requested_subnet: str | None,
) -> None:
    """Register a new moto task with the bridge and fill the static fields ECS reports."""
    _registry.sequence += 1
    adopted = _Adopted(task, backend, cluster_name, _registry.sequence)
    _registry.by_arn[task.task_arn] = adopted
    _registry.by_id[task.task_arn.rsplit("/", 1)[-1]] = adopted
    # Stop moto's own state machine: the runner owns lastStatus from here on.
    task._transitions = [("PROVISIONING", "PROVISIONING")]
    platform_version = task.platform_version
    if fargate and platform_version in (None, "LATEST"):
        platform_version = _DEFAULT_PLATFORM_VERSION
    _set_fields(
        task,
        {
            "launchType": task.launch_type or ("FARGATE" if fargate else "EC2"),
            "capacityProviderName": provider,
            "platformVersion": platform_version,
            "platformFamily": "Linux" if fargate else None,
            "cpu": task_definition.cpu,
            "memory": task_definition.memory,
            "availabilityZone": f"{backend.region_name}a",
            "version": 1,
            "healthStatus": "UNKNOWN",
        },
    )
    if requested_subnet:
        attachments: list[dict[str, Any]] = task.attachments
        for attachment in attachments:
            for detail in attachment.get("details", []):
                if detail.get("name") == "subnetId":
                    detail["value"] = requested_subnet


def _task_definition_view(task_definition: Any) -> dict[str, Any]:
    return {
        "taskDefinitionArn": task_definition.arn,
        "family": task_definition.family,
        "containerDefinitions": [dict(c) for c in task_definition.container_definitions],
        "taskRoleArn": getattr(task_definition, "task_role_arn", None),
        "cpu": task_definition.cpu,
        "memory": task_definition.memory,
    }


def _find(cluster_name: str, ref: str) -> _Adopted | None:
    adopted = _registry.by_arn.get(ref) or _registry.by_id.get(ref.rsplit("/", 1)[-1])
    if adopted is None or adopted.cluster_name != cluster_name:
        return None
    return adopted


def _describe_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    refs: list[str] = self._get_param("tasks") or []
    if not refs:
        raise InvalidParameterException("Tasks cannot be empty.")
    if len(refs) > 100:
        raise InvalidParameterException("Tasks cannot contain more than 100 elements.")
    tasks, failures, seen = [], [], set()
    for ref in refs:
        adopted = _find(cluster.name, ref)
        if adopted is None:
            failures.append({"arn": ref, "reason": "MISSING"})
        elif adopted.task.task_arn not in seen:
            seen.add(adopted.task.task_arn)
            tasks.append(adopted.task)
    if "TAGS" in (self._get_param("include") or []):
        self._include_in_response(DESCRIBE_TASKS_TAGS)
    else:
        self._exclude_from_response(DESCRIBE_TASKS_TAGS)
    return ActionResult({"tasks": tasks, "failures": failures})


def _list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    """ListTasks as ECS does it: desiredStatus defaults to RUNNING, pages of <= 100."""
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    max_results = self._get_param("maxResults") or 100
    if not 1 <= int(max_results) <= 100:
        raise InvalidParameterException("maxResults must be between 1 and 100.")
    after = _decode_token(self._get_param("nextToken"))
    desired = self._get_param("desiredStatus") or "RUNNING"
    family = self._get_param("family")
    started_by = self._get_param("startedBy")
    launch_type = self._get_param("launchType")
    instance = self._get_param("containerInstance")
    matches: list[_Adopted] = []
    for adopted in _cluster_tasks(cluster.name):
        task = adopted.task
        if adopted.sequence <= after or task.desired_status != desired:
            continue
        if family and task.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] != family:
            continue
        if started_by and task.started_by != started_by:
            continue
        if launch_type and task.launch_type != launch_type:
            continue
        if instance and not (task.container_instance_arn or "").endswith(instance.split("/")[-1]):
            continue
        matches.append(adopted)
    page = matches[: int(max_results)]
    result: dict[str, Any] = {"taskArns": [a.task.task_arn for a in page]}
    if len(matches) > len(page):
        result["nextToken"] = _encode_token(page[-1].sequence)
    return ActionResult(result)


def _cluster_tasks(cluster_name: str) -> Iterator[_Adopted]:
    return (a for a in _registry.by_arn.values() if a.cluster_name == cluster_name)


def _encode_token(sequence: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sequence}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidParameterException("Invalid nextToken.") from exc


def _stop_task(self: EC2ContainerServiceResponse) -> ActionResult:
    controller = _controller()
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    adopted = _find(cluster.name, self._get_param("task") or "")
    if adopted is None:
        raise InvalidParameterException("The referenced task was not found.")
    reason = self._get_param("reason") or "Task stopped by user"
    with _rejections_as_ecs_errors():
        controller.stop_task(adopted.task.task_arn, reason)
    return ActionResult({"task": adopted.task})


def _execute_command(self: EC2ContainerServiceResponse) -> ActionResult:
    controller = _controller()
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    adopted = _find(cluster.name, self._get_param("task") or "")
    if adopted is None:
        raise InvalidParameterException("The referenced task was not found.")
    with _rejections_as_ecs_errors():
        result = controller.execute_command(
            cluster_arn=cluster.arn,
            task_arn=adopted.task.task_arn,
            container=self._get_param("container"),
            command=self._get_param("command") or "",
            interactive=bool(self._get_param("interactive")),
        )
    return ActionResult(result)
