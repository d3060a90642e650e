"""Tasks run as host processes: lifecycle, exit codes, logs, StopTask, start failures."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ecs_pipelines.demo.seed import DEMO_CLUSTER
from ecs_pipelines_tests.local.local_ecs_tools import (
    daemonizing_command,
    describe,
    log_messages,
    pids_from_log,
    process_gone,
    register,
    run_task,
    unique,
    wait_for_container_status,
    wait_for_status,
)
from ecs_pipelines_tests.support.polling import wait_until

SLEEPER = [
    "python",
    "-c",
    "import os, time; print('pid', os.getpid(), flush=True); time.sleep(60)",
]


def test_exit_code_and_logs_reach_describe_and_cloudwatch(
    ecs_client: Any, logs_client: Any
) -> None:
    """A task that prints and exits 3 ends STOPPED, exitCode 3, and its lines are in its stream."""
    script = "import sys; print('line one'); print('line two', file=sys.stderr); sys.exit(3)"
    task = run_task(ecs_client, command=["python", "-c", script])
    assert task["lastStatus"] == "PROVISIONING"
    assert task["desiredStatus"] == "RUNNING"

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")

    container = stopped["containers"][0]
    assert container["exitCode"] == 3
    assert container["lastStatus"] == "STOPPED"
    assert container["name"] == "main"
    assert len(container["runtimeId"]) == 64
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert stopped["desiredStatus"] == "STOPPED"
    for field in ("createdAt", "startedAt", "stoppingAt", "stoppedAt"):
        assert field in stopped, field
    assert stopped["createdAt"] <= stopped["startedAt"] <= stopped["stoppedAt"]
    # Read right after STOPPED: every line must already be there.
    assert sorted(log_messages(logs_client, task["taskArn"])) == ["line one", "line two"]


def test_running_task_shows_running_and_logs_as_they_appear(
    ecs_client: Any, logs_client: Any
) -> None:
    """While the process runs the task is RUNNING and already-printed lines are readable."""
    task = run_task(ecs_client, command=SLEEPER)
    pids_from_log(logs_client, task["taskArn"], "pid")
    running = describe(ecs_client, task["taskArn"])
    assert running["lastStatus"] == "RUNNING"
    assert running["containers"][0]["lastStatus"] == "RUNNING"
    assert "exitCode" not in running["containers"][0]
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
    wait_for_status(ecs_client, task["taskArn"], "STOPPED")


def test_stop_task_terminates_the_process(ecs_client: Any, logs_client: Any) -> None:
    """StopTask: desiredStatus STOPPED at once, the process ends, UserInitiated with the reason."""
    task = run_task(ecs_client, command=SLEEPER)
    pid = pids_from_log(logs_client, task["taskArn"], "pid")["pid"]

    response = ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"], reason="enough")
    assert response["task"]["desiredStatus"] == "STOPPED"

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "enough"
    assert stopped["containers"][0]["exitCode"] == 143
    assert process_gone(pid)


def test_stop_task_without_reason_uses_the_ecs_default(ecs_client: Any, logs_client: Any) -> None:
    """StopTask without a reason reports ECS's default stoppedReason."""
    task = run_task(ecs_client, command=SLEEPER)
    pids_from_log(logs_client, task["taskArn"], "pid")
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stoppedReason"] == "Task stopped by user"


def test_sigkill_after_stop_timeout(ecs_client: Any, logs_client: Any) -> None:
    """A process ignoring SIGTERM is SIGKILLed after the container's stopTimeout (exit 137)."""
    script = (
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('pid', os.getpid(), flush=True); time.sleep(60)"
    )
    family = register(
        ecs_client, [{"name": "main", "command": ["python", "-c", script], "stopTimeout": 1}]
    )
    task = run_task(ecs_client, family=family)
    pid = pids_from_log(logs_client, task["taskArn"], "pid")["pid"]
    started = time.monotonic()
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"], reason="kill it")

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED", timeout=10)
    assert time.monotonic() - started >= 0.9
    assert stopped["containers"][0]["exitCode"] == 137
    assert stopped["stopCode"] == "UserInitiated"
    assert process_gone(pid)


