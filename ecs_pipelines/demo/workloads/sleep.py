"""A long task: sleeps, so that ECS Exec or a detached launch has something to look at."""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120, help="How long to sleep.")
    args = parser.parse_args()
    print(f"sleeping {args.seconds:.0f} s; ECS Exec into this task to look around", flush=True)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    print("done sleeping", flush=True)


if __name__ == "__main__":
    main()
