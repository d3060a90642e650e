import os
import time

seconds = float(os.environ.get("SLEEP_SECONDS", "120"))
print(f"sleeping {seconds:.0f} s; ECS Exec into this task to look around", flush=True)
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    time.sleep(1)
print("done sleeping", flush=True)