def test_missing_executable_fails_to_start(ecs_client: Any) -> None:
    """A command whose executable does not exist: TaskFailedToStart, CannotStartContainerError."""
    task = run_task(ecs_client, command=["no-such-executable-xyz", "--flag"])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert stopped["stoppedReason"].startswith("CannotStartContainerError:")
    container = stopped["containers"][0]
    assert container["reason"].startswith("CannotStartContainerError:")
    assert "no-such-executable-xyz" in container["reason"]
    assert "exitCode" not in container


def test_environment_overrides_reach_the_process(ecs_client: Any, logs_client: Any) -> None:
    """Container environment plus RunTask overrides (overrides win) reach the process; PATH
    starts with this interpreter's directory."""
    family = register(
        ecs_client,
        [
            {
                "name": "main",
                "command": [
                    "python",
                    "-c",
                    "import os; print(os.environ['A'], os.environ['B'], os.environ['PATH'])",
                ],
                "environment": [{"name": "A", "value": "a-def"}, {"name": "B", "value": "b-def"}],
            }
        ],
    )
    task = run_task(ecs_client, family=family, environment={"B": "b-override"})
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0
    [line] = log_messages(logs_client, task["taskArn"])
    a, b, path = line.split(" ", 2)
    assert (a, b) == ("a-def", "b-override")
    assert path.split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_non_essential_sidecar_exit_does_not_stop_the_task(ecs_client: Any) -> None:
    """The sidecar demo: the non-essential container exits 1, the task keeps running until the
    essential one exits 0; both exit codes are reported."""
    task = run_task(ecs_client, family="ecs-pipelines-sidecar", command=None)

    while_sidecar_done = wait_for_container_status(
        ecs_client, task["taskArn"], "sidecar", "STOPPED"
    )
    assert while_sidecar_done["lastStatus"] == "RUNNING"

    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    exit_codes = {c["name"]: c.get("exitCode") for c in stopped["containers"]}
    assert exit_codes == {"main": 0, "sidecar": 1}
    assert stopped["stopCode"] == "EssentialContainerExited"


