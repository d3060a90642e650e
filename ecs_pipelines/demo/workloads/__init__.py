"""The demo's workloads: small Python modules a task runs as ``python -m <module> <args>``.

The embedded ECS runs them with the project's interpreter; on AWS the demo task definition's
image needs the project installed (the image docs/deploy.md builds), and the Pipes workload
needs ``dagster-pipes`` (a dependency of the project).
"""

from __future__ import annotations

PACKAGE = __name__


def python_command(workload: str, *arguments: str) -> list[str]:
    """The container command that runs workload ``workload`` with ``arguments``."""
    return ["python", "-m", f"{PACKAGE}.{workload}", *arguments]
