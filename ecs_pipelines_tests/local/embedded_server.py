"""An embedded ECS in a process of its own: prints its endpoint URL, serves until stdin closes.

    python -m ecs_pipelines_tests.local.embedded_server

For a test that needs a server nothing else in its process shares (moto's state is global, and
moto's own test suite resets it before and after every test). Its keys are in its state record,
where every client of this user finds them.
"""

from __future__ import annotations

import sys

from ecs_pipelines.local.server import LocalEcs


def main() -> None:
    with LocalEcs(port=0) as local:
        print(local.endpoint_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