@pytest.mark.parametrize(
    "placement",
    [
        {"launchType": "FARGATE"},
        {"launchType": None},
        {"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]},
        {"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]},
        {"launchType": "EC2"},
    ],
    ids=["fargate", "default", "fargate-spot", "fargate-provider", "ec2"],
)
def test_every_launch_type_runs_the_task(ecs_client: Any, placement: dict[str, Any]) -> None:
    """FARGATE, the cluster default, capacity providers and EC2 all run the task to exit 0."""
    task = run_task(ecs_client, **placement)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0
    expected = "EC2" if placement.get("launchType") == "EC2" else "FARGATE"
    assert stopped["launchType"] == expected


def test_fifty_concurrent_tasks(ecs_client: Any) -> None:
    """50 short tasks launched from parallel RunTask calls all reach STOPPED with exit 0."""
    started_by = unique("load")
    with ThreadPoolExecutor(max_workers=8) as pool:
        tasks = list(
            pool.map(
                lambda i: run_task(
                    ecs_client, command=["python", "-c", f"print({i})"], startedBy=started_by
                ),
                range(50),
            )
        )
    arns = [t["taskArn"] for t in tasks]
    assert len(set(arns)) == 50

    def all_stopped() -> list[dict[str, Any]] | None:
        found = ecs_client.describe_tasks(cluster=DEMO_CLUSTER, tasks=arns)["tasks"]
        return found if all(t["lastStatus"] == "STOPPED" for t in found) else None

    stopped = wait_until(all_stopped, timeout=40, interval=0.2, what="50 tasks to stop")
    assert [t["containers"][0]["exitCode"] for t in stopped] == [0] * 50


@pytest.mark.parametrize(
    ("environment", "command"),
    [
        ({"BAD=NAME": "x"}, ["python", "-c", "pass"]),
        ({"HAS_NUL": "a\x00b"}, ["python", "-c", "pass"]),
        (None, ["python", "-c", "print('a\x00b')"]),
    ],
    ids=["equals-in-env-name", "nul-in-env-value", "nul-in-argument"],
)
def test_container_that_cannot_be_spawned_fails_to_start(
    ecs_client: Any, environment: dict[str, str] | None, command: list[str]
) -> None:
    """A container the host cannot spawn stops the task: TaskFailedToStart, CannotStartContainer."""
    task = run_task(ecs_client, command=command, environment=environment)
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    container = stopped["containers"][0]
    assert container["reason"].startswith("CannotStartContainerError")
    assert "exitCode" not in container


def test_daemon_that_left_the_session_dies_with_a_stopped_task(
    ecs_client: Any, logs_client: Any
) -> None:
    """StopTask ends every process of the container, also one that called setsid."""
    task = run_task(ecs_client, command=daemonizing_command(exit_main=False))
    pids = pids_from_log(logs_client, task["taskArn"], "main", "daemon")
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 143
    wait_until(lambda: all(process_gone(p) for p in pids.values()), what=f"{pids} to be gone")


def test_daemon_that_left_the_session_dies_when_the_main_process_exits(
    ecs_client: Any, logs_client: Any
) -> None:
    """When the main process exits, its daemonised descendants die too (the container ends)."""
    task = run_task(ecs_client, command=daemonizing_command(exit_main=True))
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0
    pids = pids_from_log(logs_client, task["taskArn"], "main", "daemon")
    wait_until(lambda: process_gone(pids["daemon"]), what="the daemon to be gone")


_CHILD = """
import os, signal, sys, time
def on_term(signum, frame):
    os.write(1, b'child: SIGTERM\\n')
def on_usr1(signum, frame):
    os.write(1, b'child: stopping for main\\n')
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGUSR1, on_usr1)
print('child: ready', flush=True)
while True:
    time.sleep(1)
"""

_MAIN_WITH_CHILD = f"""
import os, signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, '-c', {_CHILD!r}])
def on_term(signum, frame):
    os.write(1, b'main: SIGTERM\\n')
    child.send_signal(signal.SIGUSR1)
    child.wait()
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print('main: ready', flush=True)
time.sleep(60)
"""


def test_stop_task_sends_sigterm_to_the_main_process_only(
    ecs_client: Any, logs_client: Any
) -> None:
    """StopTask signals the container's main process, not its children (as Docker does): the
    main process stops its child itself, which sees no second interrupt."""
    task = run_task(ecs_client, command=["python", "-c", _MAIN_WITH_CHILD])
    wait_until(
        lambda: {"main: ready", "child: ready"} <= set(log_messages(logs_client, task["taskArn"])),
        what="main and child to be ready",
    )
    ecs_client.stop_task(cluster=DEMO_CLUSTER, task=task["taskArn"])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0
    messages = log_messages(logs_client, task["taskArn"])
    assert "main: SIGTERM" in messages
    assert "child: stopping for main" in messages
    assert not any("child: SIGTERM" in m for m in messages), messages


def test_command_the_kernel_cannot_execute_fails_to_start(ecs_client: Any, tmp_path: Path) -> None:
    """A command found on disk that cannot be executed (missing interpreter) fails the task to
    start with the system's reason, as Docker reports an exec failure."""
    script = tmp_path / "tool"
    script.write_text("#!/no/such/interpreter\n")
    script.chmod(0o755)
    task = run_task(ecs_client, command=[str(script)])
    stopped = wait_for_status(ecs_client, task["taskArn"], "STOPPED")
    assert stopped["stopCode"] == "TaskFailedToStart"
    container = stopped["containers"][0]
    assert container["reason"] == (
        f'CannotStartContainerError: exec: "{script}": No such file or directory'
    )
    assert "exitCode" not in container
