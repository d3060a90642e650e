"""RunTask client tokens derived from what identifies a launch. Pure.

To make a launch idempotent, give it a token derived from what identifies it (a step's run
id, step key and attempt; a fan-out's base token and call index)::

    LaunchSettings(client_token=derive_client_token(run_id, step_key))
"""

from __future__ import annotations

import hashlib
import json

from ecs_pipelines.ecs.common import EcsSpecError


def derive_client_token(*parts: str) -> str:
    """Returns a stable RunTask clientToken (64 hex characters) for the given parts.

    The parts (run id, step key, asset key, partition...) together easily pass the 64-character
    limit and may hold characters a token may not, so they are hashed rather than joined.
    They are JSON-encoded first so that ("ab", "c") and ("a", "bc") give different tokens.
    """
    if not parts:
        raise EcsSpecError("client_token", "needs at least one part to derive a token from")
    if not all(isinstance(part, str) for part in parts):
        raise EcsSpecError("client_token", "parts must be strings")
    encoded = json.dumps(list(parts), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()
