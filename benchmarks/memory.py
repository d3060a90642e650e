"""Scenario 4: memory per tracked task, each side measured in a fresh process.

``python -m benchmarks.memory {ours|theirs} N ENDPOINT_URL`` tracks N tasks to completion and
prints one JSON line: the peak growth of Python allocations (tracemalloc) and of the
process's resident set (VmRSS in /proc/self/status, sampled every 20 ms) over the baseline
taken before the first launch. Thread stacks are not Python allocations: they show in RSS only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import tracemalloc
from typing import Any


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Meter:
    """Peak growth of traced memory and RSS between ``start()`` and ``stop()``."""

    def __init__(self) -> None:
        self.result: dict[str, float] = {}
        self._done = threading.Event()
        self._peak_rss = 0
        self._base: tuple[int, int] = (0, 0)
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self._peak_rss = max(self._peak_rss, rss_bytes())

    def start(self) -> None:
        self._base = (tracemalloc.get_traced_memory()[0], rss_bytes())
        self._peak_rss = self._base[1]
        tracemalloc.reset_peak()
        self._sampler.start()

    def stop(self) -> None:
        peak_traced = tracemalloc.get_traced_memory()[1]
        self._done.set()
        self._sampler.join()
        self.result = {
            "traced": peak_traced - self._base[0],
            "rss": max(self._peak_rss, rss_bytes()) - self._base[1],
        }


def track_ours(n: int, endpoint_url: str, meter: Meter) -> None:
    from benchmarks.scenarios import CLUSTER, our_resource
    from ecs_pipelines.ecs.launching import launch_many
    from ecs_pipelines.ecs.waiting import TaskWatcher

    resource = our_resource(endpoint_url)
    client = resource.task_client()
    spec = resource.plan_launch(environment={"BENCH_DURATION": "6"})
    settings = resource.watch_settings()
    meter.start()
    arns = launch_many(client, spec, n)
    TaskWatcher(client, CLUSTER, settings=settings).wait(arns)
    meter.stop()


def track_theirs(n: int, endpoint_url: str, meter: Meter) -> None:
    from benchmarks.pipes_side import run_pipes_tasks, run_task_params
    from benchmarks.scenarios import CLUSTER

    params = [run_task_params(CLUSTER, {"BENCH_DURATION": "6"}) for _ in range(n)]
    run = run_pipes_tasks(endpoint_url, params, on_start=meter.start, on_end=meter.stop)
    failed = [o.error for o in run.outcomes if o.error]
    if failed:
        raise RuntimeError(f"{len(failed)} PipesECSClient runs failed: {failed[0]}")


def measure_in_subprocess(side: str, n: int, endpoint_url: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", side, str(n), endpoint_url],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    side, n, endpoint_url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # Import both sides' libraries first, so that the baseline holds the same modules.
    import dagster  # noqa: F401
    import dagster_aws.pipes  # noqa: F401

    import ecs_pipelines.integration.resource  # noqa: F401

    track = track_ours if side == "ours" else track_theirs
    started = time.monotonic()
    meter = Meter()
    tracemalloc.start()
    track(n, endpoint_url, meter)
    tracemalloc.stop()
    print(json.dumps({**meter.result, "n": n, "seconds": time.monotonic() - started}))


if __name__ == "__main__":
    main()
