"""Register once, reuse always: the registry against the embedded ECS, call by call."""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from ecs_pipelines.demo.seed import DEMO_EXECUTION_ROLE_ARN, DEMO_LOG_GROUP
from ecs_pipelines.ecs.common import EcsSpecError, family_and_revision
from ecs_pipelines.ecs.task_definitions import parse_cpu, parse_memory
from ecs_pipelines.ecs.task_definitions.registry import ResolutionCache, TaskDefinitionRegistry
from ecs_pipelines.ecs.task_definitions.request import register_request
from ecs_pipelines.ecs.task_definitions.spec import (
    DIGEST_TAG,
    TaskDefinitionDefaults,
    TaskDefinitionSpec,
    content_digest,
)
from ecs_pipelines.ecs.tasks import EcsTaskClient

DEFAULTS = TaskDefinitionDefaults(
    log_group=DEMO_LOG_GROUP, log_region="us-east-1", execution_role_arn=DEMO_EXECUTION_ROLE_ARN
)


def spec(**changes: Any) -> TaskDefinitionSpec:
    """A spec in a family of its own (the embedded ECS is shared by the whole session)."""
    fields: dict[str, Any] = {
        "image": "python:3.12-slim",
        "command": ["python", "-c", "print('code-defined')"],
        "family": f"test-{uuid.uuid4().hex[:10]}",
    }
    return TaskDefinitionSpec(**{**fields, **changes})


def registry(ecs_client: Any) -> TaskDefinitionRegistry:
    """A registry with a cache of its own: what a fresh process has."""
    return TaskDefinitionRegistry(EcsTaskClient(ecs_client), ResolutionCache())


def revisions(ecs_client: Any, family: str, status: str = "ACTIVE") -> list[int]:
    arns = ecs_client.list_task_definitions(familyPrefix=family, status=status)
    return sorted(int(arn.rsplit(":", 1)[1]) for arn in arns["taskDefinitionArns"])


def test_first_launch_registers_with_the_digest_tag(ecs_client: Any) -> None:
    """A new family: one lookup, one registration, the digest as a tag on the revision."""
    code = spec()
    fresh = registry(ecs_client)
    resolved = fresh.resolve(code, DEFAULTS)
    assert resolved.registered and resolved.revision == 1
    assert dict(fresh.client.calls) == {
        "describe_task_definition": 1,
        "register_task_definition": 1,
    }
    described = ecs_client.describe_task_definition(taskDefinition=resolved.arn, include=["TAGS"])
    assert described["tags"] == [{"key": DIGEST_TAG, "value": resolved.digest}]
    assert described["taskDefinition"]["containerDefinitions"][0]["image"] == "python:3.12-slim"


def test_unchanged_content_is_reused_and_cached(ecs_client: Any) -> None:
    """Same content: another process finds the revision in one call; the same one in none."""
    code = spec()
    first = registry(ecs_client).resolve(code, DEFAULTS)
    other = registry(ecs_client)
    again = other.resolve(code, DEFAULTS)
    assert (again.arn, again.registered) == (first.arn, False)
    assert dict(other.client.calls) == {"describe_task_definition": 1}
    for _ in range(3):
        assert other.resolve(code, DEFAULTS).arn == first.arn
    assert sum(other.client.calls.values()) == 1
    # The revision is known to the client too: reading it for the launch costs nothing.
    other.client.task_definition(first.arn)
    assert sum(other.client.calls.values()) == 1
    assert revisions(ecs_client, code.family or "") == [1]


def test_changed_content_registers_a_new_revision_and_old_content_is_found_again(
    ecs_client: Any,
) -> None:
    """More memory registers revision 2; going back to the first content reuses revision 1."""
    code = spec()
    one = registry(ecs_client).resolve(code, DEFAULTS)
    two = registry(ecs_client).resolve(dataclasses.replace(code, memory=1024), DEFAULTS)
    assert (one.revision, two.revision, two.registered) == (1, 2, True)
    back = registry(ecs_client)
    assert back.resolve(code, DEFAULTS).arn == one.arn
    assert back.client.calls["register_task_definition"] == 0
    assert back.client.calls["list_task_definitions"] == 1
    assert revisions(ecs_client, code.family or "") == [1, 2]


def test_two_workers_registering_at_once_end_on_one_revision(ecs_client: Any) -> None:
    """Both look up before either registers: both register, both use the lower revision,
    and the higher one is deregistered, so a later lookup finds the same one."""
    code = spec()
    first, second = registry(ecs_client), registry(ecs_client)
    request = register_request(code, DEFAULTS)
    digest = content_digest(request)
    family = code.family or ""
    seen_first, seen_second = (
        first.find(family, request, digest),
        second.find(family, request, digest),
    )
    assert seen_first.match is None and seen_second.match is None
    one = first.register(request, digest, after=seen_first.latest_revision)
    two = second.register(request, digest, after=seen_second.latest_revision)
    assert one.arn == two.arn and one.revision == 1
    assert second.client.calls["deregister_task_definition"] == 1
    assert revisions(ecs_client, family) == [1]
    assert revisions(ecs_client, family, "INACTIVE") == [2]
    assert registry(ecs_client).resolve(code, DEFAULTS).arn == one.arn


