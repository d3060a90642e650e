"""What the bridge keeps beside moto: the backend lock, adopted tasks, client tokens, the fault
plan and the cap on running tasks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore import xform_name
from moto.ecs.exceptions import ECSException
from moto.ecs.models import EC2ContainerServiceBackend, Task

from ecs_pipelines.ecs.common import TaskStatus, task_id
from ecs_pipelines.local.contract import LocalController, RequestRejected
from ecs_pipelines.local.rules import NO_FAULTS, FaultDecider, default_max_running_tasks

# Guards moto's models: held for every ECS and Logs API call (parsing, model update and
# serialisation) and by the task runner whenever it changes a task or writes log events.
BACKEND_LOCK = threading.RLock()


@dataclass
class Adopted:
    """A moto task the controller owns, with what the bridge needs to find and release it."""

    task: Task
    backend: EC2ContainerServiceBackend
    cluster_name: str
    sequence: int
    # The service whose task set started the task (CreateTaskSet), for ListTasks serviceName.
    service_name: str | None = None
    counted_running: bool = False
    released: bool = False

    def belongs_to(self, backend: EC2ContainerServiceBackend, cluster_name: str) -> bool:
        """In ``cluster_name`` of ``backend``'s account and region: ECS resources are regional,
        so cluster ``default`` of us-east-1 is not cluster ``default`` of us-west-2."""
        return (
            self.cluster_name == cluster_name
            and self.backend.account_id == backend.account_id
            and self.backend.region_name == backend.region_name
        )


class Registry:
    """Bridge state that moto does not keep: adopted tasks, client tokens, the controller."""

    def __init__(self) -> None:
        self.controller: LocalController | None = None
        self.by_arn: dict[str, Adopted] = {}
        self.by_id: dict[str, Adopted] = {}
        self.client_tokens: dict[tuple[str, str, str, str], tuple[str, list[str]]] = {}
        self.sequence = 0
        # The fault plan and the cap on running tasks are the server's settings, not ECS
        # resources: a reset keeps them (``faults.py``).
        self.faults: FaultDecider = FaultDecider(NO_FAULTS)
        self.max_running_tasks: int = default_max_running_tasks()

    def running_task_count(self) -> int:
        """Adopted tasks not STOPPED yet: what the cap on running tasks counts."""
        return sum(1 for a in self.by_arn.values() if a.task.last_status != TaskStatus.STOPPED)

    def clear(self) -> None:
        self.by_arn.clear()
        self.by_id.clear()
        self.client_tokens.clear()
        self.sequence = 0


registry = Registry()
# moto attributes replaced by ``install``, as moto shipped them (None: moto had none there).
originals: dict[tuple[type, str], Any] = {}


def patch_attribute(owner: type, name: str, replacement: Any) -> None:
    """Replaces moto's ``owner.name``, keeping what moto shipped for ``uninstall``."""
    originals[(owner, name)] = owner.__dict__.get(name)
    setattr(owner, name, replacement)


def controller() -> LocalController:
    if registry.controller is None:
        raise ECSException("ServerException", "The embedded ECS is not running.")
    return registry.controller


@contextmanager
def rejections_as_ecs_errors() -> Iterator[None]:
    """A controller's RequestRejected becomes the ECS error moto serialises."""
    try:
        yield
    except RequestRejected as exc:
        raise ECSException(exc.code, exc.message) from exc


def set_fields(task: Task, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        # moto's serialiser looks attributes up by the snake_case of the API field name.
        setattr(task, xform_name(key), value)


def find(backend: EC2ContainerServiceBackend, cluster_name: str, ref: str) -> Adopted | None:
    """The adopted task ``ref`` (an ARN or a bare id) names in ``backend``'s ``cluster_name``."""
    adopted = registry.by_arn.get(ref) or registry.by_id.get(task_id(ref))
    if adopted is None or not adopted.belongs_to(backend, cluster_name):
        return None
    return adopted


def cluster_tasks(backend: EC2ContainerServiceBackend, cluster_name: str) -> Iterator[Adopted]:
    return (a for a in registry.by_arn.values() if a.belongs_to(backend, cluster_name))
