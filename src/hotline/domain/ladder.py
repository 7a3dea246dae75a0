"""The page-out ladder: a pure state machine, ``decide(state, event, now)``.

People are called one at a time, tier by tier, for up to ``rounds`` passes. Events arrive
from the agent's keypad and from the carrier; every event about an attempt other than the
current one is stale and changes nothing (duplicate or late callbacks are harmless).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from hotline.domain.voice import CallStatus

MAX_REPROMPTS = 3  # re-prompts after 9, an invalid key or silence; one more is no response


@dataclass(frozen=True, slots=True)
class Target:
    """One person (or pager line) to call, as resolved when paging started."""

    name: str
    phone: str
    say_name: str
    person: str | None = None
    email: str | None = None
    sms: tuple[str, ...] = ()
    servicenow_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Tier:
    group: str
    targets: tuple[Target, ...]


class LadderStatus(StrEnum):
    READY = "ready"
    PAGING = "paging"
    WAITING = "waiting"  # between rounds
    ACCEPTED = "accepted"
    UNANSWERED = "unanswered"
    STOPPED = "stopped"


class Outcome(StrEnum):
    """How one call attempt ended, in Hotline's words."""

    ACCEPTED = "accepted"
    PASSED = "passed"
    ESCALATED = "escalated"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"
    VOICEMAIL = "voicemail"
    HUNG_UP = "hung-up"
    NO_RESPONSE = "no-response"
    STOPPED = "stopped"


CARRIER_OUTCOMES = {
    CallStatus.NO_ANSWER: Outcome.NO_ANSWER,
    CallStatus.BUSY: Outcome.BUSY,
    CallStatus.FAILED: Outcome.FAILED,
    CallStatus.CANCELED: Outcome.CANCELED,
    CallStatus.COMPLETED: Outcome.HUNG_UP,  # answered, then ended without a choice
}


@dataclass(frozen=True, slots=True)
class Ladder:
    tiers: tuple[Tier, ...]
    ring_timeout: int = 30
    rounds: int = 2
    round_delay: int = 60
    status: LadderStatus = LadderStatus.READY
    round: int = 1
    tier: int = 0
    position: int = 0
    attempt: int = 0  # number of the current call attempt; 0 before the first
    reprompts: int = 0
    tried: tuple[tuple[int, int], ...] = ()  # (tier, position) of everyone called, in order

    @property
    def current(self) -> Target:
        return self.tiers[self.tier].targets[self.position]

    @property
    def tried_targets(self) -> list[Target]:
        return [self.tiers[t].targets[p] for t, p in self.tried]

    @property
    def active(self) -> bool:
        return self.status in (LadderStatus.PAGING, LadderStatus.WAITING)


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """Paging begins: call the first person of the first tier."""


@dataclass(frozen=True, slots=True)
class Answered:
    attempt: int
    machine: bool = False


@dataclass(frozen=True, slots=True)
class Silent:
    """The answered call gave no key at the human check."""

    attempt: int


@dataclass(frozen=True, slots=True)
class Pressed:
    """A choice at the menu; ``digit`` is "" when the prompt timed out."""

    attempt: int
    digit: str


@dataclass(frozen=True, slots=True)
class CallEnded:
    attempt: int
    status: CallStatus


@dataclass(frozen=True, slots=True)
class RoundDue:
    round: int


@dataclass(frozen=True, slots=True)
class Stop:
    """Acknowledged or resolved from outside (API, UI): stop calling."""

    reason: str


Event = Start | Answered | Silent | Pressed | CallEnded | RoundDue | Stop


# --- commands and replies ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceCall:
    attempt: int
    target: Target
    round: int
    tier: int
    position: int
    timeout: int


@dataclass(frozen=True, slots=True)
class HangUp:
    attempt: int


@dataclass(frozen=True, slots=True)
class WakeAt:
    at: datetime
    round: int


@dataclass(frozen=True, slots=True)
class Settle:
    """Attempt ``attempt`` ended with ``outcome`` (``digit`` pressed, if any)."""

    attempt: int
    outcome: Outcome
    digit: str | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    """The ladder is over: accepted by ``by``, or nobody accepted (``by`` is None)."""

    accepted: bool
    by: Target | None = None


Command = PlaceCall | HangUp | WakeAt | Settle | Finish


class Reply(StrEnum):
    """What the agent on the line hears next; rendered by the voice layer."""

    NONE = "none"
    ACCEPTED = "accepted"
    PASSED = "passed"
    ESCALATED = "escalated"
    REPROMPT = "reprompt"
    GOODBYE = "goodbye"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class Decision:
    state: Ladder
    commands: tuple[Command, ...] = ()
    reply: Reply = Reply.NONE


# --- transitions -------------------------------------------------------------------------


def decide(state: Ladder, event: Event, now: datetime) -> Decision:
    """The next state, the side effects to perform, and the reply for the agent on the line."""
    handler = TRANSITIONS.get((state.status, type(event)))
    if handler is None:
        stale = isinstance(event, Pressed | Silent)
        return Decision(state, reply=Reply.STALE if stale else Reply.NONE)
    return handler(state, event, now)


