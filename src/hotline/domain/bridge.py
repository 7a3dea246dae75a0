"""Conference bridges opened from the call-in hotline (pure).

A caller's confirmed message opens a bridge for a group: the group's on-call people are
invited (called one call each, all at once), and each joins after pressing a key. The caller
holds until someone joins, then is put into the room; if nobody joins within the join wait,
or every invitation has ended without a join, the caller is told, the group is sent the
bridge code by SMS and e-mail, and the caller waits in the room for late joiners. Anyone
allowed on the hotline can join an open bridge with its code from the main menu.

These functions decide; the shell (``hotline.services.bridges``) stores and telephones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hotline.domain.voice import CallStatus


class BridgeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InviteState(StrEnum):
    QUEUED = "queued"  # the call is a job not yet run
    PLACING = "placing"  # the carrier is being asked (may have reached it)
    CALLING = "calling"  # the carrier has the call
    ASKED = "asked"  # answered; asked to press a key
    JOINED = "joined"
    DECLINED = "declined"  # answered but pressed nothing, or hung up
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {
        InviteState.JOINED,
        InviteState.DECLINED,
        InviteState.NO_ANSWER,
        InviteState.BUSY,
        InviteState.FAILED,
        InviteState.CANCELED,
    }
)

_ENDED_AS: dict[CallStatus, InviteState] = {
    CallStatus.NO_ANSWER: InviteState.NO_ANSWER,
    CallStatus.BUSY: InviteState.BUSY,
    CallStatus.FAILED: InviteState.FAILED,
    CallStatus.CANCELED: InviteState.CANCELED,
    CallStatus.COMPLETED: InviteState.DECLINED,
}


@dataclass(slots=True)
class Invite:
    number: int  # 1-based within its bridge
    name: str
    phone: str
    state: InviteState = InviteState.QUEUED
    call_sid: str | None = None
    placing_at: datetime | None = None
    joined_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BridgeEvent:
    at: datetime
    kind: str
    detail: str
    who: str = ""  # the person it is about, when it is announced to the room


@dataclass(slots=True)
class Bridge:
    """One bridge. ``room`` is the carrier's conference name and ``conference_sid`` its id
    at the carrier, once known; ``announced`` counts the joiners the host was told about
    before entering the room; ``guests`` maps the CallSid of each caller who joined with
    the code to their name (empty when unknown); ``host_in_room`` follows the room's
    events."""

    code: str
    group: str
    room: str
    host_call: str  # the CallSid of the caller who opened it
    host: str  # the caller's name when known, else their number
    caller: str  # the caller's number, or "withheld"
    transcript: str
    recording: str
    opened_at: datetime
    join_deadline: datetime
    expires_at: datetime
    id: int | None = None
    status: BridgeStatus = BridgeStatus.OPEN
    closed_at: datetime | None = None
    announced: int = 0
    notified: bool = False  # the group was sent the code because nobody joined
    conference_sid: str | None = None
    host_in_room: bool = False
    guests: dict[str, str] = field(default_factory=dict)
    invites: list[Invite] = field(default_factory=list)
    events: list[BridgeEvent] = field(default_factory=list)

    def note(self, at: datetime, kind: str, detail: str, who: str = "") -> None:
        """Add an event to the bridge's timeline."""
        self.events.append(BridgeEvent(at, kind, detail, who))

    def joinable(self, now: datetime) -> bool:
        return self.status is BridgeStatus.OPEN and now < self.expires_at

    def invite(self, number: int) -> Invite | None:
        return next((i for i in self.invites if i.number == number), None)

    @property
    def joined(self) -> list[Invite]:
        return sorted(
            (i for i in self.invites if i.state is InviteState.JOINED),
            key=lambda i: (i.joined_at is None, i.joined_at, i.number),
        )

    @property
    def nobody_can_join(self) -> bool:
        """Every invitation has ended and none joined."""
        return all(i.state.final for i in self.invites) and not self.joined


# --- the host's wait loop ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hold:
    """Nobody has joined yet: keep holding."""

    first: bool  # the first turn: say the bridge code


