"""Serving moto, and hooking it: ``install`` routes ECS calls to a ``LocalController``.

moto's app is served without its admin API (``/moto-api/...``: data dump, request recorder,
reset); ``reset_backends`` is the one reset, which also stops every task process and forgets
every task, so a cluster created afresh lists no task of the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from flask import Flask
from moto.core.base_backend import BackendDict
from moto.core.model_instances import reset_model_data
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import BaseResponse
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs.models import LogStream
from moto.logs.responses import LogsResponse
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.sts.models import STSBackend

from ecs_pipelines.local.contract import CredentialsRegistry, LocalController
from ecs_pipelines.local.moto_bridge import (
    assumed_roles,
    launches,
    listings,
    log_reads,
    task_definitions,
    tasks,
)
from ecs_pipelines.local.moto_bridge.guard import guarded
from ecs_pipelines.local.moto_bridge.sqs_queues import guard_sqs_queues
from ecs_pipelines.local.moto_bridge.state import (
    BACKEND_LOCK,
    originals,
    patch_attribute,
    registry,
)
from ecs_pipelines.local.moto_bridge.store import resource_requirements


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without a log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def make_moto_app() -> DomainDispatcherApplication:
    """moto's all-services WSGI app (ECS, CloudWatch Logs, EC2, ... on one endpoint), without
    its admin API."""
    return DomainDispatcherApplication(_service_app)


def _service_app(service: Any) -> Flask:
    # The HTTP boundary refuses /moto-api/ paths already; a request moto's dispatcher would
    # still send to its admin app (it also picks apps from the signature's service name)
    # finds one with no route at all.
    if service == "moto_api":
        return Flask("moto-admin-api-not-served")
    return create_backend_app(service)


@cache
def served_regions() -> frozenset[str]:
    """The regions the server's ECS answers in (moto's: botocore's partitions' regions)."""
    return frozenset(ecs_backends[DEFAULT_ACCOUNT_ID].regions)


def reset_backends() -> None:
    """Stop every task process, forget every task the bridge knew and every moto resource: a
    fresh embedded ECS (what moto's own reset did, and the task processes with it)."""
    with BACKEND_LOCK:
        if registry.controller is not None:
            registry.controller.forget_all_tasks()
        registry.clear()
        BackendDict.reset()
        reset_model_data()


def install(controller: LocalController, credentials: CredentialsRegistry | None = None) -> None:
    """Hook moto so that ECS calls reach ``controller`` (and the credentials STS AssumeRole
    issues reach ``credentials``). One controller per process."""
    with BACKEND_LOCK:
        if registry.controller is not None:
            raise RuntimeError("an embedded ECS is already running in this process")
        registry.controller = controller
        guard_sqs_queues()  # the task events queues' consumers receive at once
        if credentials is not None:
            patch_attribute(
                STSBackend,
                "assume_role",
                assumed_roles.registering(STSBackend.assume_role, credentials),
            )
        for response_class in (EC2ContainerServiceResponse, LogsResponse):
            patch_attribute(response_class, "_dispatch", guarded(BaseResponse._dispatch))
            patch_attribute(response_class, "call_action", _locked_call_action)
        # Task start-up reads secrets and parameters from another thread.
        for reader in (SecretsManagerResponse, SimpleSystemManagerResponse):
            patch_attribute(reader, "call_action", _locked_call_action)
        patch_attribute(EC2ContainerServiceResponse, "run_task", launches.run_task)
        patch_attribute(EC2ContainerServiceResponse, "start_task", launches.start_task)
        # The service actions that may name a task definition refuse an INACTIVE revision
        # first; CreateTaskSet then runs its tasks like RunTask's.
        for name, action, respond in (
            ("create_service", "CreateService", EC2ContainerServiceResponse.create_service),
            ("update_service", "UpdateService", EC2ContainerServiceResponse.update_service),
            ("create_task_set", "CreateTaskSet", launches.create_task_set),
        ):
            patch_attribute(
                EC2ContainerServiceResponse,
                name,
                task_definitions.refusing_inactive(action, respond),
            )
        patch_attribute(EC2ContainerServiceResponse, "describe_tasks", tasks.describe_tasks)
        patch_attribute(EC2ContainerServiceResponse, "list_tasks", tasks.list_tasks)
        patch_attribute(EC2ContainerServiceResponse, "stop_task", tasks.stop_task)
        patch_attribute(EC2ContainerServiceResponse, "execute_command", tasks.execute_command)
        # Task definition listings sorted, filtered and paged as ECS does (``listings``).
        patch_attribute(
            EC2ContainerServiceResponse, "list_task_definitions", listings.list_task_definitions
        )
        patch_attribute(
            EC2ContainerServiceResponse,
            "list_task_definition_families",
            listings.list_task_definition_families,
        )
        # The API's RegisterTaskDefinition and CloudFormation's task definitions both register
        # through this method.
        patch_attribute(
            EC2ContainerServiceBackend,
            "register_task_definition",
            task_definitions.refusing_invalid(EC2ContainerServiceBackend.register_task_definition),
        )
        # Every moto action resolves a task definition reference through this method.
        patch_attribute(
            EC2ContainerServiceBackend, "describe_task_definition", task_definitions.resolve
        )
        patch_attribute(
            EC2ContainerServiceBackend,
            "_calculate_task_resource_requirements",
            staticmethod(resource_requirements),
        )
        # Tokens that keep their place when a stream's oldest events are dropped (store.py).
        patch_attribute(LogStream, "get_log_events", log_reads.get_log_events)


def installed() -> bool:
    """Whether a controller is installed: an embedded ECS runs in this process."""
    with BACKEND_LOCK:
        return registry.controller is not None


def uninstall() -> None:
    """Undo ``install``: moto behaves as shipped again."""
    with BACKEND_LOCK:
        for (owner, name), original in originals.items():
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        originals.clear()
        registry.controller = None


def shipped_attribute(owner: type, name: str) -> Any:
    """``owner.name`` as moto ships it, even while ``install`` has replaced it (None if absent)."""
    with BACKEND_LOCK:
        if (owner, name) in originals:
            return originals[(owner, name)]
        return getattr(owner, name, None)


_base_call_action: Callable[[BaseResponse], Any] = BaseResponse.call_action


def _locked_call_action(self: BaseResponse) -> Any:
    with BACKEND_LOCK:
        return _base_call_action(self)
