"""Commands the demo tasks run: small Python programs passed as `python -c` source.

Kept as source text so the same demo runs on the embedded ECS (host processes) and on AWS (any
image with Python; the Pipes workload also needs the `dagster-pipes` package in the image)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def python_command(script: str) -> list[str]:
    """`python -c <source of workloads/<script>.py>` as a container command."""
    return ["python", "-c", (HERE / f"{script}.py").read_text()]
