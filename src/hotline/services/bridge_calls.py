"""The invitation side of a conference bridge: calling the on-call people (jobs), what they
hear and press, their call and conference events, and the "nobody joined" notice.

Invitation URLs carry only the bridge id and the invitation's number within it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from hotline.domain import bridge as br
from hotline.domain import voice as v
from hotline.domain.errors import NotFound
from hotline.domain.hotline_config import fill
from hotline.ports import CallRequest, Carrier, CarrierError, Job, UnitOfWork
from hotline.services.bridges import Bridges

log = logging.getLogger("hotline.bridges")

RECONCILE_SLACK = timedelta(seconds=10)
KEY_TIMEOUT = 15  # seconds the invitee has to press a key
# An announcement later than this would tell the room old news: the job then gives up.
ANNOUNCE_DEADLINE = timedelta(seconds=30)


class BridgeCalls:
    def __init__(self, bridges: Bridges, carrier: Carrier) -> None:
        self.bridges = bridges
        self.paging = bridges.paging
        self.config = bridges.config
        self.carrier = carrier

    # --- jobs -----------------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {
            "bridge_invite": self.place_invite,
            "bridge_hangup": self.hang_up,
            "bridge_deadline": self.deadline,
            "bridge_notice": self.notice,
            "bridge_announce": self.announce,
        }

    async def place_invite(self, job: Job) -> None:
        """Call one invitee, once even across crashes: an invitation found half-placed is
        looked up at the carrier first and the call adopted if it exists."""
        bridge_id, number = int(job.payload["bridge"]), int(job.payload["invite"])

        async def claim(uow: UnitOfWork, now: datetime) -> tuple[str, datetime | None] | None:
            bridge = await uow.bridges.get(bridge_id, for_update=True)
            invite = bridge.invite(number) if bridge else None
            if bridge is None or invite is None or not bridge.joinable(now):
                return None
            if invite.state not in (br.InviteState.QUEUED, br.InviteState.PLACING):
                return None
            earlier = invite.placing_at if invite.state is br.InviteState.PLACING else None
            invite.state, invite.placing_at = br.InviteState.PLACING, earlier or now
            await uow.bridges.save(bridge)
            return invite.phone, earlier

        claimed = await self.paging.transact(claim)
        if claimed is None:
            return
        phone, earlier = claimed
        sid = None
        if earlier is not None:
            calls = await self.carrier.find_calls(
                phone, self.config.from_number, earlier - RECONCILE_SLACK
            )
            sid = calls[0].sid if calls else None
        if sid is None:
            base = f"{self.config.public_url}/voice/bridge/{bridge_id}/invite/{number}"
            sid = await self.carrier.place_call(
                CallRequest(
                    to=phone,
                    from_=self.config.from_number,
                    url=base,
                    status_callback=base + "/status",
                    timeout=self.config.ring_timeout,
                )
            )

        async def placed(uow: UnitOfWork, now: datetime) -> None:
            bridge = await uow.bridges.get(bridge_id, for_update=True)
            invite = bridge.invite(number) if bridge else None
            if bridge is None or invite is None:
                return
            invite.call_sid = sid
            if invite.state is br.InviteState.PLACING:
                invite.state = br.InviteState.CALLING
            elif invite.state is br.InviteState.CANCELED:  # closed while we were dialling
                uow.jobs.enqueue("bridge_hangup", {"call": sid}, run_at=now)
            await uow.bridges.save(bridge)

        await self.paging.transact(placed)

    async def hang_up(self, job: Job) -> None:
        await self.carrier.end_call(job.payload["call"])

    async def deadline(self, job: Job) -> None:
        """The join wait is over: if nobody joined, the group gets the code."""
        bridge_id = int(job.payload["bridge"])

        async def work(uow: UnitOfWork, now: datetime) -> None:
            bridge = await uow.bridges.get(bridge_id, for_update=True)
            if bridge is None or not bridge.joinable(now) or bridge.joined:
                return
            self.bridges.notify_once(uow, bridge, now)
            await uow.bridges.save(bridge)

        await self.paging.transact(work)

    async def notice(self, job: Job) -> None:
        """Send the bridge code to the group's on-call people (SMS and e-mail jobs)."""
        bridge_id = int(job.payload["bridge"])

        async def work(uow: UnitOfWork, now: datetime) -> None:
            bridge = await uow.bridges.get(bridge_id)
            if bridge is None:
                return
            subject = f"Hotline bridge {bridge.code} for {bridge.group}: nobody has joined"
            text = self.bridges.notice_text(bridge)
            await self.bridges.outcomes.notify_group(uow, bridge.group, subject, text, now)

        await self.paging.transact(work)

    async def announce(self, job: Job) -> None:
        """Tell the room who joined: the carrier fetches ``/voice/bridge/{id}/announce/{n}``
        and plays it to everyone in the conference. An announcement the carrier refuses
        for good (the room has ended meanwhile) is dropped; only the room missed it."""
        bridge_id, index = int(job.payload["bridge"]), int(job.payload["event"])
        async with self.paging.unit_of_work(read_only=True) as uow:
            bridge = await uow.bridges.get(bridge_id)
        if bridge is None or bridge.status is br.BridgeStatus.CLOSED:
            return
        conference_sid = bridge.conference_sid
        if conference_sid is None or br.announcement(bridge, index) is None:
            return
        url = f"{self.config.public_url}/voice/bridge/{bridge_id}/announce/{index}"
        try:
            await self.carrier.announce(conference_sid, url)
        except CarrierError as error:
            if error.retryable:
                raise
            log.info("bridge %s: announcement %s dropped: %s", bridge_id, index, error)

    async def announcement(self, bridge_id: int, index: int) -> list[v.Prompt]:
        """What the room hears for announcement ``index`` (nothing if there is none)."""
        async with self.paging.unit_of_work(read_only=True) as uow:
            bridge = await uow.bridges.get(bridge_id)
        name = br.announcement(bridge, index) if bridge else None
        return [v.Say(fill(self.config.phrases.announce, name=name))] if name else []

    # --- the invitee's call (POST /voice/bridge/{id}/invite/{n}[/keys|/status]) -----------

    async def answered(self, bridge_id: int, number: int) -> list[v.Prompt]:
        async def work(uow: UnitOfWork, now: datetime) -> list[v.Prompt]:
            bridge, invite = await self._invite(uow, bridge_id, number)
            p = self.config.phrases
            if not bridge.joinable(now) or not br.answered(invite):
                return [v.Say(p.closed), v.Hangup()]
            await uow.bridges.save(bridge)
            text = fill(p.invite, name=invite.name, host=bridge.host, group=bridge.group)
            return [
                v.Gather(
                    action=self._url(bridge_id, number, "/keys"),
                    num_digits=1,
                    timeout=KEY_TIMEOUT,
                    finish_on_key="",
                    action_on_empty_result=True,
                    prompts=(v.Say(text),),
                ),
                v.Hangup(),
            ]

        return await self._transact(work)

    async def keys(self, bridge_id: int, number: int, digits: str) -> list[v.Prompt]:
        async def work(uow: UnitOfWork, now: datetime) -> list[v.Prompt]:
            bridge, invite = await self._invite(uow, bridge_id, number)
            p = self.config.phrases
            joined = br.keys_pressed(bridge, invite, digits, now)
            if joined:
                bridge.note(now, "joined", f"{invite.name} joined")
            elif invite.state is br.InviteState.DECLINED:
                bridge.note(now, "declined", f"{invite.name} pressed no key")
            await uow.bridges.save(bridge)
            if not joined:
                return [v.Say(p.no_key if bridge.joinable(now) else p.closed), v.Hangup()]
            message = fill(p.message, message=bridge.transcript)
            return [v.Say(message), *self.bridges.room(bridge, host=False)]

        return await self._transact(work)

    async def status(self, bridge_id: int, number: int, status: str) -> None:
        try:
            call_status = v.CallStatus(status)
        except ValueError:
            return
        if not call_status.is_final:
            return

        async def work(uow: UnitOfWork, now: datetime) -> None:
            bridge, invite = await self._invite(uow, bridge_id, number)
            if br.call_ended(invite, call_status, now):
                bridge.note(now, invite.state.value, f"{invite.name}: {invite.state.value}")
                await uow.bridges.save(bridge)

        try:
            await self.paging.transact(work)
        except NotFound:
            return  # an invitation we do not know: nothing to update

    async def conference_event(
        self, bridge_id: int, event: str, call_sid: str, conference_sid: str = ""
    ) -> None:
        """The room's events: who came and went (the room hears who joined, see
        :func:`hotline.domain.bridge.entered`); the bridge closes when the room ends."""

        async def work(uow: UnitOfWork, now: datetime) -> None:
            bridge = await uow.bridges.get(bridge_id, for_update=True)
            if bridge is None or bridge.status is br.BridgeStatus.CLOSED:
                return
            bridge.conference_sid = conference_sid or bridge.conference_sid
            if event == "participant-join":
                index = br.entered(bridge, call_sid, now)
                if index is not None:
                    uow.jobs.enqueue(
                        "bridge_announce",
                        {"bridge": bridge_id, "event": index},
                        run_at=now,
                        deadline=now + ANNOUNCE_DEADLINE,
                    )
            elif event == "participant-leave":
                br.left(bridge, call_sid, now)
            elif event == "conference-end":
                self.bridges.close(uow, bridge, now, "The conference ended")
            else:
                return
            await uow.bridges.save(bridge)

        await self.paging.transact(work)

    # --- helpers --------------------------------------------------------------------------

    async def _transact(
        self, work: Callable[[UnitOfWork, datetime], Awaitable[list[v.Prompt]]]
    ) -> list[v.Prompt]:
        try:
            return await self.paging.transact(work)
        except NotFound:
            return [v.Say(self.config.phrases.closed), v.Hangup()]

    @staticmethod
    async def _invite(uow: UnitOfWork, bridge_id: int, number: int) -> tuple[br.Bridge, br.Invite]:
        bridge = await uow.bridges.get(bridge_id, for_update=True)
        invite = bridge.invite(number) if bridge else None
        if bridge is None or invite is None:
            raise NotFound(f"no invitation {bridge_id}/{number}")
        return bridge, invite

    def _url(self, bridge_id: int, number: int, suffix: str = "") -> str:
        return f"{self.config.public_url}/voice/bridge/{bridge_id}/invite/{number}{suffix}"