@dataclass(frozen=True, slots=True)
class Connect:
    """Put the host into the room, telling them who is there (``names``, maybe empty)."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NobodyYet:
    """Nobody joined in time: tell the host the group was sent the code, then the room."""


HostTurn = Hold | Connect | NobodyYet


def host_turn(bridge: Bridge, turns: int, now: datetime) -> HostTurn:
    """What the host hears on wait-loop turn ``turns`` (0 first). Pure; the shell then
    records ``announced = len(bridge.joined)`` when the answer is :class:`Connect`."""
    joined = bridge.joined
    if joined:
        return Connect(tuple(i.name for i in joined[bridge.announced :]))
    if not bridge.joinable(now):
        return Connect(())
    if now >= bridge.join_deadline or bridge.nobody_can_join:
        return NobodyYet()
    return Hold(first=turns == 0)


# --- invitations ---------------------------------------------------------------------------


def call_ended(invite: Invite, status: CallStatus, now: datetime) -> bool:
    """Apply the invitation call's final status; True when it changed the invite. A late or
    repeated callback after a decision changes nothing."""
    if invite.state.final or status not in _ENDED_AS:
        return False
    invite.state = _ENDED_AS[status]
    invite.ended_at = now
    return True


def answered(invite: Invite) -> bool:
    """The invitee answered; True if they should be asked to press a key."""
    if invite.state.final:
        return False
    invite.state = InviteState.ASKED
    return True


def keys_pressed(bridge: Bridge, invite: Invite, digits: str, now: datetime) -> bool:
    """The invitee's answer to "press any key to join"; True if they join the room now."""
    if invite.state is InviteState.JOINED:
        return bridge.joinable(now)  # a repeated webhook: let them in again
    if invite.state.final:
        return False
    if not digits or not bridge.joinable(now):
        invite.state, invite.ended_at = InviteState.DECLINED, now
        return False
    invite.state, invite.joined_at = InviteState.JOINED, now
    return True


# --- the room ------------------------------------------------------------------------------


UNKNOWN_CALLER = "A caller"


def entered(bridge: Bridge, call_sid: str, now: datetime) -> int | None:
    """``call_sid`` entered the room: note it on the timeline. Returns the index of that
    event when the room should hear who joined (someone other than the host, while the
    host is in the room and was not already told of them), else None."""
    name = _who(bridge, call_sid)
    if call_sid == bridge.host_call:
        bridge.host_in_room = True
        bridge.note(now, "entered", f"{name} entered the room")
        return None
    bridge.note(now, "entered", f"{name} entered the room", who=name)
    invite = next((i for i in bridge.invites if i.call_sid == call_sid), None)
    told = invite is not None and invite in bridge.joined[: bridge.announced]
    return len(bridge.events) - 1 if bridge.host_in_room and not told else None


def left(bridge: Bridge, call_sid: str, now: datetime) -> None:
    """``call_sid`` left the room: note it."""
    if call_sid == bridge.host_call:
        bridge.host_in_room = False
    bridge.note(now, "left", f"{_who(bridge, call_sid)} left the room")


def _who(bridge: Bridge, call_sid: str) -> str:
    if call_sid == bridge.host_call:
        return bridge.host
    invite = next((i for i in bridge.invites if i.call_sid == call_sid), None)
    return invite.name if invite else bridge.guests.get(call_sid) or UNKNOWN_CALLER


def announcement(bridge: Bridge, index: int) -> str | None:
    """Who the room is told joined, for the timeline event ``index``; None if no such
    announcement."""
    if not 0 <= index < len(bridge.events):
        return None
    event = bridge.events[index]
    return event.who if event.kind == "entered" and event.who else None


# --- what people hear ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BridgePhrases:
    """Placeholders: ``{code}`` (spoken digit by digit), ``{group}``, ``{host}``,
    ``{names}``, ``{name}``, ``{message}``, ``{number}`` (the Hotline number)."""

    code: str = "Your bridge code is {code}."
    joined: str = "{names} joined the bridge. Connecting you now."
    announce: str = "{name} joined the bridge."  # to the room, for each later joiner
    connecting: str = "Connecting you to the bridge."
    nobody_yet: str = (
        "Nobody from {group} has joined yet. They have been sent the bridge code by text "
        "and e-mail. I will keep you on the bridge until someone joins."
    )
    ended: str = "The bridge has ended. Goodbye."
    invite: str = (
        "Hello {name}, this is Hotline. {host} has opened a conference bridge for {group} and "
        "asks you to join. To join now, press any key."
    )
    message: str = "Their message: {message}"
    no_key: str = "No key was pressed, so I will not connect you. Goodbye."
    closed: str = "That bridge has closed. Thank you. Goodbye."
    notice: str = (
        "Hotline: {host} opened a bridge for {group} and nobody has joined yet. "
        "Call {number} and choose the bridge option with code {code}. Message: {message}"
    )


def spoken_digits(code: str) -> str:
    """``"4711"`` → ``"4, 7, 1, 1"``: text-to-speech reads a code digit by digit."""
    return ", ".join(code)
