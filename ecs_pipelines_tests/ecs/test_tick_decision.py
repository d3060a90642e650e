"""The decision of a sensor tick, one rule at a time: pure (no client, no queue, no clock), so
each case states what the tick learned and DescribeTasks' answers, and reads the decision."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_pipelines.ecs.tracking import (
    ClusterWatch,
    Described,
    EventIntake,
    Listing,
    TaskGroup,
    TickDecision,
    TickRules,
    TrackingState,
    task_digest,
)
from ecs_pipelines_tests.ecs.test_tracking import arn, task

NOW = 2_000_000_000
RECENTLY = NOW - 10  # a sweep that is not due again yet
LONG_AGO = NOW - 10_000  # one that is
WATCH = TickRules(watch=ClusterWatch("demo"))
NAMED = TickRules()


def one(task_arn: str) -> TaskGroup:
    return TaskGroup("demo", (task_arn,))


def heard(*tasks: dict[str, Any], dropped: tuple[str, ...] = ()) -> EventIntake:
    """What a tick read from its queue: each task's newest state, from one message each."""
    return EventIntake(
        states={t["taskArn"]: t for t in tasks},
        receipts={t["taskArn"]: [f"receipt of {t['taskArn']}"] for t in tasks},
        dropped=list(dropped),
    )


def answers(*tasks: dict[str, Any], missing: tuple[str, ...] = ()) -> Described:
    """DescribeTasks' answers: these tasks, and MISSING for ``missing``."""
    return Described(
        {t["taskArn"]: t for t in tasks},
        {a: "MISSING" for a in missing},
        calls=1,
    )


def decided(decision: TickDecision, described: Described) -> tuple[Any, TrackingState]:
    """The verdicts from ``described`` (every container essential), and the next state."""
    result = decision.conclude(described, {})
    return result, decision.next_state(result).state


# --- what to describe ----------------------------------------------------------------------


def test_an_event_of_an_untracked_task_makes_it_new_and_described_before_it_is_tracked() -> None:
    """Between sweeps, a watch takes a task it learns of by an event as new: it is described
    whole, with no grace; known to ECS it is tracked, unknown it is dropped and counted."""
    found = arn()
    decision = TickDecision(WATCH, TrackingState(swept_at=RECENTLY), NOW, events=heard(task(found)))
    assert not decision.sweeping
    assert decision.new_groups == (one(found),) and decision.adopted == {found}
    assert decision.to_describe() == [("demo", found)] and not decision.review.grace
    _, tracked = decided(decision, answers(task(found)))
    assert tracked.groups == (one(found),)
    unknown, state = decided(decision, answers(missing=(found,)))
    assert unknown.dropped == (one(found),) and unknown.unconfirmed == (found,)
    assert state.groups == () and not unknown.completions


def test_a_stop_an_event_tells_is_described_with_the_tasks_of_its_group_that_ended() -> None:
    """A group an event says one task of stopped is described for that task and for those an
    earlier tick found ended; the description decides (the group completes when all ended)."""
    ended, stopping, running = arn(), arn(), arn()
    group = TaskGroup("demo", (ended, stopping, running))
    state = TrackingState(groups=(group,), done=frozenset({task_digest(ended)}), swept_at=RECENTLY)
    decision = TickDecision(NAMED, state, NOW, events=heard(task(stopping, "STOPPED")))
    assert decision.to_describe() == [("demo", ended), ("demo", stopping)]
    result, after = decided(decision, answers(task(ended, "STOPPED"), task(stopping, "STOPPED")))
    assert not result.completions and after.groups == (group,)
    assert after.done == {task_digest(ended), task_digest(stopping)}


def test_a_stop_the_description_does_not_show_decides_nothing() -> None:
    """An event's stop is a hint: described RUNNING, the task stays tracked and the event is
    counted as unconfirmed."""
    told = arn()
    state = TrackingState(groups=(one(told),), swept_at=RECENTLY)
    decision = TickDecision(WATCH, state, NOW, events=heard(task(told, "STOPPED")))
    assert decision.to_describe() == [("demo", told)]
    result, after = decided(decision, answers(task(told)))
    assert not result.completions and result.unconfirmed == (told,)
    assert after.groups == (one(told),)


def test_a_task_known_running_and_not_told_of_is_quiet() -> None:
    """Between sweeps a tracked task no event says stopped is not described and stays
    tracked; at a sweep, neither is one ListTasks lists RUNNING."""
    quiet, other = arn(), arn()
    state = TrackingState(groups=(one(quiet), one(other)), swept_at=RECENTLY)
    between = TickDecision(WATCH, state, NOW, events=heard(task(other, "RUNNING")))
    assert between.quiet == (one(quiet), one(other)) and between.to_describe() == []
    _, after = decided(between, Described())
    assert after.groups == (one(quiet), one(other))
    due = TrackingState(groups=(one(quiet),), swept_at=LONG_AGO)
    listing = Listing(running=(quiet,))
    sweep = TickDecision(WATCH, due, NOW, events=heard(), listing=listing)
    assert sweep.sweeping and sweep.quiet == (one(quiet),) and sweep.to_describe() == []


