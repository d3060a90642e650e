"""The CLI's waits (`run --wait`, `logs --follow`) on task state change events, and their
fallback to polling when the queue cannot be read."""

from __future__ import annotations

from click.testing import CliRunner

from ecs_pipelines.cli.main import main as cli
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.support.task_events import (
    client,
    events_queue_fixture,  # noqa: F401 (the events_queue fixture)
)

NOTICE = "Task state events unavailable"


def invoke(local_ecs: LocalEcs, *args: str) -> tuple[int, str, str]:
    command, *rest = args
    result = CliRunner().invoke(cli, [command, "--endpoint-url", local_ecs.endpoint_url, *rest])
    return result.exit_code, result.stdout, result.stderr


def test_run_wait_learns_the_end_from_the_queue(local_ecs: LocalEcs, events_queue: str) -> None:
    """`run --wait --task-events-queue-url` waits on the queue's events and reports the task."""
    code, out, err = invoke(
        local_ecs, "run", "--wait", "--task-events-queue-url", events_queue,
        "--", "python", "-c", "print('evented')",
    )  # fmt: skip
    assert code == 0, out + err
    assert "succeeded" in out and NOTICE not in err


def test_run_wait_falls_back_to_polling_and_says_so_once(
    local_ecs: LocalEcs, events_queue: str
) -> None:
    """A queue that is gone: `run --wait` says so once on stderr and still reports the task."""
    client(local_ecs, "sqs").delete_queue(QueueUrl=events_queue)
    code, out, err = invoke(
        local_ecs, "run", "--wait", "--count", "2", "--task-events-queue-url", events_queue,
        "--", "python", "-c", "print('polled')",
    )  # fmt: skip
    assert code == 0, out + err
    assert err.count(NOTICE) == 1
    assert out.count("succeeded") == 2


def test_logs_follow_ends_with_the_task_from_the_queue(
    local_ecs: LocalEcs, events_queue: str
) -> None:
    """`logs --follow` with a queue prints the lines and returns once the task's end arrives."""
    code, out, err = invoke(
        local_ecs, "run", "--", "python", "-c", "import time; print('a'); time.sleep(1); print('b')"
    )
    assert code == 0, err
    task = out.strip()
    code, out, err = invoke(
        local_ecs, "logs", task, "--follow", "--task-events-queue-url", events_queue
    )
    assert code == 0, out + err
    assert out.splitlines() == ["a", "b"]
