"""The pure rules behind the browser boundary: which Host names the server, what a page
address may ask for, how many clients the pages keep."""

from __future__ import annotations

import logging

import pytest

from ecs_pipelines.local.serving.client_cache import ClientCache
from ecs_pipelines.local.serving.http_boundary import answer_headers, own_hosts, refusal
from ecs_pipelines.local.serving.page_address import PageAddress, PageKind, page_address

TASK = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("bound", "port", "names"),
    [
        ("127.0.0.1", 4590, {"127.0.0.1:4590", "localhost:4590"}),
        ("::1", 4590, {"[::1]:4590", "localhost:4590"}),
        ("localhost", 4590, {"localhost:4590", "127.0.0.1:4590", "[::1]:4590"}),
        ("0.0.0.0", 4590, {"0.0.0.0:4590", "127.0.0.1:4590", "localhost:4590"}),
        ("192.168.1.20", 4590, {"192.168.1.20:4590"}),
        ("127.0.0.1", 80, {"127.0.0.1:80", "localhost:80", "127.0.0.1", "localhost"}),
    ],
)
def test_the_names_of_a_server_are_its_address_and_localhost(
    bound: str, port: int, names: set[str]
) -> None:
    """A server answers to the address it is bound to and, on loopback, to localhost, with its
    port (left out only for port 80, as browsers leave it out)."""
    assert own_hosts(bound, port) == names


def environ(**fields: str) -> dict[str, str]:
    base = {
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4590",
        "HTTP_HOST": "127.0.0.1:4590",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
    }
    return {**base, **fields}


def test_the_host_check_comes_before_every_other_rule() -> None:
    """A foreign Host is refused as such, whatever else the request is."""
    refused = refusal(environ(HTTP_HOST="rebind.test:4590", PATH_INFO="/moto-api/reset"))
    assert refused is not None and refused[0] == "400 Bad Request"
    assert "127.0.0.1:4590" in refused[1]


@pytest.mark.parametrize(
    "path", ["/moto-api", "/moto-api/", "/moto-api/reset", "//moto-api/data.json", "/favicon.ico"]
)
def test_every_path_moto_gives_its_admin_app_is_refused(path: str) -> None:
    """Each path moto's dispatcher sends to its admin app is a 404."""
    assert refusal(environ(PATH_INFO=path)) == ("404 Not Found", f"No route for {path}.")


def test_answer_headers_drop_every_grant_and_add_the_security_headers() -> None:
    """CORS headers go, security headers replace any the app set, other headers stay."""
    headers = answer_headers(
        [
            ("Content-Type", "application/json"),
            ("Access-Control-Allow-Origin", "http://evil.test"),
            ("access-control-allow-credentials", "true"),
            ("X-Frame-Options", "ALLOWALL"),
        ]
    )
    names = [name.lower() for name, _ in headers]
    assert not any(name.startswith("access-control-") for name in names)
    assert names.count("x-frame-options") == 1 and ("X-Frame-Options", "DENY") in headers
    assert ("Content-Type", "application/json") in headers


REGIONS = {"us-east-1", "eu-west-1"}


@pytest.mark.parametrize(
    ("parts", "query", "expected"),
    [
        ([TASK], {}, PageAddress(PageKind.TASK, TASK, "default", "us-east-1")),
        (
            [TASK, "logs", "main"],
            {"cluster": ["c_1-x"], "region": ["eu-west-1"]},
            PageAddress(PageKind.LOGS, TASK, "c_1-x", "eu-west-1", "main"),
        ),
        (
            [TASK, "logs", "main", "lines"],
            {"token": ["f/123"]},
            PageAddress(PageKind.LINES, TASK, "default", "us-east-1", "main", "f/123"),
        ),
        (["10838bed-421f-43ef-870a-f43feacbbb5b"], {}, PageKind.TASK),
        ([], {}, "No such page."),
        ([TASK, "logs"], {}, "No such page."),
        ([TASK, "files", "main"], {}, "No such page."),
        ([TASK.upper()], {}, "No such task"),
        ([TASK], {"region": ["mars-1"]}, "No such region"),
        ([TASK], {"cluster": ["a" * 256]}, "No such cluster"),
        ([TASK], {"cluster": [""]}, "No such cluster"),
        ([TASK, "logs", "ma in"], {}, "No such container"),
    ],
)
def test_a_page_address_is_what_ecs_accepts(
    parts: list[str], query: dict[str, list[str]], expected: object
) -> None:
    """Task ids, cluster and container names follow ECS's patterns, regions are the served
    ones; anything else says which part is wrong."""
    found = page_address(parts, query, REGIONS, "us-east-1")
    if isinstance(expected, PageKind):
        assert isinstance(found, PageAddress) and found.kind is expected
    elif isinstance(expected, str):
        assert isinstance(found, str) and found.startswith(expected), found
    else:
        assert found == expected


class Closable:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_the_client_cache_drops_the_least_recently_used_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past its size the cache drops (and closes) the client used least recently, and logs it."""
    cache = ClientCache(2, "pages")
    made = {key: Closable() for key in "abc"}
    cache.get("a", lambda: made["a"])
    cache.get("b", lambda: made["b"])
    assert cache.get("a", lambda: pytest.fail("kept, not made again")) is made["a"]
    with caplog.at_level(logging.INFO, logger="ecs_pipelines.local.serving.client_cache"):
        cache.get("c", lambda: made["c"])
    assert len(cache) == 2
    assert made["b"].closed and not made["a"].closed
    assert "dropped the client for b (at most 2 are kept)" in caplog.text
