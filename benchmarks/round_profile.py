"""What one watch round over 1000 tasks spends its time on (cProfile, this run's figures).

A round is ``EcsTaskClient.describe`` over every pending task: ten DescribeTasks calls of 100.
Its duration adds to the poll interval (the watcher sleeps after each round), so it is part of
the detection latency at 1000 tasks.
"""

from __future__ import annotations

import cProfile
import math
import pstats
import time

from benchmarks.scenarios import CLUSTER, bench_spec, our_resource
from benchmarks.scripted_process import ScriptedEcsProcess
from ecs_pipelines.ecs.launching import launch_many

ROUNDS = 5


def profile_round(endpoint: ScriptedEcsProcess, n: int = 1000) -> str:
    """A one-line finding: wall and CPU per round, and the share spent in botocore's parser."""
    endpoint.reset()
    resource = our_resource(endpoint.endpoint_url)
    client = resource.task_client()
    arns = launch_many(client, bench_spec(resource, {"BENCH_DURATION": "3600"}), n)
    client.describe(CLUSTER, arns)  # warm: connections, task definition, shapes
    wall, cpu = time.monotonic(), time.process_time()
    for _ in range(ROUNDS):
        client.describe(CLUSTER, arns)
    wall, cpu = (time.monotonic() - wall) / ROUNDS, (time.process_time() - cpu) / ROUNDS
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(ROUNDS):
        client.describe(CLUSTER, arns)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(
        cumulative
        for (path, _, name), (_, _, _, cumulative, _) in stats.items()
        if path.endswith("ecs/client.py") and name == "describe"
    )
    parsing = sum(
        cumulative
        for (path, _, name), (_, _, _, cumulative, _) in stats.items()
        if path.endswith("botocore/parsers.py") and name == "parse"
    )
    return (
        f"Profile of one watch round over {n} tasks ({math.ceil(n / 100)} DescribeTasks calls; "
        f"without the profiler): {wall:.2f} s wall, {cpu:.2f} s CPU of this process; under "
        f"cProfile {100 * parsing / total:.0f}% of the time is botocore's response parser "
        "(about 2 KB of JSON per task walked shape by shape). The watcher counts the poll "
        "interval from the start of each round, so a round's duration does not lengthen the "
        "period between rounds; it still delays the round's own answers by its length."
    )
