"""Conference bridges: open one from a caller's message, invite the group's on-call people,
hold the caller until someone joins, and let callers join an open bridge by its code.

Every change is one transaction; invitation calls, cancellations and the "nobody joined"
notice are jobs written in that same transaction. What people hear is decided by
:mod:`hotline.domain.bridge` from the stored bridge on each webhook.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hotline.domain import bridge as br
from hotline.domain import hotline_menu as hm
from hotline.domain import voice as v
from hotline.domain.directory import EscalationPolicy
from hotline.domain.errors import Invalid, NotFound
from hotline.domain.hotline_config import fill
from hotline.ports import CallRecord, UnitOfWork
from hotline.services.callin_outcomes import Message, Outcomes
from hotline.services.paging import NOTICE_DEADLINE, PagingService
from hotline.services.paging_plan import snapshot_tiers

log = logging.getLogger("hotline.bridges")

CODE_DIGITS = 6
CONFERENCE_EVENTS = ("start", "end", "join", "leave")
HOLD_TURN = 8  # seconds of hold audio between two looks at the bridge


@dataclass(frozen=True)
class BridgeConfig:
    public_url: str
    from_number: str
    join_wait: timedelta = timedelta(minutes=2)
    lifetime: timedelta = timedelta(hours=4)
    ring_timeout: int = 30
    hold_audio: str = ""  # empty: Hotline's own hold audio
    phrases: br.BridgePhrases = field(default_factory=br.BridgePhrases)

    @property
    def hold_url(self) -> str:
        return self.hold_audio or f"{self.public_url}/voice/hold.wav"


class Bridges:
    """Implements ``BridgeHost`` for the call-in shell, plus the bridge's own webhooks."""

    def __init__(self, paging: PagingService, outcomes: Outcomes, config: BridgeConfig) -> None:
        self.paging = paging
        self.outcomes = outcomes
        self.config = config

    # --- from the call-in conversation (inside the caller's transaction) ------------------

    async def open(
        self, uow: UnitOfWork, record: CallRecord, message: Message, now: datetime
    ) -> hm.OutcomeStored | hm.OutcomeFailed:
        """Open a bridge for ``message.group`` and invite whoever is on call there."""
        policy = EscalationPolicy(name=f"group {message.group}", tiers=(message.group,))
        tiers = await snapshot_tiers(uow, policy, now)
        people = list({t.phone: t for tier in tiers for t in tier.targets}.values())
        if not people:
            return hm.OutcomeFailed(f"nobody is on call for {message.group}")
        code = await self._free_code(uow)
        bridge = br.Bridge(
            code=code,
            group=message.group,
            room=f"hotline-bridge-{secrets.token_hex(8)}",
            host_call=record.call_sid,
            host=message.who,
            caller=message.caller,
            transcript=message.transcript,
            recording=message.recording,
            opened_at=now,
            join_deadline=now + self.config.join_wait,
            expires_at=now + self.config.lifetime,
            invites=[br.Invite(n, t.name, t.phone) for n, t in enumerate(people, 1)],
        )
        bridge.note(
            now, "opened", f"Opened by {message.who} ({message.caller}) for {message.group}"
        )
        await uow.bridges.add(bridge)
        assert bridge.id is not None
        for invite in bridge.invites:
            bridge.note(now, "invited", f"Inviting {invite.name} ({invite.phone})")
            uow.jobs.enqueue(
                "bridge_invite",
                {"bridge": bridge.id, "invite": invite.number},
                run_at=now,
                deadline=now + self.config.join_wait,
            )
        uow.jobs.enqueue("bridge_deadline", {"bridge": bridge.id}, run_at=bridge.join_deadline)
        await uow.bridges.save(bridge)
        record.state.update(bridge_id=bridge.id, bridge_role="host", bridge_turns=0)
        return hm.OutcomeStored(code)

    async def join(
        self, uow: UnitOfWork, record: CallRecord, code: str, now: datetime
    ) -> hm.OutcomeStored | hm.CodeRejected:
        """Let the caller into the open bridge with ``code``."""
        bridge = await uow.bridges.open_with_code(code, for_update=True)
        if bridge is None or not bridge.joinable(now):
            return hm.CodeRejected()
        who = record.person or record.caller
        bridge.note(now, "guest", f"{who} ({record.caller}) joined with the code")
        bridge.guests[record.call_sid] = record.person or ""  # named when the room hears it
        await uow.bridges.save(bridge)
        record.state.update(bridge_id=bridge.id, bridge_role="guest")
        return hm.OutcomeStored(code)

    async def host_gone(self, uow: UnitOfWork, record: CallRecord, now: datetime) -> None:
        """The caller hung up. A bridge nobody reached yet closes and its ringing
        invitations are cancelled; a bridge in use stays open for the others."""
        if record.state.get("bridge_role") != "host" or record.state.get("bridge_in_room"):
            return
        bridge = await uow.bridges.get(int(record.state["bridge_id"]), for_update=True)
        if bridge is None or bridge.status is br.BridgeStatus.CLOSED or bridge.joined:
            return
        self.close(uow, bridge, now, "The caller hung up before anyone joined")
        await uow.bridges.save(bridge)

    # --- the caller's wait loop (POST /voice/hotline/bridge) ------------------------------

    async def caller_turn(self, call_sid: str) -> list[v.Prompt]:
        """What a caller handed over to a bridge hears now: hold, or into the room."""

        async def work(uow: UnitOfWork, now: datetime) -> list[v.Prompt]:
            record = await uow.conversations.get(call_sid, for_update=True)
            bridge_id = record.state.get("bridge_id") if record else None
            bridge = await uow.bridges.get(int(bridge_id), for_update=True) if bridge_id else None
            if record is None or bridge is None:
                return [v.Say(self.config.phrases.closed), v.Hangup()]
            p = self.config.phrases
            if not bridge.joinable(now):
                return [v.Say(p.closed), v.Hangup()]
            if record.state.get("bridge_role") != "host":
                return [*self.room(bridge, host=False)]
            turns = int(record.state.get("bridge_turns", 0))
            record.state["bridge_turns"] = turns + 1
            turn = br.host_turn(bridge, turns, now)
            said: list[v.Prompt] = []
            match turn:
                case br.Hold(first=first):
                    if first:
                        said.append(v.Say(fill(p.code, code=br.spoken_digits(bridge.code))))
                    said += [
                        v.Play(self.config.hold_url),
                        v.Redirect(self._url("/voice/hotline/bridge")),
                    ]
                case br.Connect(names=names):
                    text = fill(p.joined, names=_and(names)) if names else p.connecting
                    said += [v.Say(text), *self.room(bridge, host=True)]
                    bridge.announced = len(bridge.joined)
                    record.state["bridge_in_room"] = True
                case br.NobodyYet():
                    self.notify_once(uow, bridge, now)
                    said += [
                        v.Say(fill(p.nobody_yet, group=bridge.group)),
                        *self.room(bridge, host=True),
                    ]
                    record.state["bridge_in_room"] = True
            record.updated_at = now
            await uow.conversations.save(record)
            await uow.bridges.save(bridge)
            return said

        return await self.paging.transact(work)

    # --- helpers --------------------------------------------------------------------------

    def room(self, bridge: br.Bridge, *, host: bool) -> list[v.Prompt]:
        """Into the conference room. The host waits to music until someone else is in; the
        conference's events come back to :meth:`conference_event`."""
        assert bridge.id is not None
        return [
            v.DialConference(
                bridge.room,
                action=self._url(f"/voice/bridge/{bridge.id}/left"),
                start_on_enter=not host,
                end_on_exit=False,
                wait_url=self._url("/voice/bridge/hold"),
                status_callback=self._url(f"/voice/bridge/{bridge.id}/conference"),
                status_events=CONFERENCE_EVENTS,
            ),
        ]

    def _url(self, path: str) -> str:
        return self.config.public_url + path

    async def _free_code(self, uow: UnitOfWork) -> str:
        for _ in range(20):
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if await uow.bridges.open_with_code(code) is None:
                return code
        raise Invalid("no free bridge code; too many bridges are open")

    def close(self, uow: UnitOfWork, bridge: br.Bridge, now: datetime, why: str) -> None:
        bridge.status, bridge.closed_at = br.BridgeStatus.CLOSED, now
        bridge.note(now, "closed", why)
        for invite in bridge.invites:
            if not invite.state.final:
                invite.state, invite.ended_at = br.InviteState.CANCELED, now
                if invite.call_sid is not None:
                    uow.jobs.enqueue("bridge_hangup", {"call": invite.call_sid}, run_at=now)

    def notify_once(self, uow: UnitOfWork, bridge: br.Bridge, now: datetime) -> None:
        """Nobody joined: the group gets the bridge code by SMS and e-mail (once)."""
        if bridge.notified:
            return
        bridge.notified = True
        bridge.note(now, "notice", f"Nobody joined; {bridge.group} was sent the bridge code")
        assert bridge.id is not None
        uow.jobs.enqueue(
            "bridge_notice", {"bridge": bridge.id}, run_at=now, deadline=now + NOTICE_DEADLINE
        )

    def notice_text(self, bridge: br.Bridge) -> str:
        return fill(
            self.config.phrases.notice,
            host=bridge.host,
            group=bridge.group,
            number=self.config.from_number,
            code=bridge.code,
            message=f"{bridge.transcript} Recording: {bridge.recording}",
        )


def _and(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class BridgeQueries:
    """Read-only views of bridges for the API and the dashboard."""

    def __init__(self, paging: PagingService) -> None:
        self.paging = paging

    async def recent(self, limit: int = 100) -> list[br.Bridge]:
        async with self.paging.unit_of_work(read_only=True) as uow:
            return await uow.bridges.recent(limit)

    async def get(self, bridge_id: int) -> br.Bridge:
        async with self.paging.unit_of_work(read_only=True) as uow:
            bridge = await uow.bridges.get(bridge_id)
        if bridge is None:
            raise NotFound(f"no bridge {bridge_id}")
        return bridge
