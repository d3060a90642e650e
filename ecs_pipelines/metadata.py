"""Pure: Dagster metadata and messages describing ECS tasks (links, exit codes, failures)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import MetadataValue

from .ecs.logs import LogStreamRef, console_url_for_log_stream, console_url_for_task
from .ecs.results import EcsTaskResult

LOG_TAIL_LINES = 20


def launch_metadata(
    *, region: str, cluster: str, task_arn: str, log_refs: Sequence[LogStreamRef]
) -> dict[str, Any]:
    """What the run log shows as soon as a task exists: its ARN and clickable links."""
    metadata: dict[str, Any] = {
        "task_arn": MetadataValue.text(task_arn),
        "task_console": MetadataValue.url(console_url_for_task(region, cluster, task_arn)),
    }
    for ref in log_refs:
        metadata[f"logs_{ref.container}"] = MetadataValue.url(
            console_url_for_log_stream(region, ref)
        )
    return metadata


def exec_command_line(*, region: str, cluster: str, task_arn: str, container: str) -> str:
    """The exact AWS CLI line that opens a shell in the task through ECS Exec."""
    return shlex.join(
        [
            "aws",
            "ecs",
            "execute-command",
            "--region",
            region,
            "--cluster",
            cluster.rsplit("/", 1)[-1],
            "--task",
            task_arn,
            "--container",
            container,
            "--interactive",
            "--command",
            "/bin/sh",
        ]
    )


def result_metadata(
    results: Sequence[EcsTaskResult],
    *,
    region: str,
    cluster: str,
    log_refs: Mapping[str, Sequence[LogStreamRef]],
) -> dict[str, Any]:
    """Materialisation / output metadata for finished tasks."""
    if len(results) == 1:
        return _one_result(results[0], region=region, cluster=cluster, log_refs=log_refs)
    return {
        "task_arns": MetadataValue.json([r.task_arn for r in results]),
        "exit_codes": MetadataValue.json({r.task_id: dict(r.exit_codes) for r in results}),
        "stop_codes": MetadataValue.json({r.task_id: r.stop_code for r in results}),
        "duration_seconds": MetadataValue.float(max((r.duration_seconds or 0.0) for r in results)),
        "task_console": MetadataValue.url(
            console_url_for_task(region, cluster, results[0].task_arn)
        ),
    }


def _one_result(
    result: EcsTaskResult,
    *,
    region: str,
    cluster: str,
    log_refs: Mapping[str, Sequence[LogStreamRef]],
) -> dict[str, Any]:
    metadata = launch_metadata(
        region=region,
        cluster=cluster,
        task_arn=result.task_arn,
        log_refs=log_refs.get(result.task_arn, ()),
    )
    metadata["exit_codes"] = MetadataValue.json(dict(result.exit_codes))
    metadata["last_status"] = MetadataValue.text(result.last_status)
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
