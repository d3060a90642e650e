"""Register once, reuse always: the revision of a task definition described in code.

A spec's content (the complete, normalised RegisterTaskDefinition request) has a digest; each
revision registered from code carries it as the tag ``ecs-pipelines/content-digest``. To launch:

1. Look up the family's latest ACTIVE revision (one DescribeTaskDefinition with its tags). Same
   digest: use it. Otherwise look through the family's newer ACTIVE revisions (one
   ListTaskDefinitions page, then DescribeTaskDefinition each, newest first, at most
   ``OLDER_REVISIONS_SEARCHED``): content rolled back, or a family several steps share.
2. None has the digest: RegisterTaskDefinition, once.
3. Two workers may register the same content at the same moment. Revision numbers say when:
   a registration that got the revision right after the latest one the lookup saw raced with
   nobody. Otherwise the revisions in between are read, and the lowest ACTIVE one with the
   same digest wins; the worker that registered a higher one deregisters its own and uses the
   winner. Every worker picks the same (the lowest exists before the others register), and
   afterwards the family holds one ACTIVE revision per digest, the one in use.

Results are cached for the life of the process, per target (``process_cache``): a launch whose
content did not change makes no task-definition call at all after the first. A revision
deregistered by hand while a process holds it in its cache is found out by RunTask.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from ecs_pipelines.ecs.arns import family_revision
from ecs_pipelines.ecs.client import EcsTaskClient
from ecs_pipelines.ecs.errors import EcsSpecError
from ecs_pipelines.ecs.task_definition_spec import (
    DIGEST_TAG,
    TaskDefinitionDefaults,
    TaskDefinitionSpec,
    content_digest,
    register_request,
)

OLDER_REVISIONS_SEARCHED = 10  # past these, older content is registered anew, not searched for
RACE_WINDOW_SEARCHED = 20  # revisions read after a registration that raced with others

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedTaskDefinition:
    """The revision a spec launches: its ARN, and whether this process registered it."""

    arn: str
    family: str
    revision: int
    digest: str
    definition: Mapping[str, Any]
    registered: bool = False


@dataclass(frozen=True)
class Lookup:
    """What the lookup found: a revision with the digest, and the highest revision it saw."""

    match: ResolvedTaskDefinition | None
    latest_revision: int


class ResolutionCache:
    """Resolved revisions and described bases of one target, shared by a process's threads.
    One lock per content makes a second thread wait for the first one's answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._content_locks: dict[tuple[str, str], threading.Lock] = {}
        self.resolved: dict[tuple[str, str], ResolvedTaskDefinition] = {}
        self.bases: dict[str, dict[str, Any]] = {}

    def content_lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._lock:
            return self._content_locks.setdefault(key, threading.Lock())

    def clear(self) -> None:
        with self._lock:
            self.resolved.clear()
            self.bases.clear()


_CACHES: dict[Hashable, ResolutionCache] = {}
_CACHES_LOCK = threading.Lock()


def process_cache(target: Hashable) -> ResolutionCache:
    """The cache of one target (endpoint, region, credentials) for the life of this process."""
    with _CACHES_LOCK:
        return _CACHES.setdefault(target, ResolutionCache())


def _revision_of(arn: str) -> int:
    return int(arn.rsplit(":", 1)[-1])


def _family_of(arn: str) -> str:
    return family_revision(arn).rsplit(":", 1)[0]


