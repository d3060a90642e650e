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
from benchmarks.capacity_scenario import capacity_rows
from benchmarks.completion_scenario import completion_rows
from benchmarks.event_scenarios import log_rows, sensor_rows, wait_rows
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
    "(what `EcsResource.wait_for_tasks` runs) and `ecs_pipelines.ecs.launching.fanout`. Theirs: "
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
    "Scenarios 6-8 (`benchmarks/event_scenarios.py`): the scripted endpoint also plays an "
    "EventBridge rule's SQS queue (each task sends ECS-shaped 'ECS Task State Change' events: "
    "PENDING, RUNNING 50 ms later, STOPPED at its stop time; `scripted_events.py`) and "
    "CloudWatch Logs (each task writes a line every 0.2 s; `scripted_logs.py`). † theirs in "
    "these rows is this project's own polling or per-stream reading on the same tasks in the "
    "same run (PipesECSClient has no event source and cannot wait for 10,000 tasks in one op; "
    "its scenario 1 rows above are from this run too).",
    "Scenario 6: 10,000 tasks launched 10 per RunTask with staggered stop times (lead and "
    "spread scaled by 0.4), waited for by one TaskWatcher with the resource's defaults "
    "(sweep every 300 s, silence bound 60 s). 'After the event is queued': the result in hand "
    "minus the time the endpoint put the task's STOPPED event on the queue. A STOPPED event "
    "is a hint: the stops events tell are confirmed by DescribeTasks before they are reported, "
    "gathered until 100 wait or 0.1 s after the first (those calls are in 'DescribeTasks / "
    "task, sweeps excluded').",
    "Scenario 7: 10,000 tasks in groups of 10 tracked by the core of the detached sensor "
    "(`tracking_events.tick_with_events`, cursor encoded and decoded each tick); warm-up ticks "
    "keep up with the PENDING and RUNNING events, then 100 tasks end (on cue: the endpoint "
    "ends them once the warm-up is done) and one tick is timed, its DescribeTasks being the "
    "confirmation of the stops; then 5,000 end at once and the ticks needed to report them "
    "are counted (a tick reads at most 1,000 messages).",
    "Scenario 8: 100 tasks of a task definition logging with awslogs, each writing 15 lines "
    "over 3 s, followed by one TaskWatcher with a log callback, then drained; every line is "
    "counted per task.",
    "Scenario 9 (`benchmarks/completion_scenario.py`): `ecs_task_completion_sensor` watching a "
    "cluster of 10,000 running tasks, evaluated as Dagster does (`evaluate_tick`, cursor in "
    "and out); warm-up ticks find the tasks by their PENDING and RUNNING events (each task "
    "found so is described once before it is tracked), then 100 tasks end (on cue, once the "
    "warm-up is done) and one tick is timed, its DescribeTasks being the confirmation of the "
    "stops, against one tick of the same sensor without a queue (ListTasks of RUNNING and "
    "STOPPED tasks, DescribeTasks of those no longer RUNNING).",
    "Scenario 10 (`benchmarks/capacity_scenario.py`): N single-task launches from 10 threads "
    "each side, while the endpoint answers 30% of RunTask calls (seeded draw) with Fargate's "
    "'Capacity is unavailable at this time' for the first 20 s after its reset. Ours: "
    "`EcsResource.run_task` with its defaults (new token per refused attempt, full-jitter "
    "pauses from 0.5 s, capacity_retry_seconds 300). Theirs: dagster-aws's `run_ecs_task` "
    "(RetryableEcsException on no capacity) under Dagster's `backoff` with EcsRunLauncher's "
    "5 retries (0.1 s doubling, no jitter). Each launch names itself in startedBy: a "
    "duplicate is a second task of one launch.",
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
        "--only", action="append", default=[], help="run only this scenario (1..10), repeatable"
    )
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    sizes = [1, 5] if args.quick else [1, 100, 1000]
    fanout = 30 if args.quick else 1000
    tracked = 300 if args.quick else 10_000
    memory_n = 20 if args.quick else 1000
    output = args.output or (None if args.quick or args.only else RESULTS)
    launches = 50 if args.quick else 1000
    evented = 200 if args.quick else 10_000
    tailed = 10 if args.quick else 100

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
            ("6. waiting on events", lambda: wait_rows(endpoint, evented)),
            ("7. sensor tick on events", lambda: sensor_rows(endpoint, max(1000, evented))),
            ("8. batched log reads", lambda: log_rows(endpoint, tailed)),
            ("9. completion sensor on events", lambda: completion_rows(endpoint, evented)),
            ("10. no capacity for a while", lambda: capacity_rows(endpoint, launches)),
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
