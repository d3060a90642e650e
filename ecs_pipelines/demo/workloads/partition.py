import os

key = os.environ.get("DAGSTER_PARTITION_KEY", "unpartitioned")
asset = os.environ.get("DAGSTER_ASSET_KEY", "?")
start = os.environ.get("DAGSTER_PARTITION_START")
end = os.environ.get("DAGSTER_PARTITION_END")
print(f"materialising {asset} for partition {key} (window {start} .. {end})", flush=True)
