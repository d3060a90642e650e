"""`make ui` knows where its Dagster webserver answers: the port given, else one it chooses
and passes on, since dagster dev moves off a busy 3000 without saying so."""

from __future__ import annotations

from ecs_pipelines.demo.ui_address import webserver_address


def never(_host: str, _port: int) -> bool:
    raise AssertionError("a port was given: nothing to probe")


def test_a_port_given_is_kept_as_it_is() -> None:
    """-p 3001 and --port=3002 are dagster dev's to use, and the URL names them."""
    given = webserver_address(["-p", "3001"], is_free=never)
    assert (given.arguments, given.url) == (["-p", "3001"], "http://127.0.0.1:3001")
    assert webserver_address(["--port=3002"], is_free=never).url == "http://127.0.0.1:3002"


def test_without_a_port_3000_when_free_else_a_free_one_passed_on() -> None:
    """No port given: 3000 if it is free, else a free port; either is passed as --port."""
    free = webserver_address([], is_free=lambda host, port: True)
    assert (free.arguments, free.url) == (["--port", "3000"], "http://127.0.0.1:3000")
    busy = webserver_address([], is_free=lambda host, port: False, pick_free=lambda host: 41234)
    assert (busy.arguments, busy.url) == (["--port", "41234"], "http://127.0.0.1:41234")


def test_a_ui_on_every_interface_is_reached_on_loopback() -> None:
    """-h 0.0.0.0 binds every interface; the link goes to 127.0.0.1."""
    address = webserver_address(["-h", "0.0.0.0", "-p", "3001"], is_free=never)
    assert address.url == "http://127.0.0.1:3001"
