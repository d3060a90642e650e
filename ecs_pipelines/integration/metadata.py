"""Pure: Dagster metadata and messages describing ECS tasks (links, exit codes, failures)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import MetadataValue

from ecs_pipelines.ecs.common import cluster_name, is_loopback, task_id
from ecs_pipelines.ecs.logs import LogStreamRef, TaskLinks
from ecs_pipelines.ecs.tasks import EcsTaskResult

# Where a task ran (capacity_fallback may have moved it), as DescribeTasks says; the tasks a
# step relaunched after an interruption.
CAPACITY_KEY = "ecs/capacity"
ATTEMPTS_KEY = "ecs/attempts"


def capacity_of(task: Mapping[str, Any]) -> str | None:
    """The capacity a described task runs on: its capacity provider, else its launch type."""
    if task.get("capacityProviderName"):
        return str(task["capacityProviderName"])
    return f"launch type {task['launchType']}" if task.get("launchType") else None


def launch_metadata(
    *, links: TaskLinks, cluster: str, task_arn: str, log_refs: Sequence[LogStreamRef]
) -> dict[str, Any]:
    """What the run log shows as soon as a task exists: its ARN and clickable links (the AWS
    console, or the embedded ECS's own pages)."""
    metadata: dict[str, Any] = {
        "task_arn": MetadataValue.text(task_arn),
        "task_console": MetadataValue.url(links.task(cluster, task_arn)),
    }
    for ref in log_refs:
        metadata[f"logs_{ref.container}"] = MetadataValue.url(links.logs(cluster, task_arn, ref))
    return metadata


def exec_hint(
    region: str, cluster: str, task_arn: str, container: str, endpoint_url: str | None
) -> str:
    """The command lines that open ECS Exec in the task on the ECS in use.

    The embedded ECS answers ``ecs-pipelines exec`` (it runs one command and prints its
    output; there is no SSM session to attach a shell to). On AWS both the AWS CLI and
    ``ecs-pipelines exec`` open an interactive shell through session-manager-plugin.
    """
    ours = ["ecs-pipelines", "exec"]
    if endpoint_url:
        ours += ["--endpoint-url", endpoint_url]
    ours += ["--cluster", cluster_name(cluster), task_id(task_arn), "--container", container]
    if is_loopback(endpoint_url):
        command = shlex.join([*ours, "--", "sh", "-c", "hostname; pwd; ls"])
        return f"ECS Exec is enabled; run a command in the task with:\n{command}"
    aws = ["aws", "ecs", "execute-command", "--region", region, "--cluster", cluster_name(cluster)]
    aws += ["--task", task_arn, "--container", container, "--interactive", "--command", "/bin/sh"]
    if endpoint_url:
        aws += ["--endpoint-url", endpoint_url]
    return (
        "ECS Exec is enabled; open a shell in the task with:\n"
        f"{shlex.join(aws)}\nor: {shlex.join([*ours, '--', '/bin/sh'])}"
    )


def result_metadata(
    results: Sequence[EcsTaskResult],
    *,
    links: TaskLinks,
    cluster: str,
    log_refs: Mapping[str, Sequence[LogStreamRef]],
) -> dict[str, Any]:
    """Materialisation / output metadata for finished tasks."""
    if len(results) == 1:
        return _one_result(results[0], links=links, cluster=cluster, log_refs=log_refs)
    capacities = sorted({c for c in (capacity_of(r.task) for r in results) if c})
    return {
        CAPACITY_KEY: MetadataValue.text(", ".join(capacities)),
        "task_arns": MetadataValue.json([r.task_arn for r in results]),
        "exit_codes": MetadataValue.json({r.task_id: dict(r.exit_codes) for r in results}),
        "stop_codes": MetadataValue.json({r.task_id: r.stop_code for r in results}),
        "duration_seconds": MetadataValue.float(max((r.duration_seconds or 0.0) for r in results)),
        "task_console": MetadataValue.url(links.task(cluster, results[0].task_arn)),
    }


def _one_result(
    result: EcsTaskResult,
    *,
    links: TaskLinks,
    cluster: str,
    log_refs: Mapping[str, Sequence[LogStreamRef]],
) -> dict[str, Any]:
    metadata = launch_metadata(
        links=links,
        cluster=cluster,
        task_arn=result.task_arn,
        log_refs=log_refs.get(result.task_arn, ()),
    )
    metadata["exit_codes"] = MetadataValue.json(dict(result.exit_codes))
    metadata["last_status"] = MetadataValue.text(result.last_status)
    metadata[CAPACITY_KEY] = MetadataValue.text(capacity_of(result.task) or "")
    if result.stop_code:
        metadata["stop_code"] = MetadataValue.text(result.stop_code)
    if result.duration_seconds is not None:
        metadata["duration_seconds"] = MetadataValue.float(round(result.duration_seconds, 3))
    for field in ("cpu", "memory"):
        if result.task.get(field):
            metadata[field] = MetadataValue.text(str(result.task[field]))
    if not result.log_lines_complete:
        metadata["logs_incomplete"] = MetadataValue.bool(True)
    return metadata


def attempt_metadata(attempts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The tasks a step relaunched after an interruption, each with the one that replaced
    it (none: no key)."""
    if not attempts:
        return {}
    return {ATTEMPTS_KEY: MetadataValue.json([dict(a) for a in attempts])}


def failure_description(
    failed: Sequence[EcsTaskResult], last_lines: Mapping[str, Sequence[str]]
) -> str:
    """Readable text for a Dagster Failure: stopCode, reason, exit codes, last log lines."""
    parts = []
    for result in failed:
        codes = ", ".join(f"{name}={code}" for name, code in sorted(result.exit_codes.items()))
        lines = last_lines.get(result.task_arn, [])
        block = [
            f"ECS task {result.task_arn} failed: {result.reason}",
            f"  stopCode: {result.stop_code or '-'}",
            f"  stoppedReason: {result.stopped_reason or '-'}",
            f"  exit codes: {codes or 'none'}",
        ]
        if lines:
            block.append(f"  last {len(lines)} log lines:")
            block.extend(f"    {line}" for line in lines)
        parts.append("\n".join(block))
    return "\n\n".join(parts)


def failure_metadata(
    failed: Sequence[EcsTaskResult], last_lines: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    first = failed[0]
    return {
        "task_arn": MetadataValue.text(first.task_arn),
        "stop_code": MetadataValue.text(first.stop_code or ""),
        "stopped_reason": MetadataValue.text(first.stopped_reason or ""),
        "exit_codes": MetadataValue.json({r.task_id: dict(r.exit_codes) for r in failed}),
        "log_tail": MetadataValue.md(
            "```\n" + "\n".join(last_lines.get(first.task_arn, [])) + "\n```"
        ),
    }


# --- detached launches ----------------------------------------------------------------------

# The asset check a detached ECS asset carries: the completion sensor evaluates it when the
# task ends, so a failed task shows on the asset (and can be alerted on) without a failed run.
ECS_TASK_CHECK = "ecs_task_succeeded"
# Metadata key that marks an AssetObservation as the durable record of a detached launch.
LAUNCH_RECORD_KEY = "ecs_detached_launch"


def detached_launch_metadata(
    *,
    links: TaskLinks,
    cluster: str,
    task_arns: Sequence[str],
    log_refs: Mapping[str, Sequence[LogStreamRef]],
) -> dict[str, Any]:
    """What a detached step records: links for the first task, and every task to watch."""
    metadata = launch_metadata(
        links=links,
        cluster=cluster,
        task_arn=task_arns[0],
        log_refs=log_refs.get(task_arns[0], ()),
    )
    metadata["task_arns"] = MetadataValue.json(list(task_arns))
    metadata["cluster"] = MetadataValue.text(cluster)
    metadata[LAUNCH_RECORD_KEY] = MetadataValue.bool(True)
    return metadata


def launch_record(metadata: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    """(cluster, task ARNs) of a detached launch's metadata; None for any other record."""

    def value(key: str) -> Any:
        item = metadata.get(key)
        return getattr(item, "value", item)

    arns, cluster = value("task_arns"), value("cluster")
    if value(LAUNCH_RECORD_KEY) is not True or not isinstance(cluster, str) or not arns:
        return None
    if not isinstance(arns, list) or not all(isinstance(a, str) for a in arns):
        return None
    return cluster, list(arns)


def completion_config(result: EcsTaskResult, cluster: str) -> dict[str, Any]:
    """Run config of one finished task, as the ``ecs_completion_report`` op accepts it."""
    return {
        "task_arn": result.task_arn,
        "cluster": cluster,
        "succeeded": result.succeeded,
        "lost": result.lost,
        "last_status": result.last_status,
        "stop_code": result.stop_code,
        "stopped_reason": result.stopped_reason,
        "exit_codes": dict(result.exit_codes),
        "reason": result.reason,
    }
