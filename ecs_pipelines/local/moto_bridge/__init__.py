"""The one place that touches moto's internals: backends, models, response classes.

moto answers the ECS and CloudWatch Logs wire APIs; this package hooks it so that tasks are
handed to a ``LocalController`` (which runs real processes) and so that what moto leaves out or
gets wrong for this use is filled in: RunTask's ``clientToken`` and ``enableExecuteCommand``,
DescribeTasks ``failures`` (MISSING), ListTasks filters and paging, ListTaskDefinitions and
ListTaskDefinitionFamilies sorting, status and paging, StopTask through the controller,
ExecuteCommand, and a backend lock because moto's models are not thread safe.

Modules, one idea each: ``state`` (the lock and what the bridge keeps beside moto), ``hooks``
(serving and patching moto), ``launches`` (RunTask, StartTask, CreateTaskSet), ``adoption``
(taking their tasks over), ``tasks`` (the API on existing tasks), ``listings`` (the task
definition listings; every listing pages through ``local/listing_pages``),
``task_definitions`` (which revision a reference names: a bare family is the latest ACTIVE
one; RunTask, StartTask, CreateService, UpdateService and CreateTaskSet refuse an INACTIVE
one; RegisterTaskDefinition refuses what ECS refuses), ``store`` (writes into moto's models
for the runner, log events within the bounds of ``local/log_retention.py``), ``log_reads``
(GetLogEvents tokens that keep their place when a stream's oldest events are dropped),
``secret_store`` (reads of Secrets Manager and Parameter Store for task start-up),
``sqs_queues`` (SQS queues safe for many consumers at once), ``faults``
(the fault plan and the cap on running tasks, where RunTask and DescribeTasks are answered).

Everything here names moto attributes on purpose; ``test_moto_bridge.py`` checks that each one
still exists, so a moto upgrade that renames one fails loudly there instead of deep in a task.
"""

from __future__ import annotations

from ecs_pipelines.local.moto_bridge.event_bus import deliver as deliver_event
from ecs_pipelines.local.moto_bridge.event_bus import described_task, mark_published
from ecs_pipelines.local.moto_bridge.faults import (
    fault_plan,
    set_fault_plan,
    set_max_running_tasks,
)
from ecs_pipelines.local.moto_bridge.hooks import (
    QuietRequestHandler,
    install,
    installed,
    make_moto_app,
    reset_backends,
    served_regions,
    shipped_attribute,
    uninstall,
)
from ecs_pipelines.local.moto_bridge.secret_store import read_secret
from ecs_pipelines.local.moto_bridge.sqs_queues import guard_sqs_queues
from ecs_pipelines.local.moto_bridge.state import BACKEND_LOCK
from ecs_pipelines.local.moto_bridge.store import (
    limit_log_events,
    make_container_instances_roomy,
    update_task,
    write_log_events,
)

__all__ = [
    "BACKEND_LOCK",
    "QuietRequestHandler",
    "deliver_event",
    "described_task",
    "fault_plan",
    "guard_sqs_queues",
    "install",
    "installed",
    "limit_log_events",
    "make_container_instances_roomy",
    "make_moto_app",
    "mark_published",
    "read_secret",
    "reset_backends",
    "served_regions",
    "set_fault_plan",
    "set_max_running_tasks",
    "shipped_attribute",
    "uninstall",
    "update_task",
    "write_log_events",
]
