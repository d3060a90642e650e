"""An embedded ECS in a process of its own: prints its endpoint URL, serves until stdin closes.

    python -m ecs_pipelines_tests.local.embedded_server [--log-stream-bytes N] [--log-total-bytes N]
        [--max-running-tasks N]

For a test that needs a server nothing else in its process shares (moto's state is global, and
moto's own test suite resets it before and after every test), or one configured otherwise.
Its keys are in its state record, where every client of this user finds them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ecs_pipelines.demo.seed import seed_demo
from ecs_pipelines.local.serving import LocalEcs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log-stream-bytes", type=int)
    parser.add_argument("--log-total-bytes", type=int)
    parser.add_argument("--max-running-tasks", type=int)
    given = parser.parse_args()
    options: dict[str, Any] = {"max_running_tasks": given.max_running_tasks}
    if given.log_stream_bytes or given.log_total_bytes:
        from ecs_pipelines.local.rules import LogLimits

        limits = {"stream_bytes": given.log_stream_bytes, "total_bytes": given.log_total_bytes}
        options["log_limits"] = LogLimits(**{k: v for k, v in limits.items() if v})
    with LocalEcs(port=0, seed=seed_demo, **options) as local:
        print(local.endpoint_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
