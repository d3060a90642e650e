"""The ECS actions on existing tasks that the embedded ECS answers itself instead of moto.

DescribeTasks (``failures`` MISSING), ListTasks (filters and paging), StopTask through the
controller, ExecuteCommand. Every lookup is scoped to the request's account and region.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import DESCRIBE_TASKS_TAGS, EC2ContainerServiceResponse

from ecs_pipelines.ecs.common import MISSING, TaskStatus
from ecs_pipelines.local.contract import ExecRequest
from ecs_pipelines.local.moto_bridge.faults import throttled
from ecs_pipelines.local.moto_bridge.state import (
    Adopted,
    cluster_tasks,
    controller,
    find,
    rejections_as_ecs_errors,
)
from ecs_pipelines.local.rules import page_of


def describe_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    throttled("DescribeTasks")
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    refs: list[str] = self._get_param("tasks") or []
    if not refs:
        raise InvalidParameterException("Tasks cannot be empty.")
    if len(refs) > 100:
        raise InvalidParameterException("Tasks cannot contain more than 100 elements.")
    tasks, failures, seen = [], [], set()
    for ref in refs:
        adopted = find(self.ecs_backend, cluster.name, ref)
        if adopted is None:
            failures.append({"arn": ref, "reason": MISSING})
        elif adopted.task.task_arn not in seen:
            seen.add(adopted.task.task_arn)
            tasks.append(adopted.task)
    if "TAGS" in (self._get_param("include") or []):
        self._include_in_response(DESCRIBE_TASKS_TAGS)
    else:
        self._exclude_from_response(DESCRIBE_TASKS_TAGS)
    return ActionResult({"tasks": tasks, "failures": failures})


def list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    """ListTasks as ECS does it: desiredStatus defaults to RUNNING, pages of <= 100 in the
    order tasks started (``listing_pages``), and serviceName lists the tasks a service's task
    sets started."""
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    desired = self._get_param("desiredStatus") or TaskStatus.RUNNING
    family = self._get_param("family")
    started_by = self._get_param("startedBy")
    launch_type = self._get_param("launchType")
    instance = self._get_param("containerInstance")
    service = (self._get_param("serviceName") or "").rsplit("/", 1)[-1]
    matches: list[Adopted] = []
    for adopted in cluster_tasks(self.ecs_backend, cluster.name):
        task = adopted.task
        if task.desired_status != desired:
            continue
        if family and task.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] != family:
            continue
        if started_by and task.started_by != started_by:
            continue
        if launch_type and task.launch_type != launch_type:
            continue
        if service and adopted.service_name != service:
            continue
        if instance and not (task.container_instance_arn or "").endswith(instance.split("/")[-1]):
            continue
        matches.append(adopted)
    with rejections_as_ecs_errors():
        page = page_of(
            matches,
            listing="ListTasks",
            key=lambda adopted: adopted.sequence,
            max_results=self._get_param("maxResults"),
            next_token=self._get_param("nextToken"),
        )
    result: dict[str, Any] = {"taskArns": [a.task.task_arn for a in page.items]}
    if page.next_token:
        result["nextToken"] = page.next_token
    return ActionResult(result)


def stop_task(self: EC2ContainerServiceResponse) -> ActionResult:
    local = controller()
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    adopted = find(self.ecs_backend, cluster.name, self._get_param("task") or "")
    if adopted is None:
        raise InvalidParameterException("The referenced task was not found.")
    reason = self._get_param("reason") or "Task stopped by user"
    with rejections_as_ecs_errors():
        local.stop_task(adopted.task.task_arn, reason)
    return ActionResult({"task": adopted.task})


def execute_command(self: EC2ContainerServiceResponse) -> ActionResult:
    local = controller()
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
    adopted = find(self.ecs_backend, cluster.name, self._get_param("task") or "")
    if adopted is None:
        raise InvalidParameterException("The referenced task was not found.")
    with rejections_as_ecs_errors():
        request = ExecRequest(
            cluster_arn=cluster.arn,
            task_arn=adopted.task.task_arn,
            container=self._get_param("container"),
            command=self._get_param("command") or "",
            interactive=bool(self._get_param("interactive")),
        )
        result = local.execute_command(request)
    return ActionResult(result)