def test_a_tracked_task_the_sweep_no_longer_lists_running_is_described() -> None:
    """At a sweep (every tick when polling) a tracked task listed STOPPED, or not listed at
    all, is described; one listed RUNNING is not."""
    stopped, forgotten, running = arn(), arn(), arn()
    state = TrackingState(groups=(one(stopped), one(forgotten), one(running)))
    listing = Listing(running=(running,), stopped=(stopped,))
    decision = TickDecision(WATCH, state, NOW, listing=listing)
    assert decision.to_describe() == [("demo", stopped), ("demo", forgotten)]
    result, after = decided(
        decision, answers(task(stopped, "STOPPED"), missing=(forgotten,))
    )  # fmt: skip
    assert [c.group for c in result.completions] == [one(stopped), one(forgotten)]
    assert result.completions[1].results[0].lost and after.groups == (one(running),)


def test_a_tag_filter_makes_every_new_task_described() -> None:
    """A new task listed RUNNING is tracked undescribed, unless a tag filter (tags are on
    descriptions only) must see it: then it is described, and one it turns down is ignored
    and remembered, not tracked."""
    wanted, other = arn(), arn()
    listing = Listing(running=(wanted, other))
    plain = TickDecision(WATCH, TrackingState(), NOW, listing=listing)
    assert plain.to_describe() == [] and plain.quiet == (one(wanted), one(other))
    rules = TickRules(watch=ClusterWatch("demo"), accept=lambda t: t["taskArn"] == wanted)
    filtered = TickDecision(rules, TrackingState(), NOW, listing=listing)
    assert filtered.to_describe() == [("demo", wanted), ("demo", other)]
    result, after = decided(filtered, answers(task(wanted), task(other)))
    assert result.ignored == (one(other),) and after.groups == (one(wanted),)
    assert after.seen == {task_digest(other)}


def test_a_new_task_ecs_does_not_know_yet_gets_one_tick_of_grace() -> None:
    """MISSING right after a group is named (eventual consistency after RunTask) keeps it
    tracked once; the next tick MISSING reports it lost."""
    fresh = one(arn())
    decision = TickDecision(NAMED, TrackingState(), NOW, new=[fresh])
    assert decision.review.grace == set(fresh.task_arns)
    result, after = decided(decision, answers(missing=fresh.task_arns))
    assert not result.completions and after.groups == (fresh,)
    later = TickDecision(NAMED, after, NOW + 30)
    [lost] = later.conclude(answers(missing=fresh.task_arns), {}).completions
    assert lost.group == fresh and lost.results[0].lost


def test_named_groups_polling_are_all_described_and_the_cursor_keeps_no_event_state() -> None:
    """Without a queue, every group is described each tick (new ones named twice once); the
    cursor keeps the groups and the read position only."""
    tracked, fresh = one(arn()), one(arn())
    state = TrackingState(groups=(tracked,), after=7)
    decision = TickDecision(NAMED, state, NOW, new=[tracked, fresh])
    assert decision.groups == (tracked, fresh)
    assert decision.to_describe() == [("demo", tracked.task_arns[0]), ("demo", fresh.task_arns[0])]
    result = decision.conclude(answers(task(tracked.task_arns[0]), task(fresh.task_arns[0])), {})
    after, delete, release = decision.next_state(result, after=9)
    assert after == TrackingState(groups=(tracked, fresh), after=9)
    assert not delete and not release


def test_a_queue_that_cannot_be_read_makes_named_groups_described_as_a_sweep() -> None:
    """A queue read that failed: every group is described and a sweep begins now."""
    tracked = one(arn())
    failed = EventIntake(failed="AccessDenied")
    decision = TickDecision(NAMED, TrackingState(groups=(tracked,), swept_at=RECENTLY), NOW,
                            events=failed)  # fmt: skip
    assert decision.sweeping and decision.to_describe() == [("demo", tracked.task_arns[0])]
    _, after = decided(decision, answers(task(tracked.task_arns[0])))
    assert after.swept_at == NOW


# --- the sweep -----------------------------------------------------------------------------


def test_a_describe_sweep_goes_on_over_ticks_from_where_the_budget_stopped_it() -> None:
    """Named groups on events: a due sweep describes every tracked group; the groups the
    budget did not reach come first in the cursor and are the next tick's share, the sweep
    not starting again until it is done and due."""
    first, second, third = (one(arn()) for _ in range(3))
    state = TrackingState(groups=(first, second, third), swept_at=LONG_AGO)
    begun = TickDecision(NAMED, state, NOW, events=heard())
    assert begun.sweeping and len(begun.to_describe()) == 3
    [a] = first.task_arns
    _, after = decided(begun, answers(task(a)))  # the budget stopped after one batch
    assert after.groups == (second, third, first)
    assert (after.sweep_left, after.swept_at) == (2, NOW)
    going_on = TickDecision(NAMED, after, NOW + 1, events=heard())
    assert not going_on.sweeping and going_on.quiet == (first,)
    assert going_on.to_describe() == [("demo", second.task_arns[0]), ("demo", third.task_arns[0])]


