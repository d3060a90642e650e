"""The code location: demo pipelines wired to EcsResource, on the embedded ECS by default.

``ECS_PIPELINES_TARGET=aws`` switches every definition to AWS (see README for the variables).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from dagster import (
    BetaWarning,
    ComponentTree,
    DefaultSensorStatus,
    Definitions,
    EnvVar,
    PreviewWarning,
)

import ecs_pipelines.demo.defs as yaml_defs_module
from ecs_pipelines.cli.target import Target, resource_config, target_from_env
from ecs_pipelines.demo.assets import DEMO_ASSETS, detached_export
from ecs_pipelines.demo.checkout_resource import CheckoutEcsResource
from ecs_pipelines.demo.executor_job import build_executor_job
from ecs_pipelines.demo.jobs import (
    NIGHTLY_EXPORT_STARTED_BY,
    build_completion_report_job,
    build_exec_job,
    build_nightly_export_job,
    build_report_job,
    daily_assets_job,
)
from ecs_pipelines.demo.schedules import daily_report_schedule
from ecs_pipelines.demo.seed import DEMO_EXECUTION_ROLE_ARN, DEMO_LOG_GROUP, DEMO_TASK_ROLE_ARN
from ecs_pipelines.integration.cleanup import ecs_orphaned_task_sensors
from ecs_pipelines.integration.completion_sensor import ecs_task_completion_sensor
from ecs_pipelines.integration.detached_sensor import ecs_detached_asset_sensor
from ecs_pipelines.integration.resource import EcsResource


def code_task_definitions(target: Target) -> dict[str, str | None]:
    """Roles and log group of the demo's code-defined task definitions: the demo ones on the
    embedded ECS; on AWS, ECS_PIPELINES_EXECUTION_ROLE_ARN, ECS_PIPELINES_TASK_ROLE_ARN and
    ECS_PIPELINES_LOG_GROUP."""
    if target.name == "local":
        return {
            "execution_role_arn": DEMO_EXECUTION_ROLE_ARN,
            "task_role_arn": DEMO_TASK_ROLE_ARN,
            "log_group": DEMO_LOG_GROUP,
        }
    return {
        "execution_role_arn": os.environ.get("ECS_PIPELINES_EXECUTION_ROLE_ARN"),
        "task_role_arn": os.environ.get("ECS_PIPELINES_TASK_ROLE_ARN"),
        "log_group": os.environ.get("ECS_PIPELINES_LOG_GROUP", DEMO_LOG_GROUP),
    }


def demo_resource(target: Target) -> EcsResource:
    """The EcsResource every demo op, asset and sensor uses (also `make run`'s); with
    ECS_PIPELINES_TASK_EVENTS_QUEUE_URL set (`make ui` sets it) steps wait on task events.
    On the embedded ECS with no endpoint known yet (`dagster dev` run directly), it finds the
    checkout's server when first used, and never falls back to AWS (``checkout_resource.py``)."""
    unknown_endpoint = target.name == "local" and not target.endpoint_url and not target.task_role
    resource_type = CheckoutEcsResource if unknown_endpoint else EcsResource
    config = resource_config(
        target,
        code_task_definitions=code_task_definitions(target),
        task_events_queue_url=os.environ.get("ECS_PIPELINES_TASK_EVENTS_QUEUE_URL") or None,
    )
    return resource_type(**config)  # type: ignore[arg-type]


target = target_from_env()
report_job = build_report_job(target.description)
completion_report_job = build_completion_report_job(target.description)

# Running by default, so that `make ui` shows detached work finishing without a toggle.
detached_export_sensor = ecs_detached_asset_sensor(
    detached_export,
    name="ecs_detached_export_sensor",
    minimum_interval_seconds=10,
    default_status=DefaultSensorStatus.RUNNING,
    # Each sensor reads its own queue (`make ui` creates them); unset, it polls.
    task_events_queue_url=EnvVar("ECS_PIPELINES_DETACHED_SENSOR_QUEUE_URL"),
)
nightly_export_sensor = ecs_task_completion_sensor(
    "ecs_nightly_export_sensor",
    started_by=NIGHTLY_EXPORT_STARTED_BY,
    job=completion_report_job,
    failure_job=completion_report_job,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    task_events_queue_url=EnvVar("ECS_PIPELINES_COMPLETION_SENSOR_QUEUE_URL"),
    description="Starts ecs_completion_report_job when a task with startedBy nightly-export "
    "ends, however it was launched (ecs_nightly_export_job, EventBridge, the console).",
)


def yaml_definitions() -> Definitions:
    """The assets declared in YAML (demo/defs/*/defs.yaml, EcsTaskComponent), as `dg` loads
    them, with their component tree.

    Built from the defs folder rather than the tree's root: at the root Dagster also adds a
    catalogue of every installed component type (JSON schemas and sample YAML of about twenty
    types) as repository metadata. Nothing in Dagster's webserver or daemon reads it, and it
    cost about 0.5 s of CPU in every process that loads this code location: each run worker and
    each step process of every run.
    """
    # Dagster marks the component loader preview/beta; those warnings are not the user's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        warnings.simplefilter("ignore", PreviewWarning)
        tree = ComponentTree.from_module(
            defs_module=yaml_defs_module, project_root=Path(__file__).resolve().parents[2]
        )
        defs_folder = Path(yaml_defs_module.__path__[0])
        return Definitions.merge(tree.build_defs(defs_folder), Definitions(component_tree=tree))


defs = Definitions.merge(
    Definitions(
        assets=DEMO_ASSETS,
        jobs=[
            report_job,
            build_exec_job(target.description),
            daily_assets_job,
            build_nightly_export_job(target.description),
            completion_report_job,
            build_executor_job(target.description),
        ],
        schedules=[daily_report_schedule(report_job)],
        # The cleanup sensors stop tasks that a failed or canceled run left running.
        sensors=[detached_export_sensor, nightly_export_sensor, *ecs_orphaned_task_sensors()],
        resources={"ecs": demo_resource(target)},
    ),
    yaml_definitions(),
)
