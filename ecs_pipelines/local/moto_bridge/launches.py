"""The ECS actions that create tasks: RunTask, StartTask and CreateTaskSet.

moto creates the task objects; each action here checks the request the way ECS does first
(the request's own values, then the cluster, then the task definition: no task starts from an
INACTIVE revision, ``task_definitions.usable``), and hands the new tasks to
``adoption.hand_over`` so that they run, list, describe and stop alike. CreateTaskSet refuses an
INACTIVE revision before moto acts, as CreateService and UpdateService do: ``hooks`` wraps all
three in ``task_definitions.refusing_inactive``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

from ecs_pipelines.ecs.common import MISSING
from ecs_pipelines.local.moto_bridge.adoption import Placement, hand_over
from ecs_pipelines.local.moto_bridge.faults import no_room, throttled
from ecs_pipelines.local.moto_bridge.state import (
    controller,
    originals,
    registry,
    rejections_as_ecs_errors,
)
from ecs_pipelines.local.moto_bridge.task_definitions import usable
from ecs_pipelines.local.rules import (
    LaunchTarget,
    check_count,
    check_launch_type,
    check_launch_type_or_strategy,
    check_override_names,
    check_overrides_size,
    check_propagate_tags,
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


def run_task(self: EC2ContainerServiceResponse) -> ActionResult:
    controller()
    # A throttled call is refused before ECS looks at it.
    throttled("RunTask")
    backend = self.ecs_backend
    params = {name: self._get_param(name) for name in _RUN_TASK_PARAMS}
    # The request's own values first, then what must exist (cluster, task definition).
    with rejections_as_ecs_errors():
        check_launch_type(params["launchType"])
        check_launch_type_or_strategy(params["launchType"], params["capacityProviderStrategy"])
        count = check_count(params["count"])
        check_propagate_tags(params["propagateTags"])
        check_overrides_size(params["overrides"])
    cluster_ref = self._get_param("cluster") or "default"
    cluster = backend._get_cluster(cluster_ref)

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

    task_definition = _to_launch(backend, "RunTask", params["taskDefinition"], params["overrides"])
    strategy = params["capacityProviderStrategy"]
    launch_type = params["launchType"]
    if not launch_type and not strategy:
        strategy = cluster.default_capacity_provider_strategy
    provider = strategy[0]["capacityProvider"] if strategy else None
    fargate = launch_type == "FARGATE" or provider in FARGATE_PROVIDERS
    if not fargate and not backend.container_instances.get(cluster.name):
        raise InvalidParameterException("No Container Instances were found in your cluster.")

    # No room (the fault plan's, or past the cap on running tasks): nothing starts, and the
    # token is not kept, so that a later call with it tries afresh.
    target = LaunchTarget(cluster.name, launch_type, provider)
    refused = no_room(target, count, _instance_arn(backend, cluster.name))
    if refused:
        return ActionResult({"tasks": [], "failures": refused})
    network, requested_subnet = _tolerant_network(backend, task_definition, params)
    tasks = backend.run_task(
        cluster_ref,
        params["taskDefinition"],
        count,
        params["overrides"],
        params["startedBy"],
        _task_tags(task_definition, params),
        launch_type,
        network,
        params["group"],
        params["platformVersion"],
        params["capacityProviderStrategy"],
    )
    # moto places fewer EC2 tasks than asked when instances are full; ECS reports why.
    failures = [
        {"arn": _instance_arn(backend, cluster.name), "reason": "RESOURCE:MEMORY"}
        for _ in range(count - len(tasks))
    ]
    placement = Placement(
        fargate=fargate,
        provider=provider,
        requested_subnet=requested_subnet,
        overrides=params["overrides"],
        enable_execute_command=bool(params["enableExecuteCommand"]),
    )
    image = str((task_definition.container_definitions or [{}])[0].get("image", ""))
    faults = [registry.faults.task_faults(target, image) for _ in tasks]
    hand_over(tasks, backend, cluster, task_definition, placement, params["startedBy"], faults)
    if token:
        registry.client_tokens[token_key] = (fingerprint, [t.task_arn for t in tasks])
    return ActionResult({"tasks": tasks, "failures": failures})


def start_task(self: EC2ContainerServiceResponse) -> ActionResult:
    """StartTask: the task on each named container instance, run like RunTask's.

    A container instance the cluster does not have is a ``failures`` entry (reason MISSING),
    as ECS reports unknown resources in batch calls; the others still start.
    """
    controller()
    backend = self.ecs_backend
    params = {
        name: self._get_param(name)
        for name in (
            "taskDefinition",
            "overrides",
            "startedBy",
            "tags",
            "group",
            "propagateTags",
            "enableExecuteCommand",
            "containerInstances",
        )
    }
    with rejections_as_ecs_errors():
        check_propagate_tags(params["propagateTags"])
        check_overrides_size(params["overrides"])
    cluster = backend._get_cluster(self._get_param("cluster") or "default")
    task_definition = _to_launch(
        backend, "StartTask", params["taskDefinition"], params["overrides"]
    )
    requested: list[str] = params["containerInstances"] or []
    if not requested:
        raise InvalidParameterException("Container Instances cannot be empty.")
    known = backend.container_instances.get(cluster.name, {})
    present = [ref for ref in requested if ref.rsplit("/", 1)[-1] in known]
    failures = [{"arn": ref, "reason": MISSING} for ref in requested if ref not in present]
    tasks = []
    if present:
        tasks = backend.start_task(
            cluster.name,
            params["taskDefinition"],
            present,
            params["overrides"] or {},
            params["startedBy"],
            _task_tags(task_definition, params),
            params["group"],
        )
        # moto counts RunTask's EC2 tasks at placement but not StartTask's; the bridge takes
        # one off when any EC2 task stops, so count these the same way.
        backend.update_cluster_resources(cluster, len(tasks))
    placement = Placement(
        fargate=False,
        overrides=params["overrides"],
        enable_execute_command=bool(params["enableExecuteCommand"]),
    )
    hand_over(tasks, backend, cluster, task_definition, placement, params["startedBy"])
    return ActionResult({"tasks": tasks, "failures": failures})


def create_task_set(self: EC2ContainerServiceResponse) -> ActionResult:
    """CreateTaskSet as moto answers it, with the tasks it scales up run like RunTask's.

    "If a task is started by an Amazon ECS service, then the startedBy parameter contains the
    deployment ID of the service that starts it" (ECS API reference, Task ``startedBy``): a
    task set's tasks carry the task set's id, and the group ``service:<name>``.
    """
    controller()
    backend = self.ecs_backend
    before = {arn for tasks in backend.tasks.values() for arn in tasks}
    shipped: Callable[[EC2ContainerServiceResponse], ActionResult] = originals[
        (EC2ContainerServiceResponse, "create_task_set")
    ]
    result = shipped(self)
    task_set = backend.describe_task_sets(
        self._get_param("cluster") or "default", self._get_param("service"), []
    )[-1]
    cluster = backend._get_cluster(task_set.cluster_arn)
    service_name = str(task_set.service_arn).rsplit("/", 1)[-1]
    new = [t for t in backend.tasks.get(cluster.name, {}).values() if t.task_arn not in before]
    for task in new:
        task.group = f"service:{service_name}"
    task_definition = backend.describe_task_definition(task_set.task_definition)
    placement = Placement(fargate=task_set.launch_type == "FARGATE", service_name=service_name)
    hand_over(new, backend, cluster, task_definition, placement, task_set.id)
    return result


def _to_launch(
    backend: EC2ContainerServiceBackend,
    action: str,
    reference: str,
    overrides: dict[str, Any] | None,
) -> TaskDefinition:
    """The task definition new tasks of ``reference`` run: resolved as ECS does (a bare family
    is its latest ACTIVE revision), ACTIVE, and with every container the overrides name."""
    task_definition = usable(backend, reference, action)
    with rejections_as_ecs_errors():
        names = [str(c["name"]) for c in task_definition.container_definitions]
        check_override_names(overrides, names)
    return task_definition


def _instance_arn(backend: EC2ContainerServiceBackend, cluster_name: str) -> str:
    instances = list(backend.container_instances.get(cluster_name, {}).values())
    return str(instances[0].container_instance_arn) if instances else ""


def _task_tags(task_definition: Any, params: dict[str, Any]) -> list[dict[str, str]]:
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
