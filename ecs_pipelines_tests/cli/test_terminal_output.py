"""What `logs` and `describe` print on a real pseudo-terminal: control characters from a task's
log lines and from API fields (a stop reason anyone allowed to stop the task sets) are shown
escaped, so they cannot retitle the window, clear the screen or rewrite a line; --raw prints
them as they are."""

from __future__ import annotations

import os
import sys
import threading
import tty

import pytest
from click.testing import CliRunner

from ecs_pipelines.cli.main import main
from ecs_pipelines.integration.resource import EcsResource
from ecs_pipelines.local import LocalEcs
from ecs_pipelines_tests.conftest import make_resource
from ecs_pipelines_tests.support.polling import wait_until

# OSC 0 (window title), ED 2 (clear screen), the 8-bit CSI, DEL and a carriage return that
# would rewrite the line from its start.
HOSTILE = "title \x1b]0;pwned\x07 clear \x1b[2J csi \x9b2J del \x7f then\rrewritten"
ESCAPED = "title \\x1b]0;pwned\\x07 clear \\x1b[2J csi \\x9b2J del \\x7f then\\rrewritten"
CONTROLS = ("\x1b", "\x07", "\x9b", "\x7f", "\r")


@pytest.fixture(scope="module")
def resource(local_ecs: LocalEcs) -> EcsResource:
    return make_resource(local_ecs, poll_interval_seconds=0.2)


def stopped(resource: EcsResource, arn: str) -> None:
    def done() -> bool:
        return bool(resource.describe_tasks([arn])[0]["lastStatus"] == "STOPPED")

    wait_until(done, what=f"task {arn} to stop")


@pytest.fixture(scope="module")
def hostile_line(resource: EcsResource) -> str:
    """A finished task that printed the hostile line."""
    [arn] = resource.run_task(
        command=[sys.executable, "-c", "import sys; print(sys.argv[1])", HOSTILE]
    )
    stopped(resource, arn)
    return arn


@pytest.fixture(scope="module")
def hostile_reason(resource: EcsResource) -> str:
    """A task stopped with the hostile text as its stop reason."""
    [arn] = resource.run_task(command=[sys.executable, "-c", "import time; time.sleep(60)"])
    resource.stop_task(arn, reason=HOSTILE)
    stopped(resource, arn)
    return arn


def on_terminal(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """Runs the command in this process with its standard output on a pseudo-terminal, and
    returns its exit status and what the terminal received."""
    leader, follower = os.openpty()
    tty.setraw(follower)  # the bytes as written: no newline translation
    received = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the other side closed
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    terminal = open(follower, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    code: int | str | None = None
    try:
        assert terminal.isatty()
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", terminal)
            try:
                main.main(list(args), prog_name="ecs-pipelines")
            except SystemExit as end:
                code = end.code
    finally:
        terminal.close()
        reader.join(timeout=10)
        os.close(leader)
    return int(code or 0), received.decode("utf-8")


@pytest.fixture
def endpoint(local_ecs: LocalEcs) -> list[str]:
    return ["--endpoint-url", local_ecs.endpoint_url]


def test_logs_on_a_terminal_show_control_characters_escaped(
    monkeypatch: pytest.MonkeyPatch, hostile_line: str, endpoint: list[str]
) -> None:
    """A log line's escape sequences, DEL, C1 and lone carriage return reach the terminal as
    visible escapes (\\x1b, \\r), never as control characters."""
    code, shown = on_terminal(monkeypatch, "logs", hostile_line, *endpoint)
    assert code == 0, shown
    assert shown == ESCAPED + "\n"
    assert not any(c in shown for c in CONTROLS)


def test_logs_raw_on_a_terminal_prints_the_line_as_it_is(
    monkeypatch: pytest.MonkeyPatch, hostile_line: str, endpoint: list[str]
) -> None:
    """`logs --raw` writes the task's bytes to the terminal untouched."""
    code, shown = on_terminal(monkeypatch, "logs", hostile_line, "--raw", *endpoint)
    assert code == 0, shown
    assert shown == HOSTILE + "\n"


def test_describe_on_a_terminal_shows_a_stop_reason_escaped(
    monkeypatch: pytest.MonkeyPatch, hostile_reason: str, endpoint: list[str]
) -> None:
    """A stop reason carrying escape sequences is shown escaped by `describe` on a terminal."""
    code, shown = on_terminal(monkeypatch, "describe", hostile_reason, *endpoint)
    assert code == 0, shown
    assert f"Stopped reason:  {ESCAPED}\n" in shown
    assert not any(c in shown for c in CONTROLS)


def test_describe_raw_on_a_terminal_prints_the_stop_reason_as_it_is(
    monkeypatch: pytest.MonkeyPatch, hostile_reason: str, endpoint: list[str]
) -> None:
    """`describe --raw` writes API fields to the terminal untouched."""
    code, shown = on_terminal(monkeypatch, "describe", hostile_reason, "--raw", *endpoint)
    assert code == 0, shown
    assert f"Stopped reason:  {HOSTILE}\n" in shown


def test_output_that_is_not_a_terminal_is_escaped_too(
    hostile_line: str, hostile_reason: str, endpoint: list[str]
) -> None:
    """Piped output (a file, `less -R`, `tee` to a terminal) is escaped the same way; --raw
    is the way to the exact text."""
    logs = CliRunner().invoke(main, ["logs", hostile_line, *endpoint])
    assert logs.exit_code == 0, logs.output
    assert logs.stdout == ESCAPED + "\n"
    described = CliRunner().invoke(main, ["describe", hostile_reason, *endpoint])
    assert f"Stopped reason:  {ESCAPED}\n" in described.stdout
    stop = CliRunner().invoke(main, ["stop", hostile_reason, *endpoint])
    assert f"had already stopped (UserInitiated: {ESCAPED})" in stop.stdout
    raw = CliRunner().invoke(main, ["logs", hostile_line, "--raw", *endpoint])
    assert raw.stdout == HOSTILE + "\n"