def test_a_race_with_other_content_keeps_both_revisions(ecs_client: Any) -> None:
    """A revision registered meanwhile with other content is no duplicate: nothing is
    deregistered and each content keeps its revision."""
    code = spec()
    family = code.family or ""
    worker = registry(ecs_client)
    request = register_request(code, DEFAULTS)
    digest = content_digest(request)
    seen = worker.find(family, request, digest)
    other = registry(ecs_client).resolve(dataclasses.replace(code, memory=2048), DEFAULTS)
    mine = worker.register(request, digest, after=seen.latest_revision)
    assert (other.revision, mine.revision) == (1, 2)
    assert worker.client.calls["deregister_task_definition"] == 0
    assert revisions(ecs_client, family) == [1, 2]


def test_threads_of_one_process_register_once(ecs_client: Any) -> None:
    """Eight threads resolving the same content through one cache make one registration."""
    code = spec()
    shared = registry(ecs_client)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(shared.resolve(code, DEFAULTS).arn))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(set(results)) == 1 and len(results) == 8
    assert shared.client.calls["register_task_definition"] == 1


def register_copy(ecs_client: Any, source: str, **container: Any) -> str:
    """What the console's "create new revision" or ``describe --include TAGS`` followed by a
    registration makes: a revision of the family with the source's content and tags, except
    what ``container`` changes in its first container."""
    described = ecs_client.describe_task_definition(taskDefinition=source, include=["TAGS"])
    definition = described["taskDefinition"]
    request = {k: v for k, v in definition.items() if k in REGISTER_MEMBERS and v is not None}
    request["containerDefinitions"][0].update(container)
    registered = ecs_client.register_task_definition(**request, tags=described["tags"])
    return str(registered["taskDefinition"]["taskDefinitionArn"])


# What RegisterTaskDefinition takes, from botocore's model: what a copy can hand on.
REGISTER_MEMBERS = set(
    botocore.session.get_session()
    .get_service_model("ecs")
    .operation_model("RegisterTaskDefinition")
    .input_shape.members
) - {"tags"}


def test_a_copy_with_the_digest_tag_and_other_content_is_never_reused(
    ecs_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A newer revision of the family carrying the spec's digest tag but another image and
    command is not the spec's: a fresh process uses the revision whose content is the spec's,
    and the log names the impostor once."""
    code = spec()
    genuine = registry(ecs_client).resolve(code, DEFAULTS)
    impostor = register_copy(
        ecs_client, genuine.arn, image="python:3.13-slim", command=["sh", "-c", "echo other"]
    )
    fresh = registry(ecs_client)
    with caplog.at_level(logging.WARNING, logger="ecs_pipelines.ecs.task_definitions.registry"):
        resolved = [fresh.resolve(code, DEFAULTS) for _ in range(3)]
    assert {r.arn for r in resolved} == {genuine.arn}
    assert fresh.client.calls["register_task_definition"] == 0
    named = [r for r in caplog.records if impostor in r.getMessage()]
    assert len(named) == 1
    assert "image" in named[0].getMessage() and "command" in named[0].getMessage()


def test_an_impostor_alone_in_the_family_makes_a_registration(ecs_client: Any) -> None:
    """The only revision with the spec's digest tag holds other content: the spec's content is
    registered and used, and the impostor stays untouched."""
    code = spec()
    request = register_request(code, DEFAULTS)
    impostor = {**request, "containerDefinitions": [dict(request["containerDefinitions"][0])]}
    impostor["containerDefinitions"][0]["image"] = "python:3.13-slim"
    impostor_arn = ecs_client.register_task_definition(
        **impostor, tags=[{"key": DIGEST_TAG, "value": content_digest(request)}]
    )["taskDefinition"]["taskDefinitionArn"]
    worker = registry(ecs_client)
    resolved = worker.resolve(code, DEFAULTS)
    assert resolved.registered and resolved.arn != impostor_arn
    assert resolved.definition["containerDefinitions"][0]["image"] == "python:3.12-slim"
    assert revisions(ecs_client, code.family or "") == [1, 2]


def test_twelve_contents_sharing_a_family_are_all_found_by_a_fresh_process(
    ecs_client: Any,
) -> None:
    """12 specs in one family (steps sharing it): a second process resolving all of them finds
    each one's revision wherever it sits in the family and registers nothing."""
    family = f"test-shared-{uuid.uuid4().hex[:10]}"
    shared = [
        spec(family=family, command=["python", "-c", f"print({index})"]) for index in range(12)
    ]
    first = registry(ecs_client)
    arns = [first.resolve(code, DEFAULTS).arn for code in shared]
    assert first.client.calls["register_task_definition"] == 12
    fresh = registry(ecs_client)
    assert [fresh.resolve(code, DEFAULTS).arn for code in shared] == arns
    assert fresh.client.calls["register_task_definition"] == 0
    assert revisions(ecs_client, family) == list(range(1, 13))


def test_a_derived_spec_reads_its_base_once(ecs_client: Any) -> None:
    """Deriving from a registered family keeps its roles and logs, changes the image."""
    worker = registry(ecs_client)
    derived = spec(base="ecs-pipelines-python", image="python:3.13-slim", command=None)
    resolved = worker.resolve(derived, DEFAULTS)
    definition = resolved.definition
    assert definition["containerDefinitions"][0]["image"] == "python:3.13-slim"
    assert definition["containerDefinitions"][0]["command"] == [
        "python",
        "-c",
        "print('hello from ECS')",
    ]
    assert definition["taskRoleArn"].endswith("role/ecs-pipelines-task")
    calls = sum(worker.client.calls.values())
    worker.resolve(derived, DEFAULTS)
    assert sum(worker.client.calls.values()) == calls


def test_a_spec_derived_from_a_rich_base_is_found_again_by_a_fresh_process(
    ecs_client: Any,
) -> None:
    """A base with ports, a health check, mounts and volumes, as the embedded ECS describes it
    (its defaults written out), derives a revision that another process finds equal."""
    base_family = f"test-base-{uuid.uuid4().hex[:10]}"
    ecs_client.register_task_definition(
        family=base_family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=DEMO_EXECUTION_ROLE_ARN,
        volumes=[{"name": "scratch"}],
        containerDefinitions=[
            {
                "name": "app",
                "image": "python:3.12-slim",
                "command": ["python", "-m", "http.server", "8080"],
                "portMappings": [{"containerPort": 8080}],
                "healthCheck": {"command": ["CMD", "true"]},
                "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/scratch"}],
                "environment": [{"name": "Z", "value": "1"}, {"name": "A", "value": "2"}],
            }
        ],
    )
    derived = spec(base=base_family, image="python:3.13-slim", command=None, environment={"M": "3"})
    first = registry(ecs_client).resolve(derived, DEFAULTS)
    fresh = registry(ecs_client)
    again = fresh.resolve(derived, DEFAULTS)
    assert (again.arn, again.registered) == (first.arn, False)
    assert fresh.client.calls["register_task_definition"] == 0


