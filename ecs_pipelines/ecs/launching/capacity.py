"""Which RunTask answers are worth a later try: one table of reasons, each with its source. Pure.

RunTask says no in two ways. It answers 200 with ``failures`` (a reason per task it could not
place) or it raises an error. Some of these go away by themselves: capacity comes back, an EC2
instance frees CPU, a throttle bucket refills. Others never will: a role that does not exist,
a task definition ECS refuses. The first kind is retried by ``launcher.launch`` within its
budget. The second is raised at once, because waiting cannot fix a bad request.

Failure reasons follow the ECS Developer Guide, "API failure reasons"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html).
Error codes follow botocore's ECS service model (``RunTask``'s errors) and the API reference's
"Common errors". A reason or code that is not in the tables is final. When we do not know
what a failure means, failing loudly is safer than retrying it for minutes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ecs_pipelines.ecs.common import MISSING, THROTTLING_CODES

FAILURE_REASONS_DOC = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html"
)
COMMON_ERRORS_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html"
RUN_TASK_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html"


class Verdict(enum.Enum):
    RETRY = "retryable: the same launch may succeed later"
    FINAL = "final: the launch cannot succeed as asked"


@dataclass(frozen=True)
class ReasonRule:
    """A failure reason (matched as a prefix) or an error code (matched whole), what it means
    for a retry, and where ECS documents it."""

    match: str
    verdict: Verdict
    meaning: str
    source: str


# RunTask ``failures[].reason``: compared as prefixes, so that a reason with a detail appended
# (Fargate's "... Please try again later or in a different availability zone") still matches.
FAILURE_REASONS: tuple[ReasonRule, ...] = (
    ReasonRule(
        "Capacity is unavailable at this time",
        Verdict.RETRY,
        "Fargate (or Fargate Spot) has no capacity for the task right now",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "RESOURCE:CPU",
        Verdict.RETRY,
        "no container instance has the CPU the task asks for free yet",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "RESOURCE:MEMORY",
        Verdict.RETRY,
        "no container instance has the memory the task asks for free yet",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "RESOURCE:PORTS",
        Verdict.RETRY,
        "the host ports the task needs are taken by other tasks",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "RESOURCE:ENI",
        Verdict.RETRY,
        "no elastic network interface can be attached (awsvpc) until another is freed",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "RESOURCE:GPU",
        Verdict.RETRY,
        "no container instance has the GPUs the task asks for free yet",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "RESOURCE:",
        Verdict.RETRY,
        "a resource of the container instances is used up for now",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "AGENT",
        Verdict.RETRY,
        "the container instance's agent is disconnected, so ECS refused to wait for it",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "ATTRIBUTE",
        Verdict.FINAL,
        "the task needs a container instance attribute that no instance has",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        MISSING,
        Verdict.FINAL,
        "the container instance or cluster named was not found",
        FAILURE_REASONS_DOC,
    ),
    ReasonRule(
        "LOCATION",
        Verdict.FINAL,
        "the container instance is in another Availability Zone than the placement asks",
        FAILURE_REASONS_DOC,
    ),
)

# RunTask's error codes (botocore's ECS service model lists them under RunTask).
ERROR_CODES: tuple[ReasonRule, ...] = (
    *(
        ReasonRule(code, Verdict.RETRY, "the API is throttled", COMMON_ERRORS_DOC)
        for code in sorted(THROTTLING_CODES)
    ),
    ReasonRule(
        "ClientException",
        Verdict.FINAL,
        "the request is wrong: a task definition, role or image ECS cannot use",
        RUN_TASK_DOC,
    ),
    ReasonRule("InvalidParameterException", Verdict.FINAL, "a parameter is invalid", RUN_TASK_DOC),
    ReasonRule("AccessDeniedException", Verdict.FINAL, "not permitted", RUN_TASK_DOC),
    ReasonRule("ClusterNotFoundException", Verdict.FINAL, "no such cluster", RUN_TASK_DOC),
    ReasonRule(
        "PlatformUnknownException", Verdict.FINAL, "no such Fargate platform version", RUN_TASK_DOC
    ),
    ReasonRule(
        "PlatformTaskDefinitionIncompatibilityException",
        Verdict.FINAL,
        "the task definition does not fit the platform version",
        RUN_TASK_DOC,
    ),
    ReasonRule("UnsupportedFeatureException", Verdict.FINAL, "not in this Region", RUN_TASK_DOC),
    ReasonRule("BlockedException", Verdict.FINAL, "the account is blocked", RUN_TASK_DOC),
    ReasonRule(
        "ConflictException",
        Verdict.FINAL,
        "the clientToken was used with other parameters",
        RUN_TASK_DOC,
    ),
)
_ERROR_CODES = {rule.match: rule for rule in ERROR_CODES}
# ECS also throttles with a ClientException whose message is "Rate exceeded" (its common
# errors page calls it a throttling answer), so for ClientException the message decides.
_RATE_EXCEEDED = "Rate exceeded"
_UNKNOWN = ReasonRule("", Verdict.FINAL, "not a reason known to be temporary", FAILURE_REASONS_DOC)


@dataclass(frozen=True)
class Refusal:
    """What ECS said, in words, and the rule that decides whether to try again."""

    said: str
    rule: ReasonRule

    @property
    def retryable(self) -> bool:
        return self.rule.verdict is Verdict.RETRY


def failure_rule(reason: str) -> ReasonRule:
    """The rule of one ``failures[].reason``: the first prefix that matches, else final."""
    for rule in FAILURE_REASONS:
        if reason.startswith(rule.match):
            return rule
    return _UNKNOWN


def failures_refusal(failures: Sequence[Mapping[str, Any]]) -> Refusal:
    """RunTask's ``failures`` as one refusal: retryable only when every failure is. A single
    final reason (a bad definition for one task) makes waiting pointless for the call."""
    reasons = [str(f.get("reason") or "unknown reason") for f in failures]
    rules = [failure_rule(reason) for reason in reasons]
    final = next((r for r in rules if r.verdict is Verdict.FINAL), None)
    said = "; ".join(dict.fromkeys(reasons)) or "no task started"
    if final is not None or not rules:
        return Refusal(said, final or _UNKNOWN)
    return Refusal(said, rules[0])


def error_rule(code: str, message: str) -> ReasonRule:
    """The rule of an error code (with its message, which tells a throttling ClientException)."""
    if code == "ClientException" and _RATE_EXCEEDED.lower() in message.lower():
        return ReasonRule(code, Verdict.RETRY, "the API is throttled", COMMON_ERRORS_DOC)
    return _ERROR_CODES.get(code, _UNKNOWN)


def error_refusal(error: BaseException) -> Refusal | None:
    """The refusal an error carries, however it is wrapped (``raise ... from`` or raised
    while handling another); None when no ECS answer is in the chain (a dropped connection:
    it is not known whether RunTask started anything)."""
    for link in _chain(error):
        if isinstance(link, ClientError):
            details = link.response.get("Error", {})
            code, message = str(details.get("Code", "")), str(details.get("Message", ""))
            return Refusal(f"{code}: {message}", error_rule(code, message))
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__
