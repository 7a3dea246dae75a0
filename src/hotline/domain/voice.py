"""What a phone call can do, in Hotline's words: prompts to render and call outcomes.

The carrier adapter turns prompts into TwiML and carrier statuses into :class:`CallStatus`;
nothing here knows about Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallStatus(StrEnum):
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.FAILED,
        CallStatus.NO_ANSWER,
        CallStatus.CANCELED,
    }
)


@dataclass(frozen=True, slots=True)
class Say:
    text: str
    loop: int = 1


@dataclass(frozen=True, slots=True)
class Play:
    url: str
    loop: int = 1


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: int = 1


@dataclass(frozen=True, slots=True)
class Gather:
    """Ask for keys; ``action`` receives them. On silence the next prompt runs."""

    action: str
    prompts: tuple[Say | Play | Pause, ...] = ()
    num_digits: int | None = 1
    timeout: int = 5
    finish_on_key: str = "#"
    action_on_empty_result: bool = False


@dataclass(frozen=True, slots=True)
class Record:
    action: str
    max_length: int = 90
    timeout: int = 5
    finish_on_key: str = "1234567890*#"
    play_beep: bool = True
    transcribe_callback: str | None = None
    recording_status_callback: str | None = None


@dataclass(frozen=True, slots=True)
class Redirect:
    url: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call."""


@dataclass(frozen=True, slots=True)
class Leave:
    """Leave the queue (only in a queue's hold TwiML): the caller goes on after ``Enqueue``."""


@dataclass(frozen=True, slots=True)
class DialNumber:
    """Call ``number`` and bridge; ``screen_url`` runs on the callee before bridging."""

    number: str
    action: str | None = None
    timeout: int = 30
    caller_id: str | None = None
    screen_url: str | None = None


@dataclass(frozen=True, slots=True)
class DialConference:
    name: str
    action: str | None = None
    start_on_enter: bool = True
    end_on_exit: bool = False
    wait_url: str | None = None
    beep: bool = True
    status_callback: str | None = None  # receives ``status_events`` (start end join leave)
    status_events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Enqueue:
    queue: str
    action: str | None = None
    wait_url: str | None = None


@dataclass(frozen=True, slots=True)
class DialQueue:
    queue: str
    action: str | None = None
    url: str | None = None


Prompt = (
    Say
    | Play
    | Pause
    | Gather
    | Record
    | Redirect
    | Hangup
    | Leave
    | DialNumber
    | DialConference
    | Enqueue
    | DialQueue
)
