import os
import time

stage = os.environ.get("STAGE", "stage")
batches = int(os.environ.get("BATCHES", "3"))
for n in range(1, batches + 1):
    print(f"{stage}: batch {n}/{batches} done", flush=True)
    time.sleep(0.2)
print(f"{stage}: finished for run {os.environ.get('DAGSTER_RUN_ID', '?')}", flush=True)
