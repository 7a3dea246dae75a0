"""The call-in conversation's vocabulary: its state, the events it takes, the commands it
issues and the prompts it returns. The transitions are in :mod:`hotline.domain.hotline_menu`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hotline.domain.hotline_config import Action, Menu, MenuGroup
from hotline.domain.voice import Hangup, Say

MAX_REPROMPTS = 3  # consecutive re-prompts after an invalid key or silence; then goodbye
MAX_PIN_TRIES = 3
KEYPAD = frozenset("0123456789")


class Access(StrEnum):
    """What the shell decided from configuration and caller ID when the call came in."""

    AUTHORISED = "authorised"
    NEEDS_PIN = "needs-pin"
    NEEDS_NUMBER_AND_PIN = "needs-number-and-pin"
    REFUSED = "refused"
    UNATTESTED = "unattested"  # the STIR/SHAKEN gate is on and the call lacks A/B attestation
    RATE_LIMITED = "rate-limited"  # this caller made too many calls in the window


class Refusal(StrEnum):
    NOT_AUTHORISED = "not-authorised"
    WRONG_PIN = "wrong-pin"
    UNATTESTED = "unattested-caller-id"
    RATE_LIMITED = "rate-limited"


class Stage(StrEnum):
    START = "start"
    NUMBER = "number"
    PIN = "pin"
    CHECKING_PIN = "checking-pin"
    MENU = "menu"
    GROUP = "group"
    SEVERITY = "severity"
    RECORDING = "recording"
    CONFIRM = "confirm"
    BRIDGE_CODE = "bridge-code"
    PENDING = "pending"  # outcome issued, waiting for OutcomeStored / OutcomeFailed
    HANDED_OVER = "handed-over"  # the caller went on to a live call or a bridge
    ENDED = "ended"


class Step(StrEnum):
    """Where the caller's next input goes (or where the call continues): one URL each."""

    NUMBER = "number"
    PIN = "pin"
    MENU = "menu"
    GROUP = "group"
    SEVERITY = "severity"
    RECORDING = "recording"
    CONFIRM = "confirm"
    BRIDGE_CODE = "bridge-code"
    WAIT = "wait"
    LIVE_CALL = "live-call"
    BRIDGE = "bridge"


# --- state ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversation:
    menu: Menu
    stage: Stage = Stage.START
    access: Access = Access.AUTHORISED
    number: str | None = None  # keyed in when caller ID is withheld; the PIN is never kept
    pin_tries: int = 0
    retries: int = 0  # consecutive re-prompts at the current prompt
    action: Action | None = None
    group: MenuGroup | None = None
    severity: int | None = None
    recording: str | None = None
    confirmed: bool = False
    code: str | None = None  # the bridge code keyed in to join a bridge
    code_tries: int = 0

    @property
    def over(self) -> bool:
        return self.stage in (Stage.ENDED, Stage.HANDED_OVER)


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Begin:
    access: Access


@dataclass(frozen=True, slots=True)
class Keys:
    """Keys pressed at an :class:`Ask` (without the finishing ``#``); "" is silence."""

    digits: str


@dataclass(frozen=True, slots=True)
class Timeout:
    """The prompt ended without input."""


@dataclass(frozen=True, slots=True)
class PinChecked:
    ok: bool


@dataclass(frozen=True, slots=True)
class Recorded:
    """A recording ended: by ``key``, or (``key`` None) by silence or its maximum length."""

    recording: str
    seconds: float
    key: str | None = None


@dataclass(frozen=True, slots=True)
class OutcomeStored:
    reference: str = ""


@dataclass(frozen=True, slots=True)
class OutcomeFailed:
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CodeRejected:
    """No open bridge has the code the caller keyed in."""


@dataclass(frozen=True, slots=True)
class Resume:
    """A handed-over call (live call) comes back to the menu: ``action`` None is the main
    menu; :attr:`Action.INCIDENT` records a message for the same group as an incident."""

    action: Action | None = None


@dataclass(frozen=True, slots=True)
class HungUp:
    """The caller hung up."""


Event = (
    Begin
    | Keys
    | Timeout
    | PinChecked
    | Recorded
    | OutcomeStored
    | OutcomeFailed
    | CodeRejected
    | Resume
    | HungUp
)


# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyPin:
    """Check ``pin`` for the caller ID, or for ``number`` when it was keyed in."""

    pin: str
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Refusal


@dataclass(frozen=True, slots=True)
class SendAlert:
    group: str
    recording: str


@dataclass(frozen=True, slots=True)
class OpenConference:
    group: str
    recording: str


@dataclass(frozen=True, slots=True)
class CreateIncident:
    group: str
    severity: int
    recording: str


@dataclass(frozen=True, slots=True)
class StartLiveCall:
    group: str


@dataclass(frozen=True, slots=True)
class JoinBridge:
    """Connect the caller to the open conference bridge with ``code``."""

    code: str


Outcome = SendAlert | OpenConference | CreateIncident | StartLiveCall | JoinBridge
Command = VerifyPin | Refused | Outcome


# --- prompts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ask:
    """Say ``text`` and collect keys for ``step``; ``digits=None`` reads until ``finish_on_key``."""

    text: str
    step: Step
    digits: int | None = 1
    timeout: int = 8
    finish_on_key: str = "#"


@dataclass(frozen=True, slots=True)
class Listen:
    """Record after a beep for at most ``max_seconds``; any key ends the recording."""

    step: Step
    max_seconds: int
    beep: bool = True


@dataclass(frozen=True, slots=True)
class GoTo:
    """Continue at ``step``: hold there (WAIT) or hand the call over (LIVE_CALL, BRIDGE)."""

    step: Step


Prompt = Say | Ask | Listen | GoTo | Hangup


@dataclass(frozen=True, slots=True)
class Decision:
    state: Conversation
    commands: tuple[Command, ...] = ()
    prompts: tuple[Prompt, ...] = ()
