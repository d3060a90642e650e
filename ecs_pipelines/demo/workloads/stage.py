"""A pipeline stage: prints its progress batch by batch, then which run it finished for."""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="stage", help="Name printed on every line.")
    parser.add_argument("--batches", type=int, default=3, help="How many batches to run.")
    args = parser.parse_args()
    for n in range(1, args.batches + 1):
        print(f"{args.stage}: batch {n}/{args.batches} done", flush=True)
        time.sleep(0.2)
    print(f"{args.stage}: finished for run {os.environ.get('DAGSTER_RUN_ID', '?')}", flush=True)


if __name__ == "__main__":
    main()
