"""When each container of a task may start: ``dependsOn`` as ECS applies it. Pure.

The conditions, from the ECS API reference (ContainerDependency) and developer guide
("Container dependency"):

- START: the dependency has started ("validates that a dependent container is started before
  permitting other containers to start");
- COMPLETE: the dependency "runs to completion (exits) before permitting other containers to
  start";
- SUCCESS: "the same as COMPLETE, but it also requires that the container exits with a zero
  status";
- HEALTHY: the dependency "passes its Docker health check before permitting other containers
  to start. This requires that the dependent container has health checks configured. This
  condition is confirmed only at task startup."

A container whose condition can no longer be met (SUCCESS on a dependency that exited 1,
HEALTHY on one that stopped or became UNHEALTHY, a dependency that never started, a cycle or
an unknown name) is never started; it stops with a reason, and when it is essential the task
stops as for any essential container that exited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecs_pipelines.local.runtime.health_checks import HEALTHY, UNHEALTHY

START, COMPLETE, SUCCESS, HEALTHY_CONDITION = "START", "COMPLETE", "SUCCESS", "HEALTHY"
WAIT, GO = "wait", "go"


@dataclass(frozen=True)
class Dependency:
    container: str
    condition: str


@dataclass(frozen=True)
class Progress:
    """What is known of a container for the decision: started, ended, exit code, health."""

    started: bool
    ended: bool
    exit_code: int | None
    health: str | None  # None: no health check


def _never(target: str, dependency: Dependency, why: str) -> str:
    # Worded after the ECS container agent's dependency-graph errors.
    return (
        f"DependencyConditionError: dependency graph: failed to resolve the container ordering "
        f"dependency [{dependency.container}] for target [{target}] as {why}"
    )


def verdict(target: str, dependency: Dependency, progress: Progress | None) -> str:
    """WAIT, GO, or the reason (a str other than those) why the condition can never be met."""
    if progress is None:
        return _never(target, dependency, "the dependency is not a container of the task")
    condition = dependency.condition
    if condition == START:
        if progress.started:
            return GO
        return _never(target, dependency, "dependency never started") if progress.ended else WAIT
    if condition in (COMPLETE, SUCCESS):
        if not progress.ended:
            return WAIT
        if not progress.started:
            return _never(target, dependency, "dependency never started")
        if condition == SUCCESS and progress.exit_code != 0:
            return _never(target, dependency, "dependency did not exit successfully")
        return GO
    if condition == HEALTHY_CONDITION:
        if progress.health is None:
            return _never(target, dependency, "dependency has no health check")
        if progress.health == HEALTHY and not progress.ended:
            return GO
        if progress.ended or progress.health == UNHEALTHY:
            return _never(target, dependency, "dependency did not become healthy")
        return WAIT
    return _never(target, dependency, f"condition {condition} is not known")


def decide(
    target: str,
    dependencies: tuple[Dependency, ...],
    progress: Mapping[str, Progress],
    cyclic: frozenset[str],
) -> str:
    """GO when every condition of ``target`` holds, WAIT while any may still, else why not."""
    if target in cyclic:
        return (
            f"DependencyConditionError: dependency graph: container {target} depends on "
            "itself through dependsOn"
        )
    outcome = GO
    for dependency in dependencies:
        found = verdict(target, dependency, progress.get(dependency.container))
        if found not in (GO, WAIT):
            return found
        if found == WAIT:
            outcome = WAIT
    return outcome


def cyclic_containers(graph: Mapping[str, tuple[Dependency, ...]]) -> frozenset[str]:
    """The containers that depend on themselves, directly or through others."""
    found: set[str] = set()
    for start in graph:
        stack = [d.container for d in graph[start]]
        seen: set[str] = set()
        while stack:
            name = stack.pop()
            if name == start:
                found.add(start)
                break
            if name in seen or name not in graph:
                continue
            seen.add(name)
            stack.extend(d.container for d in graph[name])
    return frozenset(found)
