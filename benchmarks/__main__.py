"""``python -m benchmarks``: every scenario, a table on stdout, ``benchmarks/RESULTS.md``.

``--quick`` runs small sizes (a smoke run of the harness, figures not meaningful);
``--only 5`` runs the named scenarios only and writes no RESULTS.md unless ``--output`` says
where.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

from benchmarks import report
from benchmarks.measures import Row
from benchmarks.memory import measure_in_subprocess
from benchmarks.round_profile import profile_round
from benchmarks.scenarios import fanout_rows, watch_rows
from benchmarks.scripted_process import ScriptedEcsProcess
from benchmarks.task_definitions import task_definition_rows
from benchmarks.tick import tick_rows

RESULTS = Path(__file__).with_name("RESULTS.md")

NOTES = [
    "Backend: the scripted ECS endpoint (`benchmarks/scripted_ecs.py`) in its own process on "
    "127.0.0.1, speaking ECS's JSON 1.1 wire protocol to real boto3 clients. The embedded ECS "
    "(moto + one host process per task) cannot carry 1000 concurrent tasks and has no token "
    "buckets, so no scenario here uses it; its correctness is covered by the test suite.",
    "Ours: `EcsResource` defaults (poll interval 1 s, first poll after 0.2 s), `TaskWatcher` "
    "(what `EcsResource.wait_for_tasks` runs) and `ecs_pipelines.ecs.fanout`. Theirs: "
    "`PipesECSClient.run()` with its defaults (tasks_stopped waiter, Delay 6 s), one call per "
    "task in N threads of one op, sharing a default boto3 client; its message reader reads "
    "nothing (no CloudWatch Logs on the endpoint).",
    "Detection latency: the time a task's result is in the caller's hands minus the task's "
    "stoppedAt. Tasks stop at staggered times (after a lead covering the launches, spread over "
    "6 s + 6 ms per task).",
    "DescribeTasks / task / round (all N tracked): DescribeTasks calls of the first watch round "
    "divided by the tasks it covered; whole run: all DescribeTasks calls divided by the task "
    "descriptions they returned (the tail rounds, with few tasks left, raise ours).",
    "CPU: `time.process_time()` of the benchmark process (client side only; the endpoint runs "
    "in another process), over launch + watch.",
    "Scenario 1 has no token buckets, to compare polling alone; scenario 2 puts a 20 calls/s "
    "RunTask token bucket (burst 20) on the endpoint, which answers ThrottlingException when "
    "it is empty. 'ours unpaced' is launch_many without its pacing, relying on retries.",
    "Scenario 3: a tick is one round over every tracked task (describe in batches of 100 and "
    "decide each outcome), as TaskWatcher does per round; PipesECSClient has no sensor, so the "
    "comparison (†) is one DescribeTasks per task, as its waiter makes.",
    "Memory: each side in a fresh process tracking N tasks to completion; tracemalloc peak "
    "growth (Python allocations; thread stacks excluded) and peak VmRSS growth from "
    "/proc/self/status, both from just before the first launch, divided by N.",
    "Scenario 5: `EcsResource.run_task(task_definition_spec=...)` launches round-robin over "
    "10 task definitions described in code (new families on the endpoint), then a second "
    "resource with an empty process cache launches them again. The endpoint keeps revisions, "
    "status and tags as ECS does. † theirs is dagster-aws's EcsRunLauncher reuse check "
    "(DescribeTaskDefinition of the family, `task_definitions_match`, RegisterTaskDefinition "
    "on a mismatch) before each RunTask; PipesECSClient registers nothing.",
]


def memory_rows(endpoint: ScriptedEcsProcess, n: int) -> list[Row]:
    endpoint.reset()
    ours = measure_in_subprocess("ours", n, endpoint.endpoint_url)
    endpoint.reset()
    theirs = measure_in_subprocess("theirs", n, endpoint.endpoint_url)
    name = f"4. memory, {n} tracked tasks"
    return [
        Row(
            name,
            "tracemalloc peak growth / task",
            ours["traced"] / n,
            theirs["traced"] / n,
            unit="B",
            note="Python allocations only",
        ),
        Row(
            name,
            "VmRSS peak growth / task",
            ours["rss"] / n,
            theirs["rss"] / n,
            unit="B",
            note="includes thread stacks",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--output", type=Path, default=None, help="where to write RESULTS.md")
    parser.add_argument(
        "--only", action="append", default=[], help="run only this scenario (1..5), repeatable"
    )
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    sizes = [1, 5] if args.quick else [1, 100, 1000]
    fanout = 30 if args.quick else 1000
    tracked = 300 if args.quick else 10_000
    memory_n = 20 if args.quick else 1000
    output = args.output or (None if args.quick or args.only else RESULTS)
    launches = 50 if args.quick else 1000

    started_at = datetime.datetime.now(datetime.UTC)
    started = time.monotonic()
    rows: list[Row] = []
    with ScriptedEcsProcess() as endpoint:
        for step, run in (
            ("1. watching", lambda: watch_rows(endpoint, sizes)),
            ("2. fan-out", lambda: fanout_rows(endpoint, fanout)),
            ("3. sensor tick", lambda: tick_rows(endpoint, tracked)),
            ("4. memory", lambda: memory_rows(endpoint, memory_n)),
            ("5. task definitions", lambda: task_definition_rows(endpoint, launches, 10)),
        ):
            if args.only and step.split(".")[0] not in args.only:
                continue
            step_started = time.monotonic()
            rows += run()
            print(f"[bench] {step}: {time.monotonic() - step_started:.0f} s", file=sys.stderr)
        finding = "" if args.only else profile_round(endpoint, 50 if args.quick else 1000)
    seconds = time.monotonic() - started
    print(report.text_table(rows))
    print(f"\n{finding}\n\n(bench took {seconds:.0f} s)")
    if output is not None:
        report.write(
            output,
            report.markdown(
                rows,
                started=started_at,
                seconds=seconds,
                notes=[*NOTES, *([finding] if finding else [])],
            ),
        )
        print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
