"""The table of RunTask refusals: which pass (retried) and which never will (raised at once)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ecs_pipelines.ecs.common import EcsLaunchError
from ecs_pipelines.ecs.launching.capacity import (
    ERROR_CODES,
    FAILURE_REASONS,
    Verdict,
    error_refusal,
    failure_rule,
    failures_refusal,
)
from ecs_pipelines.ecs.launching.launcher import CapacityBackoff, attempt_token


def client_error(code: str, message: str = "no") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "RunTask")


def test_every_rule_cites_where_ecs_documents_it() -> None:
    """Each failure reason and error code of the table names its AWS documentation page."""
    for rule in (*FAILURE_REASONS, *ERROR_CODES):
        assert rule.source.startswith("https://docs.aws.amazon.com/AmazonECS/"), rule.match
        assert rule.meaning, rule.match


@pytest.mark.parametrize(
    "reason",
    [
        "Capacity is unavailable at this time. Please try again later or in a different "
        "availability zone",
        "RESOURCE:CPU",
        "RESOURCE:MEMORY",
        "RESOURCE:PORTS",
        "RESOURCE:ENI",
        "RESOURCE:GPU",
        "RESOURCE:INFERENCE_ACCELERATOR",
        "AGENT",
    ],
)
def test_capacity_reasons_are_retryable(reason: str) -> None:
    """No capacity, an EC2 instance short of a resource and a disconnected agent pass."""
    assert failure_rule(reason).verdict is Verdict.RETRY


@pytest.mark.parametrize("reason", ["ATTRIBUTE", "MISSING", "LOCATION", "something new"])
def test_other_reasons_are_final(reason: str) -> None:
    """A reason waiting cannot fix, or one not known to pass, is final."""
    assert failure_rule(reason).verdict is Verdict.FINAL


def test_one_final_failure_makes_the_call_final() -> None:
    """Failures mixing a passing reason and a final one are final: the call cannot succeed."""
    refusal = failures_refusal([{"reason": "RESOURCE:CPU"}, {"reason": "ATTRIBUTE"}])
    assert not refusal.retryable
    assert "RESOURCE:CPU" in refusal.said and "ATTRIBUTE" in refusal.said


@pytest.mark.parametrize(
    ("code", "message", "retryable"),
    [
        ("ThrottlingException", "Rate exceeded", True),
        ("ClientException", "Rate exceeded", True),
        ("ClientException", "Role is not valid", False),
        ("InvalidParameterException", "TaskDefinition is inactive", False),
        ("ClusterNotFoundException", "Cluster not found.", False),
        ("AccessDeniedException", "no", False),
        ("ConflictException", "token reused", False),
        ("SomethingNew", "?", False),
    ],
)
def test_error_codes(code: str, message: str, retryable: bool) -> None:
    """Throttling (a ThrottlingException, or ECS's ClientException "Rate exceeded") passes;
    a bad request does not."""
    refusal = error_refusal(client_error(code, message))
    assert refusal is not None
    assert refusal.retryable is retryable


def test_throttling_is_found_however_it_is_wrapped() -> None:
    """A throttling error raised from, or while handling, another error is still throttling."""
    try:
        try:
            raise client_error("ThrottlingException", "Rate exceeded")
        except ClientError as inner:
            raise EcsLaunchError("launch failed", failures=[], task_arns=[]) from inner
    except EcsLaunchError as wrapped:
        refusal = error_refusal(wrapped)
    assert refusal is not None and refusal.retryable
    assert error_refusal(ConnectionError("reset by peer")) is None


def test_each_refused_attempt_has_its_own_token() -> None:
    """Attempt 0 keeps the launch's token (a resumed worker reattaches); each later attempt
    has its own, stable for the same launch and attempt."""
    assert attempt_token("base", 0) == "base"
    tokens = {attempt_token("base", n) for n in range(1, 6)}
    assert len(tokens) == 5 and "base" not in tokens
    assert attempt_token("base", 3) == attempt_token("base", 3)
    assert all(len(token) <= 64 for token in tokens)


def test_pauses_grow_with_full_jitter_up_to_the_cap() -> None:
    """A pause is drawn in [0, min(cap, base * 2**n)]."""
    backoff = CapacityBackoff(base_delay=0.5, max_delay=20.0, rand=lambda: 1.0)
    assert [backoff.pause(n) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0]
    assert CapacityBackoff(rand=lambda: 0.25).pause(2) == 0.5
