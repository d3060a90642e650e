"""Task output held by the embedded ECS is bounded: a chatty task does not grow the server
without end, the oldest lines go first, readers keep their place and are told what was dropped.

Each test runs a server of its own (``start_dedicated_server``): memory is measured apart from
the shared one, and small bounds are set for it.
"""

from __future__ import annotations

from pathlib import Path

from ecs_pipelines.demo.seed import DEMO_CLUSTER, DEMO_LOG_GROUP, DEMO_REGION
from ecs_pipelines.ecs.logs import LogStreamRef, LogTail, last_lines
from ecs_pipelines.ecs.logs.links import EmbeddedEcsLinks
from ecs_pipelines.local.rules import MIB, LogLimits
from ecs_pipelines_tests.local.dedicated import StartServer
from ecs_pipelines_tests.local.local_ecs_tools import describe, run_task, wait_for_status
from ecs_pipelines_tests.support.browser import browser_page
from ecs_pipelines_tests.support.polling import wait_until

# What the server may grow by beyond its bound on held output: transient buffers of the reads
# and writes, and the allocator's free lists (the unbounded server grew by ~320 MiB here).
MARGIN_MIB = 48

# Numbered 100-character lines as fast as Python writes them, for 10 s, then "last line".
CHATTY = (
    "import sys, time\n"
    "end, n, write = time.time() + 10, 0, sys.stdout.write\n"
    "while time.time() < end:\n"
    "    for _ in range(1000):\n"
    "        write(f'{n:012d} ' + 'x' * 87 + '\\n')\n"
    "        n += 1\n"
    "print('last line', flush=True)\n"
)


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` (VmRSS), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def stream_of(task_arn: str, container: str = "main") -> LogStreamRef:
    stream = f"ecs/{container}/{task_arn.rsplit('/', 1)[-1]}"
    return LogStreamRef(container, DEMO_LOG_GROUP, stream, DEMO_REGION)


def numbered(command_lines: int, *, wait_for: Path | None = None, then: int = 0) -> list[str]:
    """A command printing lines "line 0", "line 1"... (``command_lines`` of them; when
    ``wait_for`` is given, ``then`` more once that file exists)."""
    source = "import os, time\n"
    source += f"for n in range({command_lines}): print(f'line {{n}}')\n"
    if wait_for is not None:
        source += "import sys; sys.stdout.flush()\n"
        source += f"while not os.path.exists({str(wait_for)!r}): time.sleep(0.05)\n"
        source += f"for n in range({command_lines}, {command_lines + then}): print(f'line {{n}}')\n"
    return ["python", "-c", source]


def line_numbers(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines]


def test_a_chatty_task_grows_the_server_no_more_than_its_bound_on_output(
    start_dedicated_server: StartServer,
) -> None:
    """A task printing as fast as it can for 10 s grows the embedded ECS by no more than the
    bound on held task output (plus a margin), while it runs and after it stopped; the log page
    shows the newest lines and says how many earlier ones were dropped."""
    with start_dedicated_server() as server:
        ecs = server.client("ecs")
        warm_up = run_task(ecs, command=["python", "-c", "print('warm up')"])
        wait_for_status(ecs, warm_up["taskArn"], "STOPPED")
        baseline = rss_mib(server.pid)
        allowed = baseline + LogLimits().total_bytes / MIB + MARGIN_MIB
        arn = run_task(ecs, command=["python", "-c", CHATTY])["taskArn"]
        samples: list[float] = []

        def stopped() -> bool:
            samples.append(rss_mib(server.pid))
            return bool(describe(ecs, arn)["lastStatus"] == "STOPPED")

        wait_until(stopped, timeout=60, interval=0.2, what="the chatty task to stop")
        after = rss_mib(server.pid)
        assert max(samples) <= allowed, (
            f"the server grew from {baseline:.0f} MiB to {max(samples):.0f} MiB while the task "
            f"ran (allowed {allowed:.0f} MiB)"
        )
        assert after <= allowed, f"{after:.0f} MiB after the task stopped (from {baseline:.0f})"

        with browser_page() as page:
            page.goto(
                EmbeddedEcsLinks(server.endpoint_url, DEMO_REGION).logs(
                    DEMO_CLUSTER, arn, stream_of(arn)
                )
            )
            # A selector, not a script: the page's CSP allows no eval.
            page.wait_for_selector("#state:has-text('Task stopped:')", timeout=30_000)
            notice = page.text_content("#dropped") or ""
            assert "earlier lines were dropped" in notice, notice
            shown = (page.text_content("#lines") or "").splitlines()
            assert shown[-1] == "last line"
            assert "lines were dropped" in shown[0]  # the place of the gap, in the lines


def test_a_reader_keeps_its_place_while_the_oldest_lines_are_dropped(
    start_dedicated_server: StartServer, tmp_path: Path
) -> None:
    """A reader that read every line so far, and kept its forward token while the oldest lines
    were dropped, reads on from the next line: none skipped, none twice. Read from the head,
    the stream starts at the oldest line still held; read backwards, it ends in order."""
    go = tmp_path / "go"
    limits = ["--log-stream-bytes", str(MIB), "--log-total-bytes", str(2 * MIB)]
    with start_dedicated_server(*limits) as server:
        ecs, logs = server.client("ecs"), server.client("logs")
        # 3,000 lines fit within 1 MiB; 2,000 more take the stream past it.
        arn = run_task(ecs, command=numbered(3000, wait_for=go, then=2000))["taskArn"]
        tail = LogTail(logs, stream_of(arn))
        read: list[str] = []
        wait_until(lambda: read.extend(tail.poll()) or len(read) >= 3000, what="3,000 lines")
        go.touch()
        wait_for_status(ecs, arn, "STOPPED", timeout=30)
        read += tail.poll()
        assert tail.at_end and tail.complete

        assert line_numbers(read) == list(range(5000))
        head = logs.get_log_events(
            logGroupName=DEMO_LOG_GROUP, logStreamName=stream_of(arn).stream, startFromHead=True
        )
        held = line_numbers([e["message"] for e in head["events"]])
        assert held[0] > 0, "the oldest lines were not dropped"
        assert held == list(range(held[0], 5000))
        assert line_numbers(last_lines(logs, stream_of(arn), 2000)) == list(range(3000, 5000))
        stream_name = stream_of(arn).stream
        said = [line for line in server.server_log().splitlines() if stream_name in line]
        assert len(said) == 1 and "dropping" in said[0], said


def test_past_the_total_bound_the_oldest_output_of_every_stream_goes_first(
    start_dedicated_server: StartServer,
) -> None:
    """When all streams together pass the total bound, the oldest lines go first: those of a
    task that stopped earlier, while a later task's stream keeps every line."""
    limits = ["--log-stream-bytes", str(MIB), "--log-total-bytes", str(5 * MIB // 4)]
    with start_dedicated_server(*limits) as server:
        ecs, logs = server.client("ecs"), server.client("logs")
        arns = []
        for _ in range(2):  # 3,000 lines each: within 1 MiB, together past 1.25 MiB
            arns.append(run_task(ecs, command=numbered(3000))["taskArn"])
            wait_for_status(ecs, arns[-1], "STOPPED", timeout=30)
        earlier, later = (
            line_numbers(
                [
                    e["message"]
                    for e in logs.get_log_events(
                        logGroupName=DEMO_LOG_GROUP,
                        logStreamName=stream_of(arn).stream,
                        startFromHead=True,
                    )["events"]
                ]
            )
            for arn in arns
        )
        assert later == list(range(3000))
        assert earlier[0] > 0 and earlier == list(range(earlier[0], 3000))
