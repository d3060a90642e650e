"""Register once, reuse always: the revision of a task definition described in code.

A spec's content is the complete, normalised RegisterTaskDefinition request. A revision is
reused only when its content, as DescribeTaskDefinition answers it, equals the request's
(``task_definition_content``: what ECS adds or respells on describe is no difference). The
content digest, kept as the tag ``ecs-pipelines/content-digest`` on each revision registered
from code, is a hint and never the decision: anyone may register a revision of the family
carrying it (the console's "create new revision", a copy made with ``--include TAGS``) with
another image, command, role or environment. Such a revision is never used; the log names it
once, as a sign that someone edited the family. To launch:

1. Describe the family's latest ACTIVE revision (one DescribeTaskDefinition with its tags).
   Equal content: use it. Otherwise read the family's ACTIVE revisions, newest first, page
   after page (ListTaskDefinitions), describing each until one has equal content, wherever it
   sits: content rolled back, or a family several steps share.
2. None has: RegisterTaskDefinition, once.
3. Two workers may register the same content at the same moment. Revision numbers say when:
   a registration that got the revision right after the latest one the lookup saw raced with
   nobody. Otherwise the revisions in between are read, and the lowest ACTIVE one with equal
   content wins; the worker that registered a higher one deregisters its own and uses the
   winner. Every worker picks the same (the lowest exists before the others register), and
   afterwards the family holds one ACTIVE revision per content, the one in use.

Results are cached per process and target (``process_cache``), bounded (``ResolutionCache``):
a launch whose content did not change makes no task-definition call after the first. An entry
is trusted only in the process that verified the content or registered it. A revision
deregistered by hand while a process holds it in its cache is found out by RunTask.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecs_pipelines.ecs.common import BoundedMap, EcsSpecError, family_and_revision
from ecs_pipelines.ecs.task_definitions.content import content_differences
from ecs_pipelines.ecs.task_definitions.request import register_request
from ecs_pipelines.ecs.task_definitions.spec import (
    DIGEST_TAG,
    TaskDefinitionDefaults,
    TaskDefinitionSpec,
    content_digest,
)
from ecs_pipelines.ecs.tasks import EcsTaskClient

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import (
        RegisterTaskDefinitionRequestTypeDef,
        TaskDefinitionTypeDef,
    )

RACE_WINDOW_SEARCHED = 20  # revisions read after a registration that raced with others
MAX_RESOLVED = 1000  # contents a process keeps resolved, per target
MAX_BASES = 100  # described bases a process keeps, per target
MAX_NAMED_MISMATCHES = 1000  # mismatched revisions a process remembers having logged
MAX_TARGETS = 16  # endpoints, regions and credentials a process keeps caches for
CONTENT_LOCK_STRIPES = 64
ACTIVE = "ACTIVE"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedTaskDefinition:
    """The revision a spec launches: its ARN, and whether this process registered it."""

    arn: str
    family: str
    revision: int
    digest: str
    definition: TaskDefinitionTypeDef
    registered: bool = False


@dataclass(frozen=True)
class Lookup:
    """What the lookup found: a revision with equal content, and the highest revision it saw."""

    match: ResolvedTaskDefinition | None
    latest_revision: int


class ResolutionCache:
    """Resolved revisions and described bases of one target, shared by a process's threads,
    each bounded (the least recently used is dropped, and looked up again when needed).

    ``resolved`` maps (family, content digest) to the revision this process found with equal
    content or registered. Locks per content are striped (a fixed set): a second thread
    resolving the same content waits for the first one's answer."""

    def __init__(
        self,
        *,
        max_resolved: int = MAX_RESOLVED,
        max_bases: int = MAX_BASES,
        max_named_mismatches: int = MAX_NAMED_MISMATCHES,
    ) -> None:
        self.resolved: BoundedMap[tuple[str, str], ResolvedTaskDefinition] = BoundedMap(
            "The cache of resolved task definitions", max_resolved
        )
        self.bases: BoundedMap[str, TaskDefinitionTypeDef] = BoundedMap(
            "The cache of described base task definitions", max_bases
        )
        self.named_mismatches: BoundedMap[str, bool] = BoundedMap(
            "The set of mismatched task definition revisions already logged", max_named_mismatches
        )
        self._stripes = [threading.Lock() for _ in range(CONTENT_LOCK_STRIPES)]

    def content_lock(self, key: tuple[str, str]) -> threading.Lock:
        return self._stripes[hash(key) % CONTENT_LOCK_STRIPES]

    def clear(self) -> None:
        self.resolved.clear()
        self.bases.clear()
        self.named_mismatches.clear()


