"""Who may call the embedded ECS: the keys it issues (its own pair, tasks' role credentials),
SigV4 verification, AWS's refusals, and the middleware that applies them.

The names other packages use, loaded on first use: importing the package loads none of its
modules (the HTTP surface and the runtime bring in moto).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecs_pipelines.local.auth.access_keys import (
        AccessKeyStore,
        IssuedKey,
        KeyPair,
        new_server_keys,
    )
    from ecs_pipelines.local.auth.request_auth import (
        ACCOUNT_HEADER,
        RequestAuth,
        require_server_signature,
    )

_MODULES = {
    "ACCOUNT_HEADER": "request_auth",
    "AccessKeyStore": "access_keys",
    "IssuedKey": "access_keys",
    "KeyPair": "access_keys",
    "new_server_keys": "access_keys",
    "RequestAuth": "request_auth",
    "require_server_signature": "request_auth",
}
__all__ = [
    "ACCOUNT_HEADER",
    "AccessKeyStore",
    "IssuedKey",
    "KeyPair",
    "RequestAuth",
    "new_server_keys",
    "require_server_signature",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