def _start(state: Ladder, _: Event, now: datetime) -> Decision:
    if not any(tier.targets for tier in state.tiers):  # nobody on call: no rounds to wait
        return Decision(replace(state, status=LadderStatus.UNANSWERED), (Finish(False),))
    return _call_from(replace(state, status=LadderStatus.PAGING), 0, 0, (), now)


def _is_current(state: Ladder, attempt: int) -> bool:
    return attempt == state.attempt


def _answered(state: Ladder, event: Event, now: datetime) -> Decision:
    assert isinstance(event, Answered)
    if not _is_current(state, event.attempt) or not event.machine:
        return Decision(state)
    settle = Settle(event.attempt, Outcome.VOICEMAIL)
    return _next_person(state, (settle, HangUp(event.attempt)), now)


def _silent(state: Ladder, event: Event, now: datetime) -> Decision:
    assert isinstance(event, Silent)
    if not _is_current(state, event.attempt):
        return Decision(state, reply=Reply.STALE)
    decision = _next_person(state, (Settle(event.attempt, Outcome.NO_RESPONSE),), now)
    return replace(decision, reply=Reply.GOODBYE)


def _pressed(state: Ladder, event: Event, now: datetime) -> Decision:
    assert isinstance(event, Pressed)
    if not _is_current(state, event.attempt):
        return Decision(state, reply=Reply.STALE)
    digit = event.digit
    if digit == "1":
        accepted = replace(state, status=LadderStatus.ACCEPTED)
        commands = (Settle(event.attempt, Outcome.ACCEPTED, digit), Finish(True, state.current))
        return Decision(accepted, commands, Reply.ACCEPTED)
    if digit == "2":
        decision = _next_person(state, (Settle(event.attempt, Outcome.PASSED, digit),), now)
        return replace(decision, reply=Reply.PASSED)
    if digit == "3":
        settle = Settle(event.attempt, Outcome.ESCALATED, digit)
        decision = _call_from(state, state.tier + 1, 0, (settle,), now)
        return replace(decision, reply=Reply.ESCALATED)
    if state.reprompts < MAX_REPROMPTS:
        return Decision(replace(state, reprompts=state.reprompts + 1), reply=Reply.REPROMPT)
    settle = Settle(event.attempt, Outcome.NO_RESPONSE, digit or None)
    return replace(_next_person(state, (settle,), now), reply=Reply.GOODBYE)


def _ended(state: Ladder, event: Event, now: datetime) -> Decision:
    assert isinstance(event, CallEnded)
    outcome = CARRIER_OUTCOMES.get(event.status)
    if not _is_current(state, event.attempt) or outcome is None:
        return Decision(state)
    return _next_person(state, (Settle(event.attempt, outcome),), now)


def _round_due(state: Ladder, event: Event, now: datetime) -> Decision:
    assert isinstance(event, RoundDue)
    if event.round != state.round + 1:
        return Decision(state)  # a duplicate or late timer
    next_round = replace(state, status=LadderStatus.PAGING, round=event.round)
    return _call_from(next_round, 0, 0, (), now)


def _stop(state: Ladder, _: Event, now: datetime) -> Decision:
    commands: tuple[Command, ...] = ()
    if state.status is LadderStatus.PAGING and state.attempt:
        commands = (Settle(state.attempt, Outcome.STOPPED), HangUp(state.attempt))
    return Decision(replace(state, status=LadderStatus.STOPPED), commands)


def _next_person(state: Ladder, done: tuple[Command, ...], now: datetime) -> Decision:
    return _call_from(state, state.tier, state.position + 1, done, now)


def _call_from(
    state: Ladder, tier: int, position: int, done: tuple[Command, ...], now: datetime
) -> Decision:
    """Call the first target at or after (tier, position), or end the round."""
    while tier < len(state.tiers):
        if position < len(state.tiers[tier].targets):
            attempt = state.attempt + 1
            tried = (
                state.tried if (tier, position) in state.tried else (*state.tried, (tier, position))
            )
            new = replace(
                state, tier=tier, position=position, attempt=attempt, reprompts=0, tried=tried
            )
            call = PlaceCall(attempt, new.current, new.round, tier, position, state.ring_timeout)
            return Decision(new, (*done, call))
        tier, position = tier + 1, 0
    if state.round < state.rounds:
        waiting = replace(state, status=LadderStatus.WAITING)
        wake = WakeAt(now + timedelta(seconds=state.round_delay), state.round + 1)
        return Decision(waiting, (*done, wake))
    return Decision(replace(state, status=LadderStatus.UNANSWERED), (*done, Finish(False)))


Handler = Callable[[Ladder, Event, datetime], Decision]

TRANSITIONS: dict[tuple[LadderStatus, type], Handler] = {
    (LadderStatus.READY, Start): _start,
    (LadderStatus.READY, Stop): _stop,
    (LadderStatus.PAGING, Answered): _answered,
    (LadderStatus.PAGING, Silent): _silent,
    (LadderStatus.PAGING, Pressed): _pressed,
    (LadderStatus.PAGING, CallEnded): _ended,
    (LadderStatus.PAGING, Stop): _stop,
    (LadderStatus.WAITING, RoundDue): _round_due,
    (LadderStatus.WAITING, Stop): _stop,
}
