"""Task definitions on the scripted ECS endpoint: revisions, status and tags, as ECS keeps them.

RegisterTaskDefinition appends a revision to its family (tags kept per revision);
DescribeTaskDefinition takes a family (its latest ACTIVE revision), ``family:revision`` or an
ARN, with ``include=["TAGS"]``, and answers ``ClientException`` for one it does not know;
ListTaskDefinitions filters by family and status, sorts ASC or DESC and pages; and
DeregisterTaskDefinition makes a revision INACTIVE. The family ``bench`` has revision 1
from the start, the task definition every other scenario launches.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
BENCH_FAMILY = "bench"


class ApiError(Exception):
    """An ECS error answer: code, message, HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def definition_arn(family: str, revision: int) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def bench_definition() -> dict[str, Any]:
    """The task definition the watch and fan-out scenarios launch (``bench:1``)."""
    return {
        "family": BENCH_FAMILY,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {
                "name": "main",
                "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/bench:latest",
                "essential": True,
                "command": ["true"],
            }
        ],
    }


class TaskDefinitionStore:
    """Families of revisions; the caller serialises access (ScriptedState's lock)."""

    def __init__(self) -> None:
        self.families: dict[str, dict[int, dict[str, Any]]] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.reset()

    def reset(self) -> None:
        self.families.clear()
        self.tags.clear()
        self._register(bench_definition(), 0.0)

    def handler(self, operation: str) -> Callable[[dict[str, Any], float], dict[str, Any]] | None:
        handlers: dict[str, Callable[[dict[str, Any], float], dict[str, Any]]] = {
            "RegisterTaskDefinition": self._op_register,
            "DescribeTaskDefinition": self._op_describe,
            "ListTaskDefinitions": self._op_list,
            "DeregisterTaskDefinition": self._op_deregister,
        }
        return handlers.get(operation)

    def _register(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        family = str(body["family"])
        revisions = self.families.setdefault(family, {})
        revision = max(revisions, default=0) + 1
        definition = {k: copy.deepcopy(v) for k, v in body.items() if k != "tags"}
        definition.update(
            taskDefinitionArn=definition_arn(family, revision),
            revision=revision,
            status="ACTIVE",
            registeredAt=now,
        )
        revisions[revision] = definition
        self.tags[definition["taskDefinitionArn"]] = list(body.get("tags") or [])
        return definition

    def _find(self, reference: str) -> dict[str, Any]:
        name = reference.rsplit("/", 1)[-1]
        family, _, revision = name.partition(":")
        revisions = self.families.get(family, {})
        if revision:
            found = revisions.get(int(revision)) if revision.isdigit() else None
        else:  # a family alone names its latest ACTIVE revision
            active = [r for r, d in revisions.items() if d["status"] == "ACTIVE"]
            found = revisions[max(active)] if active else None
        if found is None:
            raise ApiError("ClientException", "Unable to describe task definition.")
        return found

    def _op_register(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        if not body.get("family") or not body.get("containerDefinitions"):
            raise ApiError("ClientException", "family and containerDefinitions are required")
        definition = self._register(body, now)
        return {"taskDefinition": definition, "tags": self.tags[definition["taskDefinitionArn"]]}

    def _op_describe(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        definition = self._find(str(body.get("taskDefinition", "")))
        response: dict[str, Any] = {"taskDefinition": definition}
        if "TAGS" in (body.get("include") or []):
            response["tags"] = self.tags.get(definition["taskDefinitionArn"], [])
        return response

    def _op_list(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        family, status = body.get("familyPrefix"), body.get("status", "ACTIVE")
        found = [
            (name, revision, definition["taskDefinitionArn"])
            for name, revisions in self.families.items()
            if family is None or name == family
            for revision, definition in revisions.items()
            if definition["status"] == status
        ]
        found.sort(reverse=body.get("sort") == "DESC")
        start = int(body.get("nextToken") or 0)
        size = int(body.get("maxResults") or 100)
        page = [arn for _, _, arn in found[start : start + size]]
        response: dict[str, Any] = {"taskDefinitionArns": page}
        if start + size < len(found):
            response["nextToken"] = str(start + size)
        return response

    def _op_deregister(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        reference = str(body.get("taskDefinition", ""))
        if ":" not in reference.rsplit("/", 1)[-1]:
            raise ApiError("ClientException", "The specified revision is not found.")
        definition = self._find(reference)
        definition["status"] = "INACTIVE"
        return {"taskDefinition": definition}
