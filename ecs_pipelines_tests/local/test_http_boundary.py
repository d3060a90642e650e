"""The embedded ECS's HTTP boundary, request by request: what a browser could send it.

The server answers only its own loopback names, serves nothing of moto's admin API, grants no
cross-origin access, and its own pages are read-only and send a strict Content-Security-Policy.
(``test_hostile_page.py`` runs the same attacks from a real page in Chromium.)
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ecs_pipelines.local import LocalEcs

LIST_CLUSTERS = {
    "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
    "Content-Type": "application/x-amz-json-1.1",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/ecs/"
    "aws4_request, SignedHeaders=host;x-amz-target, Signature=00",
}
HOSTILE_ORIGIN = "http://127.0.0.1:9"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
CSP_DIRECTIVES = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes


def signed_list_clusters(local: LocalEcs, host: str) -> dict[str, str]:
    """ListClusters' headers, SigV4-signed with the server's keys for ``host`` (the Host header
    is part of what a client signs)."""
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=b"{}",
        # Signed as sent: a client signs the Host it sends (botocore would lower its case).
        headers={
            **{k: v for k, v in LIST_CLUSTERS.items() if k != "Authorization"},
            "Host": host,
        },
    )
    keys = local.credentials
    SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key), "ecs", "us-east-1").add_auth(
        request
    )
    return {k: v for k, v in request.headers.items() if k.lower() != "host"}


def send(
    local: LocalEcs,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    host: str | None = "",
) -> Answer:
    """One request to ``local``; ``host`` replaces the Host header ("": the usual one,
    None: none at all)."""
    connection = http.client.HTTPConnection("127.0.0.1", local.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=host != "", skip_accept_encoding=True)
        if host:
            connection.putheader("Host", host)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    finally:
        connection.close()


def cors_headers(answer: Answer) -> dict[str, str]:
    return {k: v for k, v in answer.headers.items() if k.startswith("access-control-")}


@pytest.mark.parametrize(
    "path",
    [
        "/moto-api/",
        "/moto-api/data.json",
        "/moto-api/lib.js",
        "/moto-api/recorder/download-recording",
        "/moto-api/state-manager/get-transition?model_name=ecs::task",
        "//moto-api/data.json",
        "/moto-api",
    ],
)
def test_nothing_of_motos_admin_api_is_served(local_ecs: LocalEcs, path: str) -> None:
    """moto's admin API (its data dump, recorder, reset...) is not there: 404, as any unknown
    path."""
    answer = send(local_ecs, path, headers={"Origin": HOSTILE_ORIGIN})
    assert answer.status == 404, answer
    assert cors_headers(answer) == {}


@pytest.mark.parametrize("path", ["/", "/_local/health", "/_local/tasks/x"])
def test_no_answer_grants_cross_origin_access(local_ecs: LocalEcs, path: str) -> None:
    """No answer, of the AWS API or of the server's own routes, carries an Access-Control
    header: a page on another origin can read none of them."""
    answer = send(
        local_ecs, path, method="POST", headers={**LIST_CLUSTERS, "Origin": HOSTILE_ORIGIN}
    )
    assert cors_headers(answer) == {}, answer.headers
    answer = send(local_ecs, path, headers={"Origin": HOSTILE_ORIGIN})
    assert cors_headers(answer) == {}, answer.headers


@pytest.mark.parametrize(
    ("path", "requested_headers"),
    [
        ("/", "authorization,content-type,x-amz-target"),
        ("/_local/reset", "x-ecs-pipelines-action"),
        ("/moto-api/reset", ""),
    ],
)
def test_a_preflight_gets_no_grant(local_ecs: LocalEcs, path: str, requested_headers: str) -> None:
    """A browser's CORS preflight is answered without any grant, so a page never sends the
    request it asked about."""
    preflight = {
        "Origin": HOSTILE_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": requested_headers,
    }
    answer = send(local_ecs, path, method="OPTIONS", headers=preflight)
    assert cors_headers(answer) == {}, answer.headers
    assert answer.status >= 400


@pytest.mark.parametrize(
    "host",
    [
        "rebind.test:{port}",
        "localhost.rebind.test:{port}",
        "127.0.0.1.rebind.test:{port}",
        "127.0.0.1:{other}",
        "localhost:{other}",
        "127.0.0.1",
        "[::1]:{port}",  # the server is bound to 127.0.0.1, not ::1
        "127.0.0.1:{port}@rebind.test",
        None,
    ],
)
def test_a_foreign_host_is_refused_before_anything_runs(
    local_ecs: LocalEcs, host: str | None
) -> None:
    """A request for any name but the server's own loopback name and port (a DNS-rebinding
    page's, or none) is refused with a 400, for the API and the server's own routes alike."""
    named = None if host is None else host.format(port=local_ecs.port, other=local_ecs.port + 1)
    for path, headers in (("/", LIST_CLUSTERS), ("/_local/health", {})):
        answer = send(local_ecs, path, method="POST", headers=headers, host=named)
        assert answer.status == 400, (path, answer)
        assert b"clusterArns" not in answer.body and b"status" not in answer.body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}"])
def test_the_servers_own_names_are_served(local_ecs: LocalEcs, host: str) -> None:
    """The server's loopback address and ``localhost``, on its port, reach the API (signed for
    that name, as a client of it signs) and the server's routes."""
    named = host.format(port=local_ecs.port)
    headers = signed_list_clusters(local_ecs, named)
    assert (
        b"clusterArns"
        in send(local_ecs, "/", method="POST", headers=headers, host=named, body=b"{}").body
    )
    assert send(local_ecs, "/_local/health", host=named).status == 200


@pytest.mark.parametrize(
    "path", ["/_local/health", "/_local/tasks/" + "0" * 32, "/_local/nothing", "/"]
)
def test_every_answer_sends_the_security_headers(local_ecs: LocalEcs, path: str) -> None:
    """Each answer forbids framing, sniffing and referrers, and its Content-Security-Policy lets
    a page load only the server's own scripts, styles and data, and post no form."""
    answer = send(local_ecs, path)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name.lower()) == value, (name, answer.headers)
    policy = [d.strip() for d in answer.headers.get("content-security-policy", "").split(";")]
    assert set(CSP_DIRECTIVES) <= set(policy), policy
    assert not any("unsafe" in directive for directive in policy), policy


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/_local/tasks/" + "0" * 32, "/_local/health"])
def test_pages_are_read_only(local_ecs: LocalEcs, method: str, path: str) -> None:
    """The server's pages answer GET and HEAD only: anything else is a 405 naming them."""
    answer = send(local_ecs, path, method=method, body=b"{}")
    assert answer.status == 405, answer
    assert answer.headers.get("allow") == "GET, HEAD"


def test_head_answers_the_headers_of_get_without_a_body(local_ecs: LocalEcs) -> None:
    """HEAD on a page answers as GET would, without the body."""
    got = send(local_ecs, "/_local/health")
    head = send(local_ecs, "/_local/health", method="HEAD")
    assert (head.status, head.body) == (got.status, b"")
    assert head.headers["content-type"] == got.headers["content-type"]
