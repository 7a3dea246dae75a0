"""The live-call hunt's vocabulary: who is called, its state, events and commands.

A caller on the hotline asks to talk to a group's on-call person now. The hunt calls the
group's on-call people one at a time (:class:`Callee`, in on-call order, at most
:attr:`Limits.max_people`); each call is a :class:`Leg`. The transitions are in
:mod:`hotline.domain.live_call`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hotline.domain.voice import CallStatus


@dataclass(frozen=True, slots=True)
class Limits:
    """How long and how far the hunt goes (seconds). ``grace`` is how long after a ring or
    human-check timeout the hunt assumes the carrier's callback was lost and moves on."""

    max_people: int = 3
    ring_timeout: int = 60
    check_timeout: int = 15
    max_duration: int = 300
    grace: int = 30


@dataclass(frozen=True, slots=True)
class Callee:
    """One on-call person (or bare line) the hunt may call."""

    name: str
    phone: str
    say_name: str
    person: str | None = None
    email: str | None = None
    sms: tuple[str, ...] = ()


class Status(StrEnum):
    HUNTING = "hunting"  # a leg is ringing or at the human check
    CONNECTED = "connected"  # a callee pressed a key: bridged (or being bridged) to the caller
    MISSED = "missed"  # nobody reached; the caller chooses what happens next
    ENDED = "ended"


class LegState(StrEnum):
    DIALING = "dialing"  # placed (or about to be) and ringing
    CHECKING = "checking"  # answered; "press any key to connect"
    CONNECTED = "connected"  # pressed a key
    ENDED = "ended"


class Outcome(StrEnum):
    """How one leg ended, in the hunt's words."""

    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"
    NO_KEY = "no-key"  # answered, pressed nothing (voicemail lands here too)
    HUNG_UP = "hung-up"  # answered and hung up before being bridged
    TALKED = "talked"  # bridged to the caller
    CALLER_GONE = "caller-gone"  # the caller hung up first
    TIMED_OUT = "timed-out"  # the hunt's overall time ran out


class EndReason(StrEnum):
    TALKED = "talked"
    CALLER_HUNG_UP = "caller-hung-up"
    ALERTED = "alerted"  # missed-call alert sent to the people tried
    MENU = "menu"  # back to the main menu
    MESSAGE = "message"  # the caller leaves a message for an incident
    NO_CHOICE = "no-choice"


class Choice(StrEnum):
    """The caller's options when nobody was reached (digit = value)."""

    ALERT = "1"
    MENU = "2"
    MESSAGE = "3"


MAX_CHOICE_PROMPTS = 3
STATUS_OUTCOMES = {
    CallStatus.NO_ANSWER: Outcome.NO_ANSWER,
    CallStatus.BUSY: Outcome.BUSY,
    CallStatus.FAILED: Outcome.FAILED,
    CallStatus.CANCELED: Outcome.CANCELED,
    CallStatus.COMPLETED: Outcome.HUNG_UP,
}


@dataclass(frozen=True, slots=True)
class Leg:
    """One call to one callee; ``number`` is 1-based and indexes :attr:`Hunt.callees`."""

    number: int
    dialed_at: datetime
    state: LegState = LegState.DIALING
    outcome: Outcome | None = None
    answered_at: datetime | None = None
    connected_at: datetime | None = None  # pressed the key
    bridged_at: datetime | None = None  # the caller was taken off hold to talk
    ended_at: datetime | None = None
    duration: int | None = None  # the carrier's call duration (s)
    talk_seconds: int | None = None

    @property
    def active(self) -> bool:
        return self.state is not LegState.ENDED


@dataclass(frozen=True, slots=True)
class Hunt:
    group: str
    group_say: str
    callees: tuple[Callee, ...]
    started_at: datetime
    limits: Limits = field(default_factory=Limits)
    status: Status = Status.HUNTING
    legs: tuple[Leg, ...] = ()
    announced: int = 0  # the caller has heard "now calling" for legs 1..announced
    choice_prompts: int = 0
    end_reason: EndReason | None = None
    ended_at: datetime | None = None

    @property
    def deadline(self) -> datetime:
        return self.started_at + timedelta(seconds=self.limits.max_duration)

    @property
    def current(self) -> Leg | None:
        """The newest leg while it is still going on."""
        return self.legs[-1] if self.legs and self.legs[-1].active else None

    def callee(self, number: int) -> Callee:
        return self.callees[number - 1]

    def leg(self, number: int) -> Leg | None:
        return self.legs[number - 1] if 0 < number <= len(self.legs) else None

    @property
    def tried(self) -> tuple[Callee, ...]:
        return tuple(self.callee(leg.number) for leg in self.legs)

    @property
    def connected(self) -> Callee | None:
        """Who was connected (pressed the key), if anyone."""
        leg = next((g for g in self.legs if g.connected_at is not None), None)
        return self.callee(leg.number) if leg else None


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    leg: int


@dataclass(frozen=True, slots=True)
class KeyPressed:
    leg: int


@dataclass(frozen=True, slots=True)
class NoKey:
    leg: int


@dataclass(frozen=True, slots=True)
class Bridged:
    """The caller was taken off hold by ``leg`` and is about to talk."""

    leg: int


@dataclass(frozen=True, slots=True)
class BridgeEnded:
    """The callee's bridge attempt ended: ``bridged`` False means the caller never came."""

    leg: int
    bridged: bool
    seconds: int | None = None


@dataclass(frozen=True, slots=True)
class LegEnded:
    """The carrier's final status for a leg (duplicates and late arrivals are harmless)."""

    leg: int
    status: CallStatus
    duration: int | None = None


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    """The caller's call ended: the hunt stops, whatever it was doing."""


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed (each hold-loop turn): enforces the overall bound and lost callbacks."""


@dataclass(frozen=True, slots=True)
class Announced:
    """The caller has now heard "now calling" for legs up to ``leg``."""

    leg: int


@dataclass(frozen=True, slots=True)
class Chose:
    """Keys at the nobody-reached prompt ("" for silence)."""

    digits: str


Event = (
    Answered
    | KeyPressed
    | NoKey
    | Bridged
    | BridgeEnded
    | LegEnded
    | CallerHungUp
    | Tick
    | Announced
    | Chose
)


# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceCall:
    leg: int
    callee: Callee
    timeout: int


@dataclass(frozen=True, slots=True)
class EndLeg:
    """Stop a leg: cancel it while ringing; once ``answered``, tell the callee why."""

    leg: int
    answered: bool


@dataclass(frozen=True, slots=True)
class AlertMissed:
    """Tell the people tried (SMS and e-mail) that a caller could not reach them."""

    tried: tuple[Callee, ...]


Command = PlaceCall | EndLeg | AlertMissed


@dataclass(frozen=True, slots=True)
class Decision:
    hunt: Hunt
    commands: tuple[Command, ...] = ()
