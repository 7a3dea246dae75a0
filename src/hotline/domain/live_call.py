"""The live-call hunt: a pure state machine, ``begin(...)`` then ``decide(hunt, event, now)``.

The on-call people are called one at a time. A leg that is not answered, busy, failed,
canceled, answered without a key (human check) or hung up moves on to the next person at
once. A key press connects that person to the caller. The caller hanging up stops the hunt
at once: the ringing leg is canceled, an answered callee is told. The hunt is bounded by
:attr:`Limits.max_duration`; after it, or when everyone was tried, nobody was reached and
the caller chooses (:class:`Choice`): a missed-call alert, the main menu, or a message.

Stale events (a callback for an earlier leg, a duplicate, anything after the end) change
nothing but the leg's recorded carrier duration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from hotline.domain.hunt import (
    MAX_CHOICE_PROMPTS,
    STATUS_OUTCOMES,
    AlertMissed,
    Announced,
    Answered,
    Bridged,
    BridgeEnded,
    Callee,
    CallerHungUp,
    Choice,
    Chose,
    Command,
    Decision,
    EndLeg,
    EndReason,
    Event,
    Hunt,
    KeyPressed,
    Leg,
    LegEnded,
    LegState,
    Limits,
    NoKey,
    Outcome,
    PlaceCall,
    Status,
    Tick,
)


def begin(
    group: str, group_say: str, callees: tuple[Callee, ...], limits: Limits, now: datetime
) -> Decision:
    """A new hunt for ``group``: the first call, or (nobody on call) nobody reached."""
    hunt = Hunt(group, group_say, callees[: limits.max_people], now, limits)
    return _next(hunt, (), now)


def decide(hunt: Hunt, event: Event, now: datetime) -> Decision:
    handler = TRANSITIONS.get((hunt.status, type(event)))
    decision = handler(hunt, event, now) if handler else Decision(hunt)
    if isinstance(event, LegEnded):  # keep the carrier's figure whatever happened
        return Decision(_with_duration(decision.hunt, event), decision.commands)
    return decision


# --- helpers -------------------------------------------------------------------------------


def _set_leg(hunt: Hunt, leg: Leg) -> Hunt:
    legs = list(hunt.legs)
    legs[leg.number - 1] = leg
    return replace(hunt, legs=tuple(legs))


def _end_leg(hunt: Hunt, leg: Leg, outcome: Outcome, now: datetime) -> Hunt:
    return _set_leg(hunt, replace(leg, state=LegState.ENDED, outcome=outcome, ended_at=now))


def _current(hunt: Hunt, number: int, *states: LegState) -> Leg | None:
    """The current leg if it is ``number`` and in one of ``states``."""
    leg = hunt.current
    return leg if leg is not None and leg.number == number and leg.state in states else None


def _next(hunt: Hunt, commands: tuple[Command, ...], now: datetime) -> Decision:
    """Call the next person, or give up: everyone tried, or out of time."""
    number = len(hunt.legs) + 1
    if number <= len(hunt.callees) and now < hunt.deadline:
        leg = Leg(number, now)
        call = PlaceCall(number, hunt.callee(number), hunt.limits.ring_timeout)
        return Decision(replace(hunt, legs=(*hunt.legs, leg)), (*commands, call))
    return Decision(replace(hunt, status=Status.MISSED), commands)


def _over(hunt: Hunt, reason: EndReason, now: datetime) -> Hunt:
    return replace(hunt, status=Status.ENDED, end_reason=reason, ended_at=now)


def _with_duration(hunt: Hunt, event: LegEnded) -> Hunt:
    leg = hunt.leg(event.leg)
    if leg is None or leg.duration is not None or event.duration is None:
        return hunt
    return _set_leg(hunt, replace(leg, duration=event.duration))


# --- transitions ---------------------------------------------------------------------------


def _answered(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, Answered)
    leg = _current(hunt, event.leg, LegState.DIALING)
    if leg is None:
        return Decision(hunt)
    return Decision(_set_leg(hunt, replace(leg, state=LegState.CHECKING, answered_at=now)))


def _key(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, KeyPressed)
    leg = _current(hunt, event.leg, LegState.CHECKING)
    if leg is None:
        return Decision(hunt)
    leg = replace(leg, state=LegState.CONNECTED, connected_at=now)
    return Decision(replace(_set_leg(hunt, leg), status=Status.CONNECTED))


def _no_key(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, NoKey)
    leg = _current(hunt, event.leg, LegState.CHECKING)
    if leg is None:
        return Decision(hunt)
    return _next(_end_leg(hunt, leg, Outcome.NO_KEY, now), (), now)


def _leg_ended_hunting(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, LegEnded)
    leg = _current(hunt, event.leg, LegState.DIALING, LegState.CHECKING)
    outcome = STATUS_OUTCOMES.get(event.status)
    if leg is None or outcome is None:
        return Decision(hunt)
    if leg.state is LegState.CHECKING:
        outcome = Outcome.HUNG_UP  # answered, then hung up without a key: declined
    return _next(_end_leg(hunt, leg, outcome, now), (), now)


def _leg_ended_connected(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, LegEnded)
    leg = _current(hunt, event.leg, LegState.CONNECTED)
    if leg is None or not event.status.is_final:
        return Decision(hunt)
    if leg.bridged_at is None:  # hung up before the caller came: the caller still waits
        return _next(
            replace(_end_leg(hunt, leg, Outcome.HUNG_UP, now), status=Status.HUNTING), (), now
        )
    leg = replace(leg, talk_seconds=_talked(leg, now))
    return Decision(_over(_end_leg(hunt, leg, Outcome.TALKED, now), EndReason.TALKED, now))


def _talked(leg: Leg, now: datetime) -> int | None:
    """The talk time: as the carrier reported it, else measured from the bridge."""
    if leg.talk_seconds is not None or leg.bridged_at is None:
        return leg.talk_seconds
    return max(0, round((now - leg.bridged_at).total_seconds()))


def _leg_ended_late(hunt: Hunt, event: Event, now: datetime) -> Decision:
    """After the end, a bridged leg still records when it ended."""
    assert isinstance(event, LegEnded)
    leg = hunt.leg(event.leg)
    if leg is None or not leg.active or not event.status.is_final:
        return Decision(hunt)
    outcome = Outcome.TALKED if leg.bridged_at is not None else Outcome.CALLER_GONE
    leg = replace(leg, talk_seconds=_talked(leg, now))
    return Decision(_end_leg(hunt, leg, outcome, now))


def _bridged(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, Bridged)
    leg = _current(hunt, event.leg, LegState.CONNECTED)
    if leg is None or leg.bridged_at is not None:
        return Decision(hunt)
    return Decision(_set_leg(hunt, replace(leg, bridged_at=now)))


def _bridge_ended(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, BridgeEnded)
    leg = _current(hunt, event.leg, LegState.CONNECTED)
    if leg is None:
        return Decision(hunt)
    if event.bridged or leg.bridged_at is not None:
        leg = replace(leg, talk_seconds=event.seconds, bridged_at=leg.bridged_at or now)
        return Decision(_over(_end_leg(hunt, leg, Outcome.TALKED, now), EndReason.TALKED, now))
    # The caller never came off hold (a lost race); keep looking for someone else.
    ended = _end_leg(hunt, leg, Outcome.FAILED, now)
    return _next(replace(ended, status=Status.HUNTING), (EndLeg(leg.number, True),), now)


def _caller_hung_up(hunt: Hunt, _: Event, now: datetime) -> Decision:
    leg = hunt.current
    commands: tuple[Command, ...] = ()
    if leg is not None and leg.bridged_at is not None:  # they talked; the caller ended it
        return Decision(_over(hunt, EndReason.TALKED, now))
    if leg is not None:
        commands = (EndLeg(leg.number, answered=leg.answered_at is not None),)
        hunt = _end_leg(hunt, leg, Outcome.CALLER_GONE, now)
    return Decision(_over(hunt, EndReason.CALLER_HUNG_UP, now), commands)


def _tick(hunt: Hunt, _: Event, now: datetime) -> Decision:
    leg, limits = hunt.current, hunt.limits
    if leg is None:
        return _next(hunt, (), now)
    answered = leg.answered_at is not None
    if now >= hunt.deadline:
        ended = _end_leg(hunt, leg, Outcome.TIMED_OUT, now)
        return Decision(replace(ended, status=Status.MISSED), (EndLeg(leg.number, answered),))
    if leg.state is LegState.DIALING:
        lost = leg.dialed_at + timedelta(seconds=limits.ring_timeout + limits.grace)
        outcome = Outcome.NO_ANSWER
    else:
        assert leg.answered_at is not None
        lost = leg.answered_at + timedelta(seconds=limits.check_timeout + limits.grace)
        outcome = Outcome.NO_KEY
    if now < lost:
        return Decision(hunt)
    return _next(_end_leg(hunt, leg, outcome, now), (EndLeg(leg.number, answered),), now)


def _announced(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, Announced)
    upto = min(event.leg, len(hunt.legs))
    return Decision(replace(hunt, announced=max(hunt.announced, upto)))


def _chose(hunt: Hunt, event: Event, now: datetime) -> Decision:
    assert isinstance(event, Chose)
    try:
        choice = Choice(event.digits[:1])
    except ValueError:
        prompts = hunt.choice_prompts + 1
        if prompts >= MAX_CHOICE_PROMPTS:
            return Decision(_over(replace(hunt, choice_prompts=prompts), EndReason.NO_CHOICE, now))
        return Decision(replace(hunt, choice_prompts=prompts))
    if choice is Choice.ALERT and hunt.legs:
        return Decision(_over(hunt, EndReason.ALERTED, now), (AlertMissed(hunt.tried),))
    if choice is Choice.MESSAGE:
        return Decision(_over(hunt, EndReason.MESSAGE, now))
    return Decision(_over(hunt, EndReason.MENU, now))


def _missed_caller_gone(hunt: Hunt, _: Event, now: datetime) -> Decision:
    return Decision(_over(hunt, EndReason.CALLER_HUNG_UP, now))


def _talk_seconds(hunt: Hunt, event: Event, now: datetime) -> Decision:
    """A bridge's length reported after the hunt ended (the caller hung up first)."""
    assert isinstance(event, BridgeEnded)
    leg = hunt.leg(event.leg)
    if leg is None or leg.bridged_at is None or leg.talk_seconds is not None:
        return Decision(hunt)
    return Decision(_set_leg(hunt, replace(leg, talk_seconds=event.seconds)))


Handler = Callable[[Hunt, Event, datetime], Decision]

TRANSITIONS: dict[tuple[Status, type], Handler] = {
    (Status.HUNTING, Answered): _answered,
    (Status.HUNTING, KeyPressed): _key,
    (Status.HUNTING, NoKey): _no_key,
    (Status.HUNTING, LegEnded): _leg_ended_hunting,
    (Status.HUNTING, CallerHungUp): _caller_hung_up,
    (Status.HUNTING, Tick): _tick,
    (Status.HUNTING, Announced): _announced,
    (Status.CONNECTED, Bridged): _bridged,
    (Status.CONNECTED, BridgeEnded): _bridge_ended,
    (Status.CONNECTED, LegEnded): _leg_ended_connected,
    (Status.CONNECTED, CallerHungUp): _caller_hung_up,
    (Status.CONNECTED, Announced): _announced,
    (Status.MISSED, Chose): _chose,
    (Status.MISSED, CallerHungUp): _missed_caller_gone,
    (Status.MISSED, LegEnded): _leg_ended_late,
    (Status.ENDED, LegEnded): _leg_ended_late,
    (Status.ENDED, BridgeEnded): _talk_seconds,
}
