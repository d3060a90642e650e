"""Where `make ui`'s Dagster webserver answers, made explicit so that it is known, not guessed.

``dagster dev`` moves to another port when 3000 is taken, without saying so to anyone but its
log: `make ui` therefore passes ``--port`` itself (the one given in its arguments, else 3000
when free, else a free one), and knows the address the embedded ECS's task pages link runs to.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DEFAULT_PORT = 3000  # dagster dev's own default
PORT_OPTIONS = ("--port", "--dagit-port", "-p")
HOST_OPTIONS = ("--host", "--dagit-host", "-h")
# An address that binds every interface is reached, from this host, on loopback.
ANY_ADDRESS = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class WebserverAddress:
    """dagster dev's arguments with the port made explicit, and the URL it serves on."""

    arguments: list[str]
    url: str


def option_value(arguments: Sequence[str], names: Sequence[str]) -> str | None:
    """The value of the last of the options ``names`` in ``arguments`` (``-p 3001``,
    ``--port=3001``), or None."""
    value = None
    for index, argument in enumerate(arguments):
        name, equals, inline = argument.partition("=")
        if name in names and equals:
            value = inline
        elif argument in names and index + 1 < len(arguments):
            value = arguments[index + 1]
    return value


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def webserver_address(
    arguments: Sequence[str],
    *,
    is_free: Callable[[str, int], bool] = port_free,
    pick_free: Callable[[str], int] = free_port,
) -> WebserverAddress:
    """The address dagster dev serves on, given the arguments `make ui` passes it."""
    host = option_value(arguments, HOST_OPTIONS) or "127.0.0.1"
    bind = "127.0.0.1" if host in ANY_ADDRESS else host
    port = option_value(arguments, PORT_OPTIONS)
    chosen = list(arguments)
    if port is None:
        port = str(DEFAULT_PORT if is_free(bind, DEFAULT_PORT) else pick_free(bind))
        chosen += ["--port", port]
    shown = f"[{bind}]" if ":" in bind else bind
    return WebserverAddress(chosen, f"http://{shown}:{port}")
