"""pytest plugin for moto's own ECS tests run against the embedded ECS (``test_moto_suite.py``).

``EXPECTED_FAILURES`` is the one list of moto tests that do not hold for the embedded ECS, each
with its reason; the plugin marks them ``xfail`` (not strict: a listed test that happens to pass
is reported as XPASS, never as a failure). Every other test must pass.

Nearly all of them assume what only a mock can do: moto answers RunTask with a task that is
RUNNING at once and stays so. The embedded ECS runs each container's command as a process,
and these tests' task definitions give none (``docker/hello-world`` and the like, whose image
default command a host process cannot run), so each task fails to start (TaskFailedToStart),
just after RunTask or StartTask answers PROVISIONING, as on ECS. A few register a FARGATE task
definition that ECS refuses, and so does the embedded ECS.

moto's ``mock_aws`` in server mode resets the server before and after each test by posting
``<endpoint>/moto-api/reset``; the embedded ECS serves nothing of moto's admin API, so the
plugin sends that reset to the embedded ECS's own ``POST /_local/reset`` instead. The embedded
ECS authenticates every request: the plugin makes moto's suite sign with the server's own keys,
which ``test_moto_suite.py`` puts in the environment (moto's ``mock_aws`` would otherwise
replace them with its fake ones for each test: ``mock_credentials``), and signs the reset too.
"""

from __future__ import annotations

import os

import pytest
from moto.core.models import ServerModeMockAWS

from ecs_pipelines.local.auth import KeyPair
from ecs_pipelines_tests.local.local_ecs_tools import reset_embedded_ecs

_NO_COMMAND = (
    "assumes the task never runs: its container has no command, so the embedded ECS stops it "
    "at once (TaskFailedToStart)"
)
_RUNNING_AT_ONCE = (
    "assumes RunTask/StartTask answer lastStatus RUNNING; ECS (and the embedded ECS) answer "
    "PROVISIONING"
)
_FARGATE_REFUSED = (
    "registers a FARGATE task definition ECS refuses (RegisterTaskDefinition ClientException): "
)

EXPECTED_FAILURES: dict[str, str] = {
    "test_ecs.py::test_run_task": f"{_NO_COMMAND}; runningTasksCount drops back to 0",
    "test_ecs.py::test_run_task_awsvpc_network": _RUNNING_AT_ONCE,
    "test_ecs.py::test_run_task_default_cluster": _RUNNING_AT_ONCE,
    "test_ecs.py::test_start_task": _RUNNING_AT_ONCE,
    "test_ecs.py::test_start_task_with_tags": _RUNNING_AT_ONCE,
    "test_ecs.py::test_task_definitions_with_port_clash": _RUNNING_AT_ONCE,
    "test_ecs.py::test_list_tasks": f"{_NO_COMMAND}; ListTasks lists RUNNING tasks by default",
    "test_ecs.py::test_list_tasks_with_filters": (
        f"{_NO_COMMAND}; ListTasks lists RUNNING tasks by default"
    ),
    "test_ecs_tasksets.py::test_create_task_set_and_list_tasks": (
        f"{_NO_COMMAND}; ListTasks lists RUNNING tasks by default"
    ),
    "test_ecs.py::test_stop_task": f"{_NO_COMMAND}; runningTasksCount drops back to 0",
    "test_ecs.py::test_deregister_container_instance": (
        f"{_NO_COMMAND}; with no running task left on it the instance deregisters"
    ),
    "test_ecs.py::test_resource_reservation_and_release": (
        f"{_NO_COMMAND}; the instance's CPU and memory are released when it stops"
    ),
    "test_ecs.py::test_resource_reservation_and_release_memory_reservation": (
        f"{_NO_COMMAND}; the instance's memory is released when it stops"
    ),
    "test_ecs.py::test_register_task_definition": (
        f"{_FARGATE_REFUSED}no networkMode (ECS's default is bridge, Fargate takes only "
        "awsvpc), no task-level cpu, then cpu 512 with memory 512, a size Fargate does not offer"
    ),
    "test_ecs.py::test_register_task_definition_memory_validation_fargate": (
        f"{_FARGATE_REFUSED}no networkMode (ECS's default is bridge, Fargate takes only "
        "awsvpc) and no task-level cpu"
    ),
    "test_ecs.py::test_run_task_with_capacity_provider_strategy_fargate": (
        "expects no launchType on a task placed by a FARGATE capacity provider; ECS reports "
        "launchType FARGATE on such a task, and so does the embedded ECS"
    ),
}


def _reset_embedded_ecs(mock: ServerModeMockAWS) -> None:
    # What moto's ServerModeMockAWS.reset does (moto/core/models.py), at the embedded ECS's
    # route, signed with the environment's keys (the server's); like moto, only when
    # MOTO_CALL_RESET_API is not "false". A refused reset fails loudly instead of leaving the
    # last test's resources behind.
    if os.environ.get("MOTO_CALL_RESET_API", "").lower() != "false":
        keys = KeyPair(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        reset_embedded_ecs(mock._test_server_mode_endpoint, keys)


def pytest_configure(config: pytest.Config) -> None:
    from moto.core.config import default_user_config

    # Keep the environment's keys (the server's) in every test: no FOOBARKEY in their place.
    default_user_config.setdefault("core", {})["mock_credentials"] = False
    ServerModeMockAWS.reset = _reset_embedded_ecs  # type: ignore[method-assign,assignment]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        key = f"{item.path.name}::{item.name}"
        reason = EXPECTED_FAILURES.get(key)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
