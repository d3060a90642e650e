"""Which ECS an endpoint is: AWS, or the embedded ECS on this machine's loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(endpoint_url: str | None) -> bool:
    """True for an endpoint on this machine's loopback (the embedded ECS listens only there)."""
    host = urlsplit(endpoint_url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