class TaskDefinitionRegistry:
    """Resolves specs to revisions through one EcsTaskClient (its retries and deadlines)."""

    def __init__(self, client: EcsTaskClient, cache: ResolutionCache | None = None) -> None:
        self.client = client
        self.cache = cache if cache is not None else ResolutionCache()

    def resolve(
        self, spec: TaskDefinitionSpec, defaults: TaskDefinitionDefaults
    ) -> ResolvedTaskDefinition:
        """The revision to launch for ``spec``: found, or registered once. Checked first."""
        if spec.family is None:
            raise EcsSpecError(
                "task_definition_spec.family",
                "is required here (ops and assets derive it from their name)",
            )
        base = self.base(spec.base) if spec.base is not None else None
        request = register_request(spec, defaults, base)
        digest = content_digest(request)
        key = (spec.family, digest)
        with self.cache.content_lock(key):
            resolved = self.cache.resolved.get(key)
            if resolved is None:
                found = self.find(spec.family, digest)
                resolved = found.match or self.register(
                    request, digest, after=found.latest_revision
                )
                self.cache.resolved[key] = resolved
        self.client.remember_task_definition(dict(resolved.definition))
        return resolved

    def base(self, reference: str) -> dict[str, Any]:
        """The described base (cached: a family's latest revision is read once a process)."""
        cached = self.cache.bases.get(reference)
        if cached is None:
            described = self.client.describe_task_definition_tags(reference)
            if described is None:
                raise EcsSpecError(
                    "task_definition_spec.base", f"ECS knows no task definition {reference!r}"
                )
            cached = described[0]
            self.cache.bases[reference] = cached
        return cached

    def find(self, family: str, digest: str) -> Lookup:
        """The newest ACTIVE revision of ``family`` with ``digest``, if any."""
        described = self.client.describe_task_definition_tags(family)
        if described is None:
            return Lookup(None, 0)
        definition, tags = described
        latest = int(definition["revision"])
        if definition.get("status") == "ACTIVE" and tags.get(DIGEST_TAG) == digest:
            return Lookup(self._resolved(definition, digest), latest)
        arns = [a for a in self.client.list_active_revisions(family) if _family_of(a) == family]
        revisions = sorted({_revision_of(arn) for arn in arns}, reverse=True)
        latest = max([latest, *revisions])
        older = [r for r in revisions if r != int(definition["revision"])]
        for revision in older[:OLDER_REVISIONS_SEARCHED]:
            match = self._active_with(family, revision, digest)
            if match is not None:
                return Lookup(match, latest)
        return Lookup(None, latest)

    def register(
        self, request: Mapping[str, Any], digest: str, *, after: int
    ) -> ResolvedTaskDefinition:
        """Registers ``request``; if others registered since revision ``after``, converges on
        the lowest ACTIVE revision with the same digest and deregisters this one."""
        definition = self.client.register_task_definition(dict(request), tags={DIGEST_TAG: digest})
        mine = self._resolved(definition, digest, registered=True)
        if mine.revision <= after + 1:
            return mine  # nobody registered in between: no race to settle
        last = min(mine.revision, after + 1 + RACE_WINDOW_SEARCHED)
        for revision in range(after + 1, last):
            winner = self._active_with(mine.family, revision, digest)
            if winner is not None:
                self._retire(mine, winner)
                return winner
        return mine

    def _active_with(
        self, family: str, revision: int, digest: str
    ) -> ResolvedTaskDefinition | None:
        described = self.client.describe_task_definition_tags(f"{family}:{revision}")
        if described is None:
            return None
        definition, tags = described
        if definition.get("status") != "ACTIVE" or tags.get(DIGEST_TAG) != digest:
            return None
        return self._resolved(definition, digest)

    def _retire(self, duplicate: ResolvedTaskDefinition, winner: ResolvedTaskDefinition) -> None:
        """Deregisters a duplicate no one uses, so that later lookups find only the winner."""
        try:
            self.client.deregister_task_definition(duplicate.arn)
        except Exception as error:  # the winner is still right; the duplicate only lingers
            _log.warning(
                "Could not deregister duplicate task definition %s (%s is in use): %s",
                duplicate.arn,
                winner.arn,
                error,
            )

    @staticmethod
    def _resolved(
        definition: Mapping[str, Any], digest: str, *, registered: bool = False
    ) -> ResolvedTaskDefinition:
        return ResolvedTaskDefinition(
            arn=str(definition["taskDefinitionArn"]),
            family=str(definition["family"]),
            revision=int(definition["revision"]),
            digest=digest,
            definition=definition,
            registered=registered,
        )
