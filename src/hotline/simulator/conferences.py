"""``<Dial><Conference>`` (spec §1.12, §2.4): named rooms where participants are bridged.

A conference starts once it has two participants and one of them has
``startConferenceOnEnter`` (default true); until then each participant hears its
``waitUrl`` TwiML once (it is NOT looped: silence afterwards). It ends when a participant
with ``endConferenceOnExit`` leaves or the last one leaves; the others then continue with
the Dial ``action`` (``DialCallStatus=answered``) or their next verb. ``beep`` is logged
on the other participants' legs. The first participant's ``statusCallback`` receives the
``start``/``end``/``join``/``leave`` events it asked for. The REST side (fetch, announce,
end) is in ``conference_api``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from hotline.simulator.documents import AppError, log_error
from hotline.simulator.formats import rfc2822, utcnow
from hotline.simulator.modes import Mode
from hotline.simulator.records import Call
from hotline.simulator.sids import new_sid
from hotline.simulator.twiml import Node

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine
    from hotline.simulator.interpreter import Run

DEFAULT_WAIT_MUSIC = "twilio:classical-hold-music"
ENDED_VIA_API = "conference-ended-via-api"
_EVENTS = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
}


def _future() -> asyncio.Future[None]:
    return asyncio.get_running_loop().create_future()


@dataclass(eq=False)
class Participant:
    call: Call
    start_on_enter: bool
    end_on_exit: bool
    muted: bool
    beep: str


@dataclass(eq=False)
class Conference:
    """One room; ``started``/``ended`` resolve when it starts and ends."""

    name: str
    sid: str = field(default_factory=lambda: new_sid("CF"))
    participants: list[Participant] = field(default_factory=list)
    started: asyncio.Future[None] = field(default_factory=_future)
    ended: asyncio.Future[None] = field(default_factory=_future)
    status_callback: str | None = None
    status_callback_method: str = "POST"
    events: frozenset[str] = frozenset()
    sequence: int = 0
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
    reason_ended: str | None = None
    call_sid_ending: str | None = None

    @property
    def status(self) -> str:
        """The REST ``status``: ``init``, ``in-progress`` or ``completed``."""
        if self.ended.done():
            return "completed"
        return "in-progress" if self.started.done() else "init"


class Conferences:
    """The rooms by name (a name ended is opened afresh by the next participant), and
    every room ever opened by its ``CF…`` sid."""

    def __init__(self) -> None:
        self.rooms: dict[str, Conference] = {}
        self.by_sid: dict[str, Conference] = {}

    def open(self, name: str) -> Conference:
        room = self.rooms.get(name)
        if room is None or room.ended.done():
            room = self.rooms[name] = Conference(name)
            self.by_sid[room.sid] = room
        return room


def end(engine: Engine, room: Conference) -> None:
    """``Status=completed`` from the REST API: the room ends, its participants leave it
    (and go on with their Dial ``action``)."""
    if room.ended.done():
        return
    _ended(room, ENDED_VIA_API, None)
    if room.participants:
        _event(engine, room, "conference-end", room.participants[0], ENDED_VIA_API)


async def join(run: Run, verb: Node, noun: Node) -> dict[str, str]:
    """Take part in the conference ``noun`` names; the Dial action parameters after."""
    engine, call = run.engine, run.call
    room = engine.conferences.open(noun.text)
    if len(room.participants) >= noun.integer("maxParticipants", 250):
        call.note("conference", event="full", name=room.name)
        return {"DialCallStatus": "failed"}
    if not room.participants and noun.get("statusCallback"):
        room.status_callback = run.resolve(noun.attrs["statusCallback"])
        room.status_callback_method = noun.method("statusCallbackMethod")
        room.events = frozenset((noun.get("statusCallbackEvent") or "").split())
    me = Participant(
        call,
        noun.flag("startConferenceOnEnter", True),
        noun.flag("endConferenceOnExit", False),
        noun.flag("muted", False),
        noun.get("beep") or "true",
    )
    _beep(room, me, ("true", "onEnter"))
    room.participants.append(me)
    call.note("conference", event="join", name=room.name, conference_sid=room.sid)
    _event(engine, room, "participant-join", me)
    if (
        not room.started.done()
        and len(room.participants) >= 2
        and any(p.start_on_enter for p in room.participants)
    ):
        room.started.set_result(None)
        room.date_updated = utcnow()
        _event(engine, room, "conference-start", me)
    hold = None
    try:
        if not room.started.done():
            hold = engine.spawn(_wait_music(run, noun), call)
            await call.line.until(room.started, room.ended)
        if room.started.done() and not room.ended.done():
            others = [p.call.sid for p in room.participants if p is not me]
            call.note("bridge", conference=room.name, to=others)
            how = await call.line.bridged(
                room.ended,
                seconds=verb.integer("timeLimit", 14400),
                hang_up_on_star=verb.flag("hangupOnStar", False),
            )
            call.note("unbridge", reason=how)
    finally:
        if hold is not None:
            hold.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await hold
        _leave(engine, room, me)
    return {"DialCallStatus": "answered"}


async def _wait_music(run: Run, noun: Node) -> None:
    """The ``waitUrl`` TwiML, once; then silence."""
    call = run.call
    url = noun.get("waitUrl")
    if url is None:
        call.note("play", url=DEFAULT_WAIT_MUSIC, loop=0)
        return
    if not url.strip():
        return
    try:
        document = await run.load(
            run.resolve(url), noun.method("waitMethod"), purpose="conference-wait"
        )
        await run.execute(document, Mode.CONFERENCE_WAIT)
    except AppError as error:
        log_error(call, error)


def _beep(room: Conference, me: Participant, when: tuple[str, ...]) -> None:
    if me.beep in when:
        for other in room.participants:
            if other is not me:
                other.call.note("beep", conference=room.name)


def _leave(engine: Engine, room: Conference, me: Participant) -> None:
    room.participants.remove(me)
    me.call.note("conference", event="leave", name=room.name)
    _beep(room, me, ("true", "onExit"))
    _event(engine, room, "participant-leave", me)
    if room.ended.done():
        return
    reason = None
    if me.end_on_exit:
        reason = "participant-with-end-conference-on-exit-left"
    elif not room.participants:
        reason = "last-participant-left"
    if reason is not None:
        _ended(room, reason, me)
        _event(engine, room, "conference-end", me, reason)


def _ended(room: Conference, reason: str, by: Participant | None) -> None:
    room.reason_ended = reason
    room.call_sid_ending = by.call.sid if by is not None else None
    room.date_updated = utcnow()
    room.ended.set_result(None)


def _event(
    engine: Engine, room: Conference, event: str, who: Participant, reason: str | None = None
) -> None:
    """Send one conference status callback, if the room subscribed to it."""
    if room.status_callback is None or _EVENTS[event] not in room.events:
        return
    params = {
        "AccountSid": engine.account_sid,
        "ConferenceSid": room.sid,
        "FriendlyName": room.name,
        "SequenceNumber": str(room.sequence),
        "StatusCallbackEvent": event,
        "Timestamp": rfc2822(utcnow()) or "",
    }
    room.sequence += 1
    if event.startswith("participant-"):
        params |= {
            "CallSid": who.call.sid,
            "Coaching": "false",
            "EndConferenceOnExit": str(who.end_on_exit).lower(),
            "Hold": "false",
            "Muted": str(who.muted).lower(),
            "StartConferenceOnEnter": str(who.start_on_enter).lower(),
        }
    if reason is not None:
        params["ReasonConferenceEnded"] = reason
        if reason != ENDED_VIA_API:
            params["CallSidEndingConference"] = who.call.sid
    work = engine.notify(
        who.call, room.status_callback, room.status_callback_method, params, "conference-callback"
    )
    engine.spawn(work, who.call)
