"""Signed raw JSON requests to the embedded ECS, bypassing botocore's client-side checks.

What a careless or hostile client can send: any body, any region, any operation name.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from ecs_pipelines.local import LocalEcs


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@dataclass(frozen=True)
class Answer:
    status: int
    code: str | None
    message: str | None
    body: bytes


def call(
    local: LocalEcs,
    service: str,
    operation: str,
    body: Any,
    *,
    region: str = "us-east-1",
    target: str | None = None,
) -> Answer:
    """POST ``body`` (dict -> JSON; str/bytes as is) to ``operation`` of the embedded ECS
    ``local``, signed with SigV4 by its own keys."""
    endpoint_url = local.endpoint_url
    model = service_model(service)
    data = (
        body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body))
    )
    payload = data.encode() if isinstance(data, str) else data
    if target is None:
        target = f"{model.metadata['targetPrefix']}.{operation}"
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    request = AWSRequest(method="POST", url=endpoint_url + "/", data=payload, headers=headers)
    keys = Credentials(local.credentials.access_key_id, local.credentials.secret_access_key)
    SigV4Auth(keys, model.signing_name, region).add_auth(request)
    raw = urllib.request.Request(
        endpoint_url + "/", data=payload, headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            return Answer(response.status, None, None, response.read())
    except urllib.error.HTTPError as error:
        status, content = error.code, error.read()
    try:
        parsed = json.loads(content)
    except ValueError:
        return Answer(status, None, None, content)
    code = str(parsed.get("__type", "")).rsplit("#", 1)[-1] or None
    return Answer(status, code, parsed.get("message") or parsed.get("Message"), content)


# Values of the wrong JSON type for each kind of shape.
_WRONG: dict[str, list[Any]] = {
    "string": [5, True, {}, []],
    "blob": [5, {}],
    "integer": ["x", True, {}, [], 1.5],
    "long": ["x", False, {}],
    "double": ["x", True, {}],
    "float": ["x", {}],
    "boolean": ["x", 1, {}, []],
    "timestamp": ["x", True, {}],
    "list": ["x", {}, 5],
    "map": ["x", [], 5],
    "structure": ["x", [], 5],
}


def wrongly_typed(shape: Shape, depth: int = 1) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, body) pairs, each a body with exactly one member of the wrong JSON type.

    Members of structures nested up to ``depth`` levels are covered too: a path through a
    list puts the structure in a one-element list, through a map under the key "k".
    """
    if not isinstance(shape, StructureShape):
        return
    for name, member in shape.members.items():
        for wrong in _WRONG.get(member.type_name, []):
            yield name, {name: wrong}
        inner = _container_element(member)
        if inner is not None and depth > 0:
            element, wrap = inner
            for sub_path, sub_body in wrongly_typed(element, depth - 1):
                yield f"{name}.{sub_path}", {name: wrap(sub_body)}


def _container_element(member: Shape) -> tuple[Shape, Callable[[Any], Any]] | None:
    if isinstance(member, StructureShape):
        return member, lambda body: body
    if isinstance(member, ListShape) and isinstance(member.member, StructureShape):
        return member.member, lambda body: [body]
    if isinstance(member, MapShape) and isinstance(member.value, StructureShape):
        return member.value, lambda body: {"k": body}
    return None