# The credentials in a target are nobody's business in a log line: keys are not named.
_CACHES: BoundedMap[Hashable, ResolutionCache] = BoundedMap(
    "The task definition caches of this process", MAX_TARGETS, name_keys=False
)
_CACHES_LOCK = threading.Lock()


def process_cache(target: Hashable) -> ResolutionCache:
    """The cache of one target (endpoint, region, credentials) for the life of this process."""
    with _CACHES_LOCK:
        cache = _CACHES.get(target)
        if cache is None:
            cache = ResolutionCache()
            _CACHES.put(target, cache)
        return cache


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
                found = self.find(spec.family, request, digest)
                resolved = found.match or self.register(
                    request, digest, after=found.latest_revision
                )
                self.cache.resolved.put(key, resolved)
        self.client.remember_task_definition(resolved.definition.copy())
        return resolved

    def base(self, reference: str) -> TaskDefinitionTypeDef:
        """The described base (cached: a family's latest revision is read once a process)."""
        cached = self.cache.bases.get(reference)
        if cached is None:
            described = self.client.describe_task_definition_tags(reference)
            if described is None:
                raise EcsSpecError(
                    "task_definition_spec.base", f"ECS knows no task definition {reference!r}"
                )
            cached = described[0]
            self.cache.bases.put(reference, cached)
        return cached

    def find(
        self, family: str, request: RegisterTaskDefinitionRequestTypeDef, digest: str
    ) -> Lookup:
        """The newest ACTIVE revision of ``family`` whose content equals ``request``'s, if any:
        the family's latest first, then every ACTIVE revision, newest first, page by page."""
        described = self.client.describe_task_definition_tags(family)
        if described is None:
            return Lookup(None, 0)
        definition, tags = described
        latest = described_revision = int(definition["revision"])
        match = self._if_equal(definition, tags, request, digest)
        if match is not None:
            return Lookup(match, latest)
        for arn in self.client.active_revisions(family):
            listed_family, revision = family_and_revision(arn)
            if listed_family != family or revision is None:
                continue  # ECS filters by the whole family name; another one is not ours
            latest = max(latest, revision)
            if revision == described_revision:
                continue
            match = self._equal_revision(family, revision, request, digest)
            if match is not None:
                return Lookup(match, latest)
        return Lookup(None, latest)

    def register(
        self, request: RegisterTaskDefinitionRequestTypeDef, digest: str, *, after: int
    ) -> ResolvedTaskDefinition:
        """Registers ``request``; if others registered since revision ``after``, converges on
        the lowest ACTIVE revision with the same digest and deregisters this one."""
        definition = self.client.register_task_definition(request, tags={DIGEST_TAG: digest})
        mine = self._resolved(definition, digest, registered=True)
        if mine.revision <= after + 1:
            return mine  # nobody registered in between: no race to settle
        last = min(mine.revision, after + 1 + RACE_WINDOW_SEARCHED)
        for revision in range(after + 1, last):
            winner = self._equal_revision(mine.family, revision, request, digest)
            if winner is not None:
                self._retire(mine, winner)
                return winner
        return mine

    def _equal_revision(
        self, family: str, revision: int, request: RegisterTaskDefinitionRequestTypeDef, digest: str
    ) -> ResolvedTaskDefinition | None:
        """``family:revision`` if it is ACTIVE and its content equals ``request``'s."""
        described = self.client.describe_task_definition_tags(f"{family}:{revision}")
        if described is None:
            return None
        return self._if_equal(*described, request, digest)

    def _if_equal(
        self,
        definition: TaskDefinitionTypeDef,
        tags: Mapping[str, str],
        request: RegisterTaskDefinitionRequestTypeDef,
        digest: str,
    ) -> ResolvedTaskDefinition | None:
        """The revision ``definition`` describes, if it is ACTIVE and holds ``request``'s
        content. One carrying the digest tag with other content is named in the log, once."""
        if definition.get("status") != ACTIVE:
            return None
        differences = content_differences(definition, request)
        if not differences:
            return self._resolved(definition, digest)
        arn = str(definition.get("taskDefinitionArn"))
        if tags.get(DIGEST_TAG) == digest and self.cache.named_mismatches.add(arn, True):
            _log.warning(
                "Task definition %s carries the tag %s=%s but its content differs (%s): it is "
                "not used. A revision of the family was registered with this tag elsewhere "
                "(a copy made with its tags, a new revision in the console).",
                arn,
                DIGEST_TAG,
                digest,
                ", ".join(differences),
            )
        return None

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
        definition: TaskDefinitionTypeDef, digest: str, *, registered: bool = False
    ) -> ResolvedTaskDefinition:
        return ResolvedTaskDefinition(
            arn=str(definition["taskDefinitionArn"]),
            family=str(definition["family"]),
            revision=int(definition["revision"]),
            digest=digest,
            definition=definition,
            registered=registered,
        )