def test_a_missing_base_is_named(ecs_client: Any) -> None:
    """Deriving from a family ECS does not know names the base; nothing is registered."""
    worker = registry(ecs_client)
    with pytest.raises(EcsSpecError, match="base: ECS knows no task definition 'no-such'"):
        worker.resolve(spec(base="no-such"), DEFAULTS)
    assert worker.client.calls["register_task_definition"] == 0


def test_a_bad_spec_makes_no_call(ecs_client: Any) -> None:
    """A spec that breaks a rule is refused before any AWS call."""
    worker = registry(ecs_client)
    with pytest.raises(EcsSpecError, match="memory: Fargate with cpu 256"):
        worker.resolve(spec(memory=4096), DEFAULTS)
    assert sum(worker.client.calls.values()) == 0


def test_a_duplicate_that_cannot_be_deregistered_still_converges() -> None:
    """If DeregisterTaskDefinition is refused, the winner is still used (stubbed: the
    embedded ECS cannot refuse it)."""
    import boto3

    ecs = boto3.client(
        "ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    worker = TaskDefinitionRegistry(EcsTaskClient(ecs), ResolutionCache())
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/f:{}"

    def definition(revision: int) -> dict[str, Any]:
        return {
            "taskDefinitionArn": arn.format(revision),
            "family": "f",
            "revision": revision,
            "status": "ACTIVE",
            "containerDefinitions": [],
        }

    with Stubber(ecs) as stubber:
        stubber.add_response("register_task_definition", {"taskDefinition": definition(6)})
        stubber.add_response(
            "describe_task_definition",
            {"taskDefinition": definition(5), "tags": [{"key": DIGEST_TAG, "value": "d"}]},
        )
        stubber.add_client_error("deregister_task_definition", "AccessDeniedException")
        resolved = worker.register({"family": "f", "containerDefinitions": []}, "d", after=4)
        stubber.assert_no_pending_responses()
    assert resolved.revision == 5


def test_task_sizes_read_as_the_developer_guide_writes_them() -> None:
    """ ".25 vCPU", "0.5 vCPU", "1 vCPU", "2 GB" and plain units read as ECS's integer units."""
    assert parse_cpu("cpu", ".25 vCPU") == parse_cpu("cpu", "0.25 vCPU") == 256
    assert parse_cpu("cpu", "0.5 vCPU") == 512
    assert parse_cpu("cpu", "1 vCPU") == parse_cpu("cpu", "1024") == parse_cpu("cpu", 1024) == 1024
    assert parse_memory("memory", "2 GB") == parse_memory("memory", "2048") == 2048
    assert parse_memory("memory", ".5 GB") == 512


def test_family_and_revision_read_an_arn_a_reference_and_a_family() -> None:
    """An ARN or family:revision gives both; a family alone names no revision."""
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/etl:12"
    assert family_and_revision(arn) == ("etl", 12)
    assert family_and_revision("etl:3") == ("etl", 3)
    assert family_and_revision("etl") == ("etl", None)
