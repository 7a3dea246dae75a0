"""Unit tests for the page-out escalation ladder, ``hotline.domain.ladder.decide``.

Examples are written in domain words ("ann presses 2, bo is called next"); regression tests
are named after the seed system's bugs they guard against (``spec/seed-behaviour.md`` A.4,
A.5, A.7, A.10). Properties drive random ladders with random event sequences that mix the
current attempt with stale ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.ladder import (
    CARRIER_OUTCOMES,
    MAX_REPROMPTS,
    Answered,
    CallEnded,
    Command,
    Decision,
    Event,
    Finish,
    HangUp,
    Ladder,
    LadderStatus,
    Outcome,
    PlaceCall,
    Pressed,
    Reply,
    RoundDue,
    Settle,
    Silent,
    Start,
    Stop,
    Target,
    Tier,
    WakeAt,
    decide,
)
from hotline.domain.voice import CallStatus

NOW = datetime(2026, 11, 21, tzinfo=UTC)
PROPERTY = settings(max_examples=300, deadline=None)
TERMINAL = (LadderStatus.ACCEPTED, LadderStatus.UNANSWERED, LadderStatus.STOPPED)
WAITING, UNANSWERED = LadderStatus.WAITING, LadderStatus.UNANSWERED
C = TypeVar("C", bound=Command)
INVALID_INPUTS = ["9", "0", "4", "5", "8", "*", "#", ""]  # "" = the prompt timed out


# --- helpers -------------------------------------------------------------------------------


def person(name: str) -> Target:
    return Target(name=name, phone=f"+1555{sum(map(ord, name)):07d}", say_name=name.title())


def ladder(
    *tiers: Sequence[str], rounds: int = 2, round_delay: int = 60, ring_timeout: int = 30
) -> Ladder:
    return Ladder(
        tiers=tuple(
            Tier(f"group-{i}", tuple(person(name) for name in names))
            for i, names in enumerate(tiers)
        ),
        rounds=rounds,
        round_delay=round_delay,
        ring_timeout=ring_timeout,
    )


def of_type(decision: Decision, kind: type[C]) -> list[C]:
    return [command for command in decision.commands if isinstance(command, kind)]


def called(decision: Decision) -> str | None:
    """The name of the person the decision calls, or None when it places no call."""
    calls = of_type(decision, PlaceCall)
    assert len(calls) <= 1, decision.commands
    return calls[0].target.name if calls else None


def settled(decision: Decision) -> list[tuple[int, Outcome, str | None]]:
    return [(s.attempt, s.outcome, s.digit) for s in of_type(decision, Settle)]


def started(state: Ladder) -> Decision:
    return decide(state, Start(), NOW)


def feed(state: Ladder, *events: Event) -> Decision:
    decision = Decision(state)
    for event in events:
        decision = decide(decision.state, event, NOW)
    return decision


def no_answer(state: Ladder) -> Decision:
    return decide(state, CallEnded(state.attempt, CallStatus.NO_ANSWER), NOW)


def press(state: Ladder, digit: str) -> Decision:
    return decide(state, Pressed(state.attempt, digit), NOW)


# --- the order of calls -------------------------------------------------------------------


def test_start_calls_the_first_person_of_the_first_tier() -> None:
    decision = started(ladder(["ann", "bo"], ["cy"], ring_timeout=25))
    assert decision.commands == (
        PlaceCall(1, person("ann"), round=1, tier=0, position=0, timeout=25),
    )
    assert decision.state.status is LadderStatus.PAGING
    assert decision.state.current == person("ann")
    assert decision.state.attempt == 1


def test_calls_go_one_at_a_time_in_order_through_every_tier() -> None:
    decision = started(ladder(["ann", "bo"], ["cy", "di"], rounds=1))
    order = [called(decision)]
    while decision.state.status is LadderStatus.PAGING:
        decision = no_answer(decision.state)
        order.append(called(decision))
    assert order == ["ann", "bo", "cy", "di", None]
    assert decision.state.tried_targets == [person(n) for n in ("ann", "bo", "cy", "di")]


# --- 1 accepts ------------------------------------------------------------------------------


def test_pressing_1_accepts_and_nobody_else_is_called() -> None:
    state = no_answer(started(ladder(["ann", "bo", "cy"])).state).state  # bo is on the line
    decision = press(state, "1")
    assert decision.reply is Reply.ACCEPTED
    assert decision.state.status is LadderStatus.ACCEPTED
    assert decision.commands == (
        Settle(2, Outcome.ACCEPTED, "1"),
        Finish(accepted=True, by=person("bo")),
    )
    assert called(decision) is None
    # Whatever arrives afterwards, nobody else is called.
    for event in (
        CallEnded(2, CallStatus.COMPLETED),
        Pressed(2, "2"),
        Silent(2),
        RoundDue(2),
        Start(),
        Stop("resolved"),
    ):
        later = decide(decision.state, event, NOW)
        assert later.state == decision.state
        assert later.commands == ()


# --- 2 passes -------------------------------------------------------------------------------


def test_pressing_2_passes_to_the_next_person_in_the_tier() -> None:
    decision = press(started(ladder(["ann", "bo"], ["cy"])).state, "2")
    assert decision.reply is Reply.PASSED
    assert settled(decision) == [(1, Outcome.PASSED, "2")]
    assert called(decision) == "bo"
    assert decision.state.attempt == 2


def test_pressing_2_on_the_last_person_of_a_tier_passes_to_the_next_tier() -> None:
    state = no_answer(started(ladder(["ann", "bo"], ["cy", "di"])).state).state  # bo
    decision = press(state, "2")
    assert called(decision) == "cy"
    assert (decision.state.tier, decision.state.position) == (1, 0)


# --- 3 escalates ----------------------------------------------------------------------------


def test_pressing_3_escalates_to_the_first_person_of_the_next_tier() -> None:
    state = started(ladder(["ann", "bo", "cy"], ["dan", "eve"])).state
    decision = press(state, "3")
    assert decision.reply is Reply.ESCALATED
    assert settled(decision) == [(1, Outcome.ESCALATED, "3")]
    assert called(decision) == "dan"
    assert (decision.state.tier, decision.state.position) == (1, 0)


def test_regression_a4_escalation_calls_first_of_next_tier_not_the_agent_index() -> None:
    # Seed bug A.4: after a transfer (index 1), escalating dialled escalation_list[index],
    # i.e. the second escalation contact, and then shared the index space (A.7).
    state = ladder(["ann", "bo", "cy"], ["dan", "eve", "fay"], ["gus"])
    decision = feed(state, Start(), Pressed(1, "2"))  # ann passes to bo (position 1)
    assert called(decision) == "bo"
    decision = press(decision.state, "3")  # bo escalates
    assert called(decision) == "dan"  # not "eve" (position 1 of the next tier)
    assert decision.commands[-1] == PlaceCall(2 + 1, person("dan"), 1, 1, 0, 30)
    # A pass after the escalation stays in the new tier (no shared index space, A.7).
    decision = press(decision.state, "2")
    assert called(decision) == "eve"
    # Escalating again goes to the first of the third tier.
    decision = press(decision.state, "3")
    assert called(decision) == "gus"


def test_pressing_3_skips_empty_tiers() -> None:
    decision = feed(ladder(["ann"], [], [], ["dan"]), Start(), Pressed(1, "3"))
    assert called(decision) == "dan"
    assert decision.state.tier == 3


def test_regression_a4_escalating_past_the_last_tier_ends_the_round_cleanly() -> None:
    # Seed bug A.4: the list lookup happened before the bounds check, so running off the end
    # crashed and the chain died silently.
    decision = feed(ladder(["ann"], ["bo"], rounds=2), Start(), Pressed(1, "3"), Pressed(2, "3"))
    assert called(decision) is None
    assert decision.state.status is LadderStatus.WAITING
    assert decision.commands == (
        Settle(2, Outcome.ESCALATED, "3"),
        WakeAt(NOW + timedelta(seconds=60), round=2),
    )


def test_regression_a4_running_off_the_end_of_the_last_round_finishes_cleanly() -> None:
    for digit in ("2", "3"):
        decision = feed(ladder(["ann"], ["bo"], rounds=1), Start(), Pressed(1, "3"))
        decision = press(decision.state, digit)
        assert decision.state.status is LadderStatus.UNANSWERED
        assert decision.commands[-1] == Finish(accepted=False, by=None)
        assert called(decision) is None


# --- transfer and escalate are not "accepted" (A.6) -----------------------------------------


def test_regression_a6_transfer_and_escalate_are_not_recorded_as_accepted() -> None:
    state = ladder(["ann", "bo"], ["cy"], rounds=1)
    decisions = [started(state)]
    for event in (Pressed(1, "2"), Pressed(2, "3"), Pressed(3, "2")):
        decisions.append(decide(decisions[-1].state, event, NOW))
    outcomes = [s for d in decisions for s in settled(d)]
    assert outcomes == [
        (1, Outcome.PASSED, "2"),
        (2, Outcome.ESCALATED, "3"),
        (3, Outcome.PASSED, "2"),
    ]
    finishes = [f for d in decisions for f in of_type(d, Finish)]
    assert finishes == [Finish(accepted=False, by=None)]
    assert decisions[-1].state.status is LadderStatus.UNANSWERED


# --- invalid input, repeat and timeouts ------------------------------------------------------


@pytest.mark.parametrize("digit", INVALID_INPUTS)
def test_an_invalid_digit_a_9_or_a_timeout_reprompts_the_same_person(digit: str) -> None:
    state = started(ladder(["ann", "bo"])).state
    decision = press(state, digit)
    assert decision.reply is Reply.REPROMPT
    assert decision.commands == ()
    assert decision.state.attempt == 1
    assert decision.state.current == person("ann")
    assert decision.state.reprompts == 1


def test_repeated_invalid_input_ends_as_no_response_and_the_next_person_is_called() -> None:
    # 9, invalid digits and timeouts share one limit; it is never more than 3 re-prompts.
    decision = started(ladder(["ann", "bo"]))
    replies = []
    for digit in ["9", "", "7", "", "9", "*"]:
        decision = press(decision.state, digit)
        replies.append(decision.reply)
        if decision.reply is not Reply.REPROMPT:
            break
    assert replies.count(Reply.REPROMPT) <= 3
    assert replies[-1] is Reply.GOODBYE
    assert [(a, o) for a, o, _ in settled(decision)] == [(1, Outcome.NO_RESPONSE)]
    assert called(decision) == "bo"
    assert decision.state.reprompts == 0  # bo gets a fresh count


def test_invalid_input_reprompts_three_times_then_counts_as_no_response() -> None:
    decision = started(ladder(["ann", "bo"]))
    for digit in ["9", "", "7"]:
        decision = press(decision.state, digit)
        assert decision.reply is Reply.REPROMPT
        assert decision.commands == ()
    assert decision.state.reprompts == MAX_REPROMPTS
    decision = press(decision.state, "")
    assert decision.reply is Reply.GOODBYE
    assert settled(decision) == [(1, Outcome.NO_RESPONSE, None)]
    assert called(decision) == "bo"


def test_the_no_response_settle_keeps_the_last_digit_and_a_timeout_has_none() -> None:
    for last, expected in (("7", "7"), ("", None)):
        decision = started(ladder(["ann", "bo"]))
        while True:
            decision = press(decision.state, last)
            if decision.reply is not Reply.REPROMPT:
                break
        assert settled(decision) == [(1, Outcome.NO_RESPONSE, expected)]


def test_a_valid_choice_after_a_reprompt_still_counts() -> None:
    decision = feed(ladder(["ann", "bo"]), Start(), Pressed(1, ""), Pressed(1, "1"))
    assert decision.reply is Reply.ACCEPTED
    assert decision.commands[-1] == Finish(accepted=True, by=person("ann"))


def test_silence_at_the_human_check_is_no_response_and_moves_on() -> None:
    decision = decide(started(ladder(["ann", "bo"])).state, Silent(1), NOW)
    assert decision.reply is Reply.GOODBYE
    assert settled(decision) == [(1, Outcome.NO_RESPONSE, None)]
    assert called(decision) == "bo"


# --- calls that end without a choice (A.5, A.10.6) -------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (CallStatus.NO_ANSWER, Outcome.NO_ANSWER),
        (CallStatus.BUSY, Outcome.BUSY),
        (CallStatus.FAILED, Outcome.FAILED),
        (CallStatus.CANCELED, Outcome.CANCELED),
        (CallStatus.COMPLETED, Outcome.HUNG_UP),
    ],
)
def test_regression_a10_6_no_answer_busy_failed_advance_to_the_next_person(
    status: CallStatus, outcome: Outcome
) -> None:
    # Seed bug A.5 / A.10.6: an unanswered, busy or failed call stopped the chain.
    decision = decide(started(ladder(["ann", "bo"])).state, CallEnded(1, status), NOW)
    assert settled(decision) == [(1, outcome, None)]
    assert called(decision) == "bo"
    assert decision.state.status is LadderStatus.PAGING


@pytest.mark.parametrize(
    "status", [CallStatus.QUEUED, CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS]
)
def test_progress_statuses_change_nothing(status: CallStatus) -> None:
    state = started(ladder(["ann", "bo"])).state
    decision = decide(state, CallEnded(1, status), NOW)
    assert decision.state == state
    assert decision.commands == ()


def test_regression_a5_an_answering_machine_is_hung_up_and_the_next_person_called() -> None:
    # Seed bug A.5: AMD was configured but AnsweredBy never consulted.
    decision = decide(started(ladder(["ann", "bo"])).state, Answered(1, machine=True), NOW)
    assert decision.commands[:2] == (Settle(1, Outcome.VOICEMAIL), HangUp(1))
    assert called(decision) == "bo"
    # The machine's call then ends: that is about attempt 1, which is stale now.
    later = decide(decision.state, CallEnded(1, CallStatus.COMPLETED), NOW)
    assert later.state == decision.state
    assert later.commands == ()


def test_a_human_answer_changes_nothing() -> None:
    state = started(ladder(["ann", "bo"])).state
    decision = decide(state, Answered(1, machine=False), NOW)
    assert decision.state == state
    assert decision.commands == ()


# --- rounds ---------------------------------------------------------------------------------


def test_exhausting_all_tiers_waits_and_the_next_round_starts_from_the_first_person() -> None:
    state = ladder(["ann"], ["bo"], rounds=2, round_delay=90)
    decision = feed(state, Start(), CallEnded(1, CallStatus.BUSY))
    decision = no_answer(decision.state)
    assert decision.state.status is LadderStatus.WAITING
    assert decision.commands == (
        Settle(2, Outcome.NO_ANSWER),
        WakeAt(NOW + timedelta(seconds=90), round=2),
    )
    decision = decide(decision.state, RoundDue(2), NOW)
    assert decision.state.status is LadderStatus.PAGING
    assert decision.state.round == 2
    assert decision.commands == (PlaceCall(3, person("ann"), 2, 0, 0, 30),)


def test_a_duplicate_or_late_round_due_changes_nothing() -> None:
    decision = feed(ladder(["ann"], rounds=3), Start(), CallEnded(1, CallStatus.NO_ANSWER))
    waiting = decision.state
    for early_or_late in (RoundDue(1), RoundDue(3), RoundDue(0)):
        assert decide(waiting, early_or_late, NOW) == Decision(waiting)
    paging = decide(waiting, RoundDue(2), NOW).state
    for duplicate in (RoundDue(2), RoundDue(3), RoundDue(1)):
        assert decide(paging, duplicate, NOW) == Decision(paging)


def test_a_round_due_before_the_ladder_waits_changes_nothing() -> None:
    state = started(ladder(["ann", "bo"])).state
    assert decide(state, RoundDue(2), NOW) == Decision(state)


def test_regression_a10_7_nobody_accepting_after_all_rounds_finishes_unanswered() -> None:
    # Seed bug A.10.7: no final "nobody accepted" update when the lists are exhausted.
    decision = started(ladder(["ann"], ["bo"], rounds=2))
    finishes: list[Finish] = []
    for event in (
        Pressed(1, "2"),
        CallEnded(2, CallStatus.NO_ANSWER),
        RoundDue(2),
        Answered(3, machine=True),
        Silent(4),
    ):
        decision = decide(decision.state, event, NOW)
        finishes += of_type(decision, Finish)
    assert decision.state.status is LadderStatus.UNANSWERED
    assert finishes == [Finish(accepted=False, by=None)]
    assert decision.commands[-1] == Finish(accepted=False, by=None)
    assert of_type(decision, WakeAt) == []


# --- stale events ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        Pressed(1, "1"),
        Pressed(3, "1"),
        Silent(1),
        Answered(1, machine=True),
        CallEnded(1, CallStatus.NO_ANSWER),
        CallEnded(3, CallStatus.BUSY),
    ],
)
def test_an_event_about_another_attempt_changes_nothing(event: Event) -> None:
    state = no_answer(started(ladder(["ann", "bo", "cy"])).state).state  # attempt 2
    decision = decide(state, event, NOW)
    assert decision.state == state
    assert decision.commands == ()
    expected = Reply.STALE if isinstance(event, Pressed | Silent) else Reply.NONE
    assert decision.reply is expected


def test_keys_pressed_after_the_ladder_is_over_are_stale() -> None:
    state = feed(ladder(["ann"]), Start(), Pressed(1, "1")).state
    assert decide(state, Pressed(1, "2"), NOW).reply is Reply.STALE
    assert decide(state, Silent(1), NOW).reply is Reply.STALE


# --- stop -----------------------------------------------------------------------------------


def test_stop_while_paging_settles_the_current_attempt_as_stopped_and_hangs_it_up() -> None:
    state = no_answer(started(ladder(["ann", "bo"])).state).state
    decision = decide(state, Stop("acknowledged in ServiceNow"), NOW)
    assert decision.state.status is LadderStatus.STOPPED
    assert decision.commands == (Settle(2, Outcome.STOPPED), HangUp(2))
    assert of_type(decision, Finish) == []
    for late in (Pressed(2, "1"), CallEnded(2, CallStatus.CANCELED), RoundDue(2), Stop("again")):
        later = decide(decision.state, late, NOW)
        assert later.state == decision.state
        assert later.commands == ()


def test_stop_while_waiting_between_rounds_calls_nobody_again() -> None:
    state = feed(ladder(["ann"]), Start(), CallEnded(1, CallStatus.NO_ANSWER)).state
    assert state.status is LadderStatus.WAITING
    decision = decide(state, Stop("resolved"), NOW)
    assert decision.state.status is LadderStatus.STOPPED
    assert decision.commands == ()
    assert decide(decision.state, RoundDue(2), NOW) == Decision(decision.state)


def test_stop_before_start_means_nobody_is_ever_called() -> None:
    decision = feed(ladder(["ann"]), Stop("resolved"), Start())
    assert decision.state.status is LadderStatus.STOPPED
    assert decision.commands == ()


def test_a_second_start_changes_nothing() -> None:
    state = started(ladder(["ann", "bo"])).state
    assert decide(state, Start(), NOW) == Decision(state)


# --- empty tiers and empty policies ----------------------------------------------------------


def test_empty_tiers_are_skipped() -> None:
    decision = started(ladder([], ["ann"], [], ["bo"], []))
    assert called(decision) == "ann"
    decision = press(decision.state, "2")
    assert called(decision) == "bo"
    decision = no_answer(decision.state)
    assert decision.state.status is LadderStatus.WAITING


def test_a_one_round_policy_with_nobody_on_call_ends_at_once() -> None:
    for state in (ladder(rounds=1), ladder([], [], rounds=1)):
        decision = started(state)
        assert decision.state.status is LadderStatus.UNANSWERED
        assert decision.commands == (Finish(accepted=False, by=None),)


def test_a_policy_with_nobody_on_call_never_calls_and_finishes_once() -> None:
    decision = started(ladder([], [], rounds=3))
    commands: list[Command] = list(decision.commands)
    for _ in range(10):
        wakes = of_type(decision, WakeAt)
        if not wakes:
            break
        decision = decide(decision.state, RoundDue(wakes[0].round), NOW)
        commands += decision.commands
    assert decision.state.status is LadderStatus.UNANSWERED
    assert [c for c in commands if isinstance(c, PlaceCall)] == []
    assert [c for c in commands if isinstance(c, Finish)] == [Finish(accepted=False, by=None)]


@pytest.mark.parametrize("tiers", [(), ([],), ([], [], [])])
def test_a_policy_with_nobody_on_call_goes_straight_to_the_end(
    tiers: tuple[list[str], ...],
) -> None:
    decision = started(ladder(*tiers, rounds=2))
    assert decision.state.status is LadderStatus.UNANSWERED
    assert decision.commands == (Finish(accepted=False, by=None),)


# --- properties -----------------------------------------------------------------------------


@st.composite
def ladders(draw: st.DrawFn) -> Ladder:
    sizes = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    counter = iter(range(100))
    tiers = [[f"t{t}p{next(counter)}" for _ in range(size)] for t, size in enumerate(sizes)]
    return ladder(
        *tiers,
        rounds=draw(st.integers(1, 3)),
        round_delay=draw(st.integers(0, 600)),
        ring_timeout=draw(st.integers(5, 60)),
    )


def total_targets(state: Ladder) -> int:
    return sum(len(tier.targets) for tier in state.tiers)


@dataclass(frozen=True)
class Recipe:
    """An event to build against the state at the time; ``offset`` 0 = the current attempt."""

    kind: str
    digit: str
    status: CallStatus
    offset: int


recipes = st.builds(
    Recipe,
    kind=st.sampled_from(
        ["pressed"] * 6
        + ["ended"] * 4
        + ["round_due"] * 3
        + ["answered", "machine", "silent", "start", "stop"]
    ),
    digit=st.sampled_from(["1", "2", "2", "2", "3", "3", "3", "9", "", "0", "*", "#", "7"]),
    status=st.sampled_from([*CallStatus, *(s for s in CallStatus if s.is_final)]),
    offset=st.sampled_from([0, 0, 0, 0, 0, 0, -1, 1, -2, 2, -7]),
)


def build(recipe: Recipe, state: Ladder) -> Event:
    attempt = state.attempt + recipe.offset
    match recipe.kind:
        case "pressed":
            return Pressed(attempt, recipe.digit)
        case "ended":
            return CallEnded(attempt, recipe.status)
        case "answered":
            return Answered(attempt)
        case "machine":
            return Answered(attempt, machine=True)
        case "silent":
            return Silent(attempt)
        case "round_due":
            return RoundDue(state.round + 1 + recipe.offset)
        case "start":
            return Start()
        case _:
            return Stop("resolved")


def is_stale(event: Event, state: Ladder) -> bool:
    if isinstance(event, Pressed | Silent | Answered | CallEnded):
        return event.attempt != state.attempt
    if isinstance(event, RoundDue):
        return event.round != state.round + 1
    return False


def first_at_or_after(state: Ladder, tier: int, position: int) -> tuple[int, int] | None:
    """The (tier, position) of the first person at or after the given place, if any."""
    places = [(t, p) for t, each in enumerate(state.tiers) for p in range(len(each.targets))]
    return next((place for place in places if place >= (tier, position)), None)


def expected_settle(event: Event) -> tuple[Outcome, str | None]:
    match event:
        case Pressed(digit="1" | "2" | "3" as digit):
            outcomes = {"1": Outcome.ACCEPTED, "2": Outcome.PASSED, "3": Outcome.ESCALATED}
            return outcomes[digit], digit
        case Pressed(digit=digit):
            return Outcome.NO_RESPONSE, digit or None
        case Silent():
            return Outcome.NO_RESPONSE, None
        case Answered():
            return Outcome.VOICEMAIL, None
        case CallEnded(status=status):
            return CARRIER_OUTCOMES[status], None
        case _:
            return Outcome.STOPPED, None


@PROPERTY
@given(ladders(), st.booleans(), st.lists(recipes, min_size=1, max_size=80))
def test_random_event_sequences_keep_every_ladder_invariant(
    initial: Ladder, start_first: bool, steps: list[Recipe]
) -> None:
    state = initial
    events: list[Event] = [Start()] if start_first else []
    finishes: list[Finish] = []
    calls: list[PlaceCall] = []
    settled_attempts: list[int] = []
    n_events = 0

    def step(event: Event) -> None:
        nonlocal state, n_events
        before = state
        decision = decide(before, event, NOW)  # never raises
        after = decision.state
        n_events += 1

        if before.status in TERMINAL:
            assert after == before
            assert of_type(decision, PlaceCall) == []
            assert of_type(decision, Finish) == []
        if is_stale(event, before):
            assert after == before
            assert decision.commands == ()
            if isinstance(event, Pressed | Silent):
                assert decision.reply is Reply.STALE

        for settle in of_type(decision, Settle):
            assert settle.attempt == before.attempt
            assert settle.attempt not in settled_attempts
            settled_attempts.append(settle.attempt)
            assert (settle.outcome, settle.digit) == expected_settle(event)
            accepted = Finish(accepted=True, by=before.current)
            assert (settle.outcome is Outcome.ACCEPTED) == (accepted in decision.commands)
        if before.status is LadderStatus.PAGING and not is_stale(event, before):
            decisive = (
                isinstance(event, Silent)
                or (isinstance(event, Answered) and event.machine)
                or (isinstance(event, CallEnded) and event.status.is_final)
                or (isinstance(event, Pressed) and event.digit in ("1", "2", "3"))
            )
            if decisive:  # the current attempt ends, with its outcome
                assert len(of_type(decision, Settle)) == 1
        if isinstance(event, Stop) and before.status is LadderStatus.PAGING:
            assert decision.commands == (
                Settle(before.attempt, Outcome.STOPPED),
                HangUp(before.attempt),
            )
        if decision.reply is Reply.REPROMPT:
            assert decision.commands == ()
            assert after.attempt == before.attempt
            assert after.reprompts == before.reprompts + 1 <= MAX_REPROMPTS

        # Where the next call must go: the next person in order, the next tier's first on 3,
        # or the first person when a round starts. Nobody is skipped.
        escalated = isinstance(event, Pressed) and event.digit == "3"
        if before.status is LadderStatus.PAGING:
            start = (before.tier + 1, 0) if escalated else (before.tier, before.position + 1)
            round_ = before.round
        else:
            start, round_ = (0, 0), before.round + (before.status is LadderStatus.WAITING)
        moved_on = any(
            s.outcome not in (Outcome.ACCEPTED, Outcome.STOPPED) for s in of_type(decision, Settle)
        ) or (before.status is not after.status and after.status in (WAITING, UNANSWERED))

        new_calls = of_type(decision, PlaceCall)
        assert len(new_calls) <= 1
        if moved_on and not new_calls:  # the round (or the ladder) is over
            assert first_at_or_after(initial, *start) is None
            assert after.status in (LadderStatus.WAITING, LadderStatus.UNANSWERED)
        for call in new_calls:
            assert call.attempt == (calls[-1].attempt if calls else 0) + 1
            assert call.attempt == after.attempt
            assert call.target == after.current
            assert (call.round, call.tier, call.position) == (
                after.round,
                after.tier,
                after.position,
            )
            assert call.timeout == initial.ring_timeout
            assert call.round == round_
            assert (call.tier, call.position) == first_at_or_after(initial, *start)
            if calls:  # one at a time, in order, nobody twice in a round
                previous = calls[-1]
                assert (previous.round, previous.tier, previous.position) < (
                    call.round,
                    call.tier,
                    call.position,
                )
            assert after.status is LadderStatus.PAGING
            assert after.reprompts == 0
            calls.append(call)

        for finish in of_type(decision, Finish):
            assert decision.commands[-1] == finish
            assert finish.accepted == (after.status is LadderStatus.ACCEPTED)
            if finish.accepted:
                assert finish.by == before.current
            else:
                assert finish.by is None
                assert after.status is LadderStatus.UNANSWERED
            finishes.append(finish)
        assert len(finishes) <= 1

        if after.status is LadderStatus.WAITING and before.status is not LadderStatus.WAITING:
            wake = WakeAt(NOW + timedelta(seconds=initial.round_delay), after.round + 1)
            assert of_type(decision, WakeAt) == [wake]
            assert after.round < after.rounds
        if after.status in (LadderStatus.ACCEPTED, LadderStatus.UNANSWERED):
            assert len(finishes) == 1
        if after.status is LadderStatus.PAGING:
            assert after.current  # points at a real person
        state = after

    for event in events:
        step(event)
    for recipe in steps:
        step(build(recipe, state))

    assert len(calls) <= initial.rounds * total_targets(initial) + n_events
    assert len(calls) <= initial.rounds * total_targets(initial)


@PROPERTY
@given(ladders().filter(lambda state: total_targets(state) > 0))
def test_only_no_answers_reach_unanswered_after_every_person_in_every_round(
    initial: Ladder,
) -> None:
    decision = started(initial)
    calls = of_type(decision, PlaceCall)
    finishes = of_type(decision, Finish)
    for _ in range(1000):
        if decision.state.status is LadderStatus.PAGING:
            decision = no_answer(decision.state)
        elif decision.state.status is LadderStatus.WAITING:
            decision = decide(decision.state, RoundDue(decision.state.round + 1), NOW)
        else:
            break
        calls += of_type(decision, PlaceCall)
        finishes += of_type(decision, Finish)
    assert decision.state.status is LadderStatus.UNANSWERED
    assert len(calls) == initial.rounds * total_targets(initial)
    assert finishes == [Finish(accepted=False, by=None)]
    everyone = [(t, p) for t, tier in enumerate(initial.tiers) for p in range(len(tier.targets))]
    assert [(c.tier, c.position) for c in calls] == everyone * initial.rounds
    assert [c.round for c in calls] == [r for r in range(1, initial.rounds + 1) for _ in everyone]


@PROPERTY
@given(
    ladders(),
    st.lists(
        st.sampled_from(
            [
                Pressed(0, "2"),
                Pressed(0, "3"),
                Pressed(0, ""),
                Pressed(0, "9"),
                Pressed(0, "6"),
                Silent(0),
                Answered(0, machine=True),
                CallEnded(0, CallStatus.BUSY),
                CallEnded(0, CallStatus.FAILED),
                CallEnded(0, CallStatus.CANCELED),
                CallEnded(0, CallStatus.COMPLETED),
            ]
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_without_an_accept_the_ladder_always_ends_unanswered(
    initial: Ladder, cycle: list[Event]
) -> None:
    decision = started(initial)
    finishes = of_type(decision, Finish)
    bound = (initial.rounds * (total_targets(initial) + 1)) * (MAX_REPROMPTS + 1) * len(cycle)
    for i in range(bound + 1):
        state = decision.state
        if state.status is LadderStatus.PAGING:
            template = cycle[i % len(cycle)]
            event: Event
            match template:
                case Pressed():
                    event = Pressed(state.attempt, template.digit)
                case Silent():
                    event = Silent(state.attempt)
                case Answered():
                    event = Answered(state.attempt, machine=True)
                case CallEnded():
                    event = CallEnded(state.attempt, template.status)
            decision = decide(state, event, NOW)
        elif state.status is LadderStatus.WAITING:
            decision = decide(state, RoundDue(state.round + 1), NOW)
        else:
            break
        finishes += of_type(decision, Finish)
    assert decision.state.status is LadderStatus.UNANSWERED
    assert finishes == [Finish(accepted=False, by=None)]


@PROPERTY
@given(ladders(), st.lists(recipes, max_size=30), recipes)
def test_a_stale_event_returns_the_identical_state(
    initial: Ladder, steps: list[Recipe], last: Recipe
) -> None:
    state = started(initial).state
    for recipe in steps:
        state = decide(state, build(recipe, state), NOW).state
    stale_offset = last.offset or 1
    stale = build(Recipe(last.kind, last.digit, last.status, stale_offset), state)
    if not is_stale(stale, state):  # Start and Stop are never about an attempt
        return
    decision = decide(state, stale, NOW)
    assert decision.state is state
    assert decision.commands == ()
