"""A partitioned asset's task: prints the asset and partition (window) it materialises."""

from __future__ import annotations

import os


def main() -> None:
    key = os.environ.get("DAGSTER_PARTITION_KEY", "unpartitioned")
    asset = os.environ.get("DAGSTER_ASSET_KEY", "?")
    start = os.environ.get("DAGSTER_PARTITION_START")
    end = os.environ.get("DAGSTER_PARTITION_END")
    print(f"materialising {asset} for partition {key} (window {start} .. {end})", flush=True)


if __name__ == "__main__":
    main()
