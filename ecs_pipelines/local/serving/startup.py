"""What an embedded ECS starts with: its default port and region, and what seeds it.

No moto here: the CLI reads these without the `local` extra installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecs_pipelines.local.auth import KeyPair

# Not 4566: that is LocalStack's port, and a user may run both.
DEFAULT_PORT = 4590
DEFAULT_REGION = "us-east-1"

# What the server is given to create once it answers, before it says it is ready: its endpoint,
# its own keys (to sign with) and its region. The demo's account is one (``demo/seed.py``).
Seed = Callable[[str, "KeyPair", str], None]
