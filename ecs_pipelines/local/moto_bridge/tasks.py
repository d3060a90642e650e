"""The ECS actions the embedded ECS answers itself instead of moto: the task API.

RunTask (with ``clientToken`` and ``enableExecuteCommand``), DescribeTasks (``failures``
MISSING), ListTasks (filters and paging), StopTask through the controller, ExecuteCommand.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.ecs.responses import DESCRIBE_TASKS_TAGS, EC2ContainerServiceResponse

from ecs_pipelines.local import run_task_rules as rules
from ecs_pipelines.local.contract import NewTask
from ecs_pipelines.local.moto_bridge.state import (
    Adopted,
    cluster_tasks,
    controller,
    find,
    registry,
    rejections_as_ecs_errors,
    set_fields,
)

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


def run_task(self: EC2ContainerServiceResponse) -> ActionResult:
    local = controller()
    backend = self.ecs_backend
    cluster_ref = self._get_param("cluster") or "default"
    cluster = backend._get_cluster(cluster_ref)
    params = {name: self._get_param(name) for name in _RUN_TASK_PARAMS}
    with rejections_as_ecs_errors():
        count = rules.check_count(params["count"])
        rules.check_propagate_tags(params["propagateTags"])
        rules.check_overrides_size(params["overrides"])

    token = self._get_param("clientToken")
    token_key = (backend.account_id, backend.region_name, cluster.arn, token or "")
    fingerprint = json.dumps(params, sort_keys=True, default=str)
    if token:
        seen = registry.client_tokens.get(token_key)
        if seen is not None:
            seen_fingerprint, arns = seen
            if seen_fingerprint != fingerprint:
                conflict = ECSException(
                    "ConflictException",
                    "The clientToken was already used with different parameters.",
                )
                conflict.resource_ids = arns  # type: ignore[attr-defined]
                raise conflict
            return ActionResult({"tasks": [registry.by_arn[a].task for a in arns], "failures": []})

    task_definition = backend.describe_task_definition(params["taskDefinition"])
    with rejections_as_ecs_errors():
        names = [str(c["name"]) for c in task_definition.container_definitions]
        rules.check_override_names(params["overrides"], names)
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
        count,
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
        for _ in range(count - len(tasks))
    ]
    created = []
    for task in tasks:
        _give_ecs_identity(task, backend, cluster.name, params["startedBy"])
        _adopt(task, backend, cluster.name, task_definition, fargate, provider, requested_subnet)
        set_fields(task, {"enableExecuteCommand": bool(params["enableExecuteCommand"])})
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
    with rejections_as_ecs_errors():
        local.tasks_created(created)
    if token:
        registry.client_tokens[token_key] = (fingerprint, [t.task_arn for t in tasks])
    return ActionResult({"tasks": tasks, "failures": failures})


def _give_ecs_identity(
    task: Task, backend: EC2ContainerServiceBackend, cluster_name: str, started_by: str | None
) -> None:
    """What moto makes up differently from ECS: the task id and an empty startedBy.

    ECS task ids are 32 lowercase hex characters (task ARN
    ``arn:aws:ecs:<region>:<account>:task/<cluster>/<id>``), moto's are UUIDs; and ECS leaves
    ``startedBy`` out of a task that was started without one, where moto reports "".
    """
    tasks = backend.tasks[cluster_name]
    moto_arn = task.task_arn
    task.id = secrets.token_hex(16)
    tasks[task.task_arn] = tasks.pop(moto_arn)
    if not started_by:
        set_fields(task, {"startedBy": None})


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
    # "If you don't specify a security group, the default security group for the VPC is
    # used" (ECS API reference, AwsVpcConfiguration); moto needs the key to be there.
    awsvpc["securityGroups"] = list(awsvpc.get("securityGroups") or [])
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    try:
        ec2.get_subnet(subnets[0])
        return {**network, "awsvpcConfiguration": awsvpc}, None
    except InvalidSubnetIdError:
        pass
    stand_in = ec2.describe_subnets()[0].id
    awsvpc["subnets"] = [stand_in, *subnets[1:]]
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
    registry.sequence += 1
    adopted = Adopted(task, backend, cluster_name, registry.sequence)
    registry.by_arn[task.task_arn] = adopted
    registry.by_id[task.task_arn.rsplit("/", 1)[-1]] = adopted
    # Stop moto's own state machine: the runner owns lastStatus from here on.
    task._transitions = [("PROVISIONING", "PROVISIONING")]
    platform_version = task.platform_version
    if fargate and platform_version in (None, "LATEST"):
        platform_version = _DEFAULT_PLATFORM_VERSION
    set_fields(
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


def describe_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    refs: list[str] = self._get_param("tasks") or []
    if not refs:
        raise InvalidParameterException("Tasks cannot be empty.")
    if len(refs) > 100:
        raise InvalidParameterException("Tasks cannot contain more than 100 elements.")
    tasks, failures, seen = [], [], set()
    for ref in refs:
        adopted = find(cluster.name, ref)
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


def list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
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
    matches: list[Adopted] = []
    for adopted in cluster_tasks(cluster.name):
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


def _encode_token(sequence: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sequence}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidParameterException("Invalid nextToken.") from exc


def stop_task(self: EC2ContainerServiceResponse) -> ActionResult:
    local = controller()
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    adopted = find(cluster.name, self._get_param("task") or "")
    if adopted is None:
        raise InvalidParameterException("The referenced task was not found.")
    reason = self._get_param("reason") or "Task stopped by user"
    with rejections_as_ecs_errors():
        local.stop_task(adopted.task.task_arn, reason)
    return ActionResult({"task": adopted.task})


def execute_command(self: EC2ContainerServiceResponse) -> ActionResult:
    local = controller()
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    adopted = find(cluster.name, self._get_param("task") or "")
    if adopted is None:
        raise InvalidParameterException("The referenced task was not found.")
    with rejections_as_ecs_errors():
        result = local.execute_command(
            cluster_arn=cluster.arn,
            task_arn=adopted.task.task_arn,
            container=self._get_param("container"),
            command=self._get_param("command") or "",
            interactive=bool(self._get_param("interactive")),
        )
    return ActionResult(result)
