"""The simulator's resources: calls (with their run-time state), messages, recordings,
transcriptions and the phone numbers it owns. Plain data; behaviour lives elsewhere."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from hotline.simulator.calllog import CallLog
from hotline.simulator.formats import utcnow
from hotline.simulator.line import Line
from hotline.simulator.phones import Phone
from hotline.simulator.sids import new_sid

FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@dataclass(eq=False)
class Call:
    """A call leg: the REST resource plus what the engine needs to run it."""

    account_sid: str
    from_: str
    to: str
    direction: str  # inbound | outbound-api | outbound-dial
    line: Line
    log: CallLog
    phone: Phone
    parent: Call | None = None
    sid: str = field(default_factory=lambda: new_sid("CA"))
    status: str = "queued"
    answered_by: str | None = None
    phone_number_sid: str | None = None
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
    start_time: datetime | None = None
    answered_at: float | None = None  # line time of the answer
    duration: int | None = None
    # instructions
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset({"completed"})
    timeout: int = 60
    machine_detection: str | None = None
    time_limit: int | None = None
    # run time
    sequence: int = 0
    prompts: int = 0
    heard: list[str] = field(default_factory=list)
    listening: str | None = None
    rejected: str | None = None  # the <Reject> reason, when it refused the call
    stir_verstat: str | None = None  # inbound only: the StirVerstat webhook parameter
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    callbacks: asyncio.Task[None] | None = None  # the last status callback sent
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    deleted: bool = False

    @property
    def ended(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def end_time(self) -> datetime | None:
        if self.start_time is None or self.duration is None:
            return None
        return self.start_time + timedelta(seconds=self.duration)

    def note(self, kind: str, **fields: Any) -> None:
        """Add an entry about this leg to the call log."""
        self.log.add(self.sid, kind, self.line.absolute(), **fields)

    def set_status(self, status: str) -> None:
        self.status = status
        self.date_updated = utcnow()
        self.note("status", status=status)

    def talk_seconds(self) -> float:
        """Simulated seconds since the answer (0 when never answered)."""
        return 0.0 if self.answered_at is None else self.line.now() - self.answered_at


@dataclass(eq=False)
class Message:
    """An SMS the application sent."""

    account_sid: str
    from_: str
    to: str
    body: str
    status_callback: str | None = None
    sid: str = field(default_factory=lambda: new_sid("SM"))
    status: str = "queued"
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
    date_sent: datetime | None = None
    callbacks: list[dict[str, object]] = field(default_factory=list)


@dataclass(eq=False)
class Recording:
    """A ``<Record>`` result: WAV bytes and metadata."""

    account_sid: str
    call_sid: str
    wav: bytes
    duration: int
    source: str = "RecordVerb"
    sid: str = field(default_factory=lambda: new_sid("RE"))
    status: str = "completed"
    date_created: datetime = field(default_factory=utcnow)
    start_time: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Transcription:
    """The text of a recording (``status`` completed or failed)."""

    account_sid: str
    recording_sid: str
    text: str
    status: str
    duration: int
    sid: str = field(default_factory=lambda: new_sid("TR"))
    date_created: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class PhoneNumber:
    """A number the simulator owns; an inbound call to it fetches ``voice_url``."""

    phone_number: str
    account_sid: str
    sid: str = field(default_factory=lambda: new_sid("PN"))
    friendly_name: str = ""
    voice_url: str | None = None
    voice_method: str = "POST"
    voice_fallback_url: str | None = None
    voice_fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None
    sms_method: str = "POST"
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
