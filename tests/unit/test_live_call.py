"""Unit tests for the live-call hunt, ``hotline.domain.live_call``.

Examples in domain words ("the first person is busy → the second is called at once");
regression tests are named after the seed system's bugs (``spec/seed-behaviour.md`` B.14,
B.22 item 11). Properties drive random event sequences and check the invariants.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.hunt import (
    AlertMissed,
    Announced,
    Answered,
    Bridged,
    BridgeEnded,
    Callee,
    CallerHungUp,
    Chose,
    Command,
    EndLeg,
    EndReason,
    Event,
    Hunt,
    KeyPressed,
    LegEnded,
    LegState,
    Limits,
    NoKey,
    Outcome,
    PlaceCall,
    Status,
    Tick,
)
from hotline.domain.live_call import begin, decide
from hotline.domain.voice import CallStatus

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PEOPLE = tuple(Callee(f"Person {n}", f"+1202555010{n}", f"Person {n}") for n in range(1, 6))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Run:
    """A hunt driven event by event, remembering every command."""

    def __init__(self, people: tuple[Callee, ...] = PEOPLE[:3], **limits: int) -> None:
        decision = begin("ops", "Operations", people, Limits(**limits), T0)
        self.hunt: Hunt = decision.hunt
        self.commands: list[Command] = list(decision.commands)
        self.now = T0

    def __call__(self, event: Event, after: float = 1.0) -> Run:
        self.now += timedelta(seconds=after)
        decision = decide(self.hunt, event, self.now)
        self.hunt = decision.hunt
        self.commands.extend(decision.commands)
        return self

    @property
    def placed(self) -> list[int]:
        return [c.leg for c in self.commands if isinstance(c, PlaceCall)]

    @property
    def ended(self) -> list[EndLeg]:
        return [c for c in self.commands if isinstance(c, EndLeg)]

    @property
    def outcomes(self) -> list[Outcome | None]:
        return [leg.outcome for leg in self.hunt.legs]


def test_the_first_person_is_called_at_once() -> None:
    run = Run()
    assert run.placed == [1]
    assert run.hunt.status is Status.HUNTING
    assert isinstance(run.commands[0], PlaceCall) and run.commands[0].timeout == 60


def test_nobody_on_call_means_nobody_reached_without_a_call() -> None:
    run = Run(())
    assert run.hunt.status is Status.MISSED and run.placed == []


def test_at_most_max_people_are_tried() -> None:
    run = Run(PEOPLE, max_people=2)
    run(LegEnded(1, CallStatus.BUSY))(LegEnded(2, CallStatus.NO_ANSWER))
    assert run.placed == [1, 2] and run.hunt.status is Status.MISSED


def test_no_answer_busy_silence_then_a_key_connects_the_fourth() -> None:
    run = Run(PEOPLE[:4], max_people=4)
    run(LegEnded(1, CallStatus.NO_ANSWER, 0))(LegEnded(2, CallStatus.BUSY))
    run(Answered(3))(NoKey(3), after=15)(Answered(4))(KeyPressed(4), after=5)
    assert run.hunt.status is Status.CONNECTED and run.hunt.connected == PEOPLE[3]
    ended = run(Bridged(4))(BridgeEnded(4, bridged=True, seconds=42), after=42).hunt
    assert ended.status is Status.ENDED and ended.end_reason is EndReason.TALKED
    assert run.outcomes == [Outcome.NO_ANSWER, Outcome.BUSY, Outcome.NO_KEY, Outcome.TALKED]
    assert run.hunt.legs[3].talk_seconds == 42


def test_seed_bug_failed_and_canceled_calls_move_on() -> None:
    """B.14/B.22: failed and canceled callbacks were ignored; the caller held forever."""
    run = Run()(LegEnded(1, CallStatus.FAILED))(LegEnded(2, CallStatus.CANCELED))
    assert run.placed == [1, 2, 3]


def test_seed_bug_a_callee_hanging_up_at_the_human_check_moves_on() -> None:
    """B.22 item 11: an answered call declined before 15 s stopped the escalation."""
    run = Run()(Answered(1))(LegEnded(1, CallStatus.COMPLETED, 4))
    assert run.outcomes[0] is Outcome.HUNG_UP and run.placed == [1, 2]


def test_seed_bug_the_caller_hanging_up_stops_the_hunt_and_cancels_the_ringing_call() -> None:
    """B.22 item 11: the seed kept calling people after the caller had gone."""
    run = Run()(LegEnded(1, CallStatus.BUSY))(CallerHungUp())
    assert run.ended == [EndLeg(2, answered=False)]
    assert run.hunt.end_reason is EndReason.CALLER_HUNG_UP
    run(LegEnded(2, CallStatus.CANCELED, 0))(Tick(), after=600)
    assert run.placed == [1, 2] and run.outcomes == [Outcome.BUSY, Outcome.CALLER_GONE]


def test_an_answered_callee_is_told_when_the_caller_hangs_up() -> None:
    run = Run()(Answered(1))(CallerHungUp())
    assert run.ended == [EndLeg(1, answered=True)]


def test_the_overall_bound_ends_the_hunt() -> None:
    run = Run(max_duration=100, ring_timeout=600)(Tick(), after=99)
    assert run.hunt.status is Status.HUNTING
    missed = run(Tick(), after=1).hunt
    assert missed.status is Status.MISSED and run.ended == [EndLeg(1, answered=False)]
    assert run.outcomes == [Outcome.TIMED_OUT]


def test_a_lost_callback_is_noticed_after_the_ring_timeout_and_grace() -> None:
    run = Run(ring_timeout=60, grace=30)(Tick(), after=89)
    assert run.placed == [1]
    run(Tick(), after=1)
    assert run.placed == [1, 2] and run.outcomes[0] is Outcome.NO_ANSWER


def test_a_callee_who_hangs_up_before_the_bridge_leaves_the_caller_hunting() -> None:
    run = Run()(Answered(1))(KeyPressed(1))(LegEnded(1, CallStatus.COMPLETED))
    assert run.hunt.status is Status.HUNTING and run.placed == [1, 2]


def test_stale_and_duplicate_callbacks_change_nothing_but_the_duration() -> None:
    run = Run()(LegEnded(1, CallStatus.BUSY, 0))
    hunt = run.hunt
    run(LegEnded(1, CallStatus.BUSY, 7))(Answered(1))(KeyPressed(1))(NoKey(1))
    assert run.hunt == hunt


def test_the_missed_choices() -> None:
    def missed() -> Run:
        return Run(PEOPLE[:1])(LegEnded(1, CallStatus.BUSY))

    alert = missed()(Chose("1"))
    assert alert.hunt.end_reason is EndReason.ALERTED
    assert alert.commands[-1] == AlertMissed((PEOPLE[0],))
    assert missed()(Chose("2")).hunt.end_reason is EndReason.MENU
    assert missed()(Chose("3")).hunt.end_reason is EndReason.MESSAGE
    dithering = missed()(Chose("9"))(Chose(""))
    assert dithering.hunt.status is Status.MISSED
    assert dithering(Chose("7")).hunt.end_reason is EndReason.NO_CHOICE


def test_announcements_never_run_ahead_of_the_calls() -> None:
    run = Run()(Announced(5))
    assert run.hunt.announced == 1


# --- properties ----------------------------------------------------------------------------

LEGS = st.integers(0, 6)
EVENTS = st.one_of(
    st.builds(Answered, LEGS),
    st.builds(KeyPressed, LEGS),
    st.builds(NoKey, LEGS),
    st.builds(Bridged, LEGS),
    st.builds(BridgeEnded, LEGS, st.booleans(), st.none() | st.integers(0, 600)),
    st.builds(LegEnded, LEGS, st.sampled_from(CallStatus), st.none() | st.integers(0, 600)),
    st.just(CallerHungUp()),
    st.just(Tick()),
    st.builds(Announced, LEGS),
    st.builds(Chose, st.sampled_from(["", "1", "2", "3", "9", "*"])),
)


@settings(max_examples=200, deadline=None)
@given(
    people=st.integers(0, 5),
    max_people=st.integers(1, 4),
    steps=st.lists(st.tuples(EVENTS, st.integers(0, 120)), max_size=40),
)
def test_random_events_keep_the_invariants(
    people: int, max_people: int, steps: list[tuple[Event, int]]
) -> None:
    run = Run(PEOPLE[:people], max_people=max_people, max_duration=600)
    gone = False
    for event, after in steps:
        placed_before = len(run.placed)
        run(event, after)
        h = run.hunt
        # Never more calls than people allowed; legs match the calls placed, in order.
        assert len(h.legs) <= min(people, max_people)
        assert run.placed == [leg.number for leg in h.legs]
        # At most one leg going on while hunting; a connected hunt has its connected leg.
        active = [leg for leg in h.legs if leg.active]
        if h.status is Status.HUNTING:
            assert len(active) == 1 and active[0] is h.legs[-1]
        if h.status is Status.CONNECTED:
            assert h.legs[-1].state is LegState.CONNECTED
        if h.status is Status.MISSED:
            assert not active
        # Once the caller is gone, nobody new is called, and every unfinished leg was ended.
        if gone:
            assert len(run.placed) == placed_before
        if isinstance(event, CallerHungUp) and h.status is Status.ENDED:
            gone = True
            for leg in active:
                assert leg.bridged_at is not None or EndLeg(leg.number, True) in run.ended
        assert h.announced <= len(h.legs)
        assert (h.status is Status.ENDED) == (h.end_reason is not None)
        assert all(leg.ended_at is not None for leg in h.legs if not leg.active)