def test_a_watch_sweeps_at_its_first_tick_then_every_interval_and_lists_only_then() -> None:
    """A watch on events lists its cluster at the first tick and when ``sweep_seconds`` have
    passed (the decision refuses a listing out of turn); each sweep is stamped."""
    assert TickDecision(WATCH, TrackingState(), NOW, events=heard(), listing=Listing()).sweeping
    recent = TrackingState(swept_at=RECENTLY)
    with pytest.raises(ValueError, match="only then"):
        TickDecision(WATCH, recent, NOW, events=heard(), listing=Listing())
    with pytest.raises(ValueError, match="only then"):
        TickDecision(WATCH, TrackingState(swept_at=LONG_AGO), NOW, events=heard())
    between = TickDecision(WATCH, recent, NOW, events=heard())
    assert decided(between, Described())[1].swept_at == RECENTLY
    due = TickDecision(WATCH, TrackingState(swept_at=LONG_AGO), NOW, events=heard(),
                       listing=Listing())  # fmt: skip
    assert decided(due, Described())[1].swept_at == NOW


def test_tasks_stopped_before_a_watchs_first_tick_are_history() -> None:
    """At a watch's first tick, tasks listed STOPPED are remembered, not described or
    reported, unless the watch includes history."""
    old, running = arn(), arn()
    listing = Listing(running=(running,), stopped=(old,))
    first = TickDecision(WATCH, TrackingState(), NOW, listing=listing, first=True)
    assert first.new_groups == (one(running),) and first.to_describe() == []
    assert decided(first, Described())[1].seen == {task_digest(old)}
    everything = TickRules(watch=ClusterWatch("demo"), include_history=True)
    told = TickDecision(everything, TrackingState(), NOW, listing=listing, first=True)
    assert told.to_describe() == [("demo", old)]


def test_handled_tasks_are_remembered_only_while_ecs_lists_them() -> None:
    """A reported task is remembered, so that the sweep listing it STOPPED does not find it
    again; once ListTasks no longer lists it, it is forgotten (the memory stays bounded)."""
    done = arn()
    reported, state = decided(
        TickDecision(WATCH, TrackingState(), NOW, listing=Listing(stopped=(done,))),
        answers(task(done, "STOPPED")),
    )
    assert [c.group for c in reported.completions] == [one(done)]
    assert state.seen == {task_digest(done)} and state.groups == ()
    still_listed = TickDecision(WATCH, state, NOW + 30, listing=Listing(stopped=(done,)))
    assert still_listed.new_groups == () and still_listed.to_describe() == []
    assert decided(still_listed, Described())[1].seen == {task_digest(done)}
    forgotten = TickDecision(WATCH, state, NOW + 3600, listing=Listing())
    assert decided(forgotten, Described())[1].seen == frozenset()


# --- the queue's messages ------------------------------------------------------------------


def test_messages_of_an_end_are_kept_in_the_cursor_until_it_is_stored() -> None:
    """The messages of a reported end go into the next cursor (the tick that reads it back
    deletes them); those of a running task, and those with nothing to apply, are deleted at
    once."""
    ended, running = arn(), arn()
    state = TrackingState(groups=(one(ended), one(running)), swept_at=RECENTLY)
    events = heard(task(ended, "STOPPED"), task(running), dropped=("not an event",))
    decision = TickDecision(NAMED, state, NOW, events=events)
    result = decision.conclude(answers(task(ended, "STOPPED")), {})
    after, delete, release = decision.next_state(result)
    assert after.receipts == (f"receipt of {ended}",) and after.groups == (one(running),)
    assert delete == ["not an event", f"receipt of {running}"] and not release


def test_messages_of_ends_not_reached_or_not_stored_are_handed_back() -> None:
    """A stop the budget did not reach, and a completion the caller could not store, keep
    their groups tracked and their messages go back to the queue, to be decided next tick."""
    unstored, unreached = arn(), arn()
    state = TrackingState(groups=(one(unstored), one(unreached)), swept_at=RECENTLY)
    events = heard(task(unstored, "STOPPED"), task(unreached, "STOPPED"))
    decision = TickDecision(NAMED, state, NOW, events=events)
    result = decision.conclude(answers(task(unstored, "STOPPED")), {})
    assert result.unvisited == (one(unreached),)
    after, delete, release = decision.next_state(result, unrecorded=[one(unstored)])
    assert after.groups == (one(unstored), one(unreached)) and not after.receipts
    assert not delete and set(release) == {f"receipt of {unstored}", f"receipt of {unreached}"}


def test_a_task_known_only_from_its_events_that_the_budget_did_not_reach_is_not_tracked() -> None:
    """An adopted task left undescribed is not tracked yet: its messages are handed back, and
    the next tick takes it from its events again."""
    found, other = arn(), arn()
    decision = TickDecision(
        WATCH, TrackingState(swept_at=RECENTLY), NOW, events=heard(task(other), task(found))
    )
    result = decision.conclude(answers(task(other)), {})
    after, delete, release = decision.next_state(result)
    assert after.groups == (one(other),) and release == [f"receipt of {found}"]
    assert delete == [f"receipt of {other}"]
