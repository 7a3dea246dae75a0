"""The live call's callee side: each on-call person's phone call and its jobs.

A leg's URLs carry only the hunt's opaque token and the leg number. Answer → human check
("press any key to connect"); a key → the callee takes the caller off hold (the carrier
queue named after the hunt); no key, or any other end of the call → the next person.
Status callbacks may come twice or late: the machine ignores what is stale.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from hotline.domain.hunt import (
    Answered,
    Bridged,
    BridgeEnded,
    EndReason,
    Hunt,
    KeyPressed,
    LegEnded,
    LegState,
    NoKey,
    Status,
)
from hotline.domain.voice import CallStatus
from hotline.ports import CallRequest, Carrier, CarrierError, Job, LiveCallRecord, UnitOfWork
from hotline.services.live_call_views import CalleeStep, CalleeView, queue_name, say
from hotline.services.live_calls import LiveCalls

BASE = "/voice/live-call"
RECONCILE_SLACK = timedelta(seconds=10)
T = TypeVar("T")


def leg_path(token: str, leg: int) -> str:
    return f"{BASE}/{token}/{leg}"


class LiveCallLegs:
    def __init__(self, calls: LiveCalls, carrier: Carrier) -> None:
        self.calls = calls
        self.paging = calls.paging
        self.phrases = calls.phrases
        self.carrier = carrier

    # --- the callee's webhooks ---------------------------------------------------------------

    async def answered(self, token: str, leg: int) -> CalleeView:
        async def work(uow: UnitOfWork, now: datetime, record: LiveCallRecord) -> CalleeView:
            h = await self.calls.feed(uow, record, Answered(leg), now)
            current = h.current
            if current is not None and current.number == leg and current.state is LegState.CHECKING:
                text = say(self.phrases.check, h, h.callee(leg))
                return CalleeView(CalleeStep.CHECK, text, timeout=h.limits.check_timeout)
            return self._goodbye(h)

        return await self._locked(token, work, self._goodbye(None))

    async def pressed(self, token: str, leg: int, digits: str) -> CalleeView:
        """The human check's result: any key connects, silence moves on."""

        async def work(uow: UnitOfWork, now: datetime, record: LiveCallRecord) -> CalleeView:
            event = KeyPressed(leg) if digits else NoKey(leg)
            h = await self.calls.feed(uow, record, event, now)
            mine = h.leg(leg)
            if h.status is Status.CONNECTED and mine is not None and mine.active:
                return CalleeView(CalleeStep.CONNECT, self.phrases.connecting, queue_name(token))
            if not digits and h.end_reason is not EndReason.CALLER_HUNG_UP:
                return CalleeView(CalleeStep.GOODBYE, self.phrases.no_key)
            return self._goodbye(h)

        return await self._locked(token, work, self._goodbye(None))

    async def bridging(self, token: str, leg: int) -> CalleeView:
        """Runs on the caller's call as the callee takes them off hold."""

        async def work(uow: UnitOfWork, now: datetime, record: LiveCallRecord) -> CalleeView:
            h = await self.calls.feed(uow, record, Bridged(leg), now)
            return CalleeView(CalleeStep.ANNOUNCE, say(self.phrases.connected, h, h.callee(leg)))

        return await self._locked(token, work, self._goodbye(None))

    async def bridge_ended(self, token: str, leg: int, form: Mapping[str, str]) -> CalleeView:
        """The callee's ``<Dial>`` ended: after talking, or without ever reaching the caller."""
        bridged = form.get("DialBridged") == "true"
        seconds = form.get("DialCallDuration", "")

        async def work(uow: UnitOfWork, now: datetime, record: LiveCallRecord) -> CalleeView:
            event = BridgeEnded(leg, bridged, int(seconds) if seconds.isdigit() else None)
            h = await self.calls.feed(uow, record, event, now)
            if bridged:
                return CalleeView(CalleeStep.GOODBYE, self.phrases.talk_over)
            return self._goodbye(h)

        return await self._locked(token, work, self._goodbye(None))

    async def gone(self, token: str, leg: int) -> CalleeView:
        """Where an answered callee is sent when the hunt stopped without them."""
        async with self.paging.unit_of_work(read_only=True) as uow:
            record = await uow.live_calls.by_token(token)
        return self._goodbye(record.hunt) if record else self._goodbye(None)

    async def status(self, token: str, leg: int, form: Mapping[str, str]) -> None:
        """A callee's call status callback; only final ones matter."""
        try:
            status = CallStatus(form.get("CallStatus", ""))
        except ValueError:
            return
        duration = form.get("CallDuration", "")
        call_sid = form.get("CallSid", "")

        async def work(uow: UnitOfWork, now: datetime, record: LiveCallRecord) -> None:
            if call_sid and leg not in record.leg_calls and record.hunt.leg(leg) is not None:
                record.leg_calls[leg] = call_sid
                record.updated_at = now
                await uow.live_calls.save(record)
            if status.is_final:
                event = LegEnded(leg, status, int(duration) if duration.isdigit() else None)
                await self.calls.feed(uow, record, event, now)

        await self._locked(token, work, None)

    def _goodbye(self, h: Hunt | None) -> CalleeView:
        if h is not None and h.end_reason is EndReason.CALLER_HUNG_UP:
            return CalleeView(CalleeStep.GOODBYE, self.phrases.caller_gone)
        return CalleeView(CalleeStep.GOODBYE, self.phrases.not_needed)

    async def _locked(
        self,
        token: str,
        work: Callable[[UnitOfWork, datetime, LiveCallRecord], Awaitable[T]],
        missing: T,
    ) -> T:
        """Run ``work`` on the hunt ``token`` names, locked; ``missing`` if there is none."""

        async def run(uow: UnitOfWork, now: datetime) -> T:
            record = await uow.live_calls.by_token(token, for_update=True)
            if record is None:
                return missing
            return await work(uow, now, record)

        return await self.paging.transact(run)

    # --- jobs ----------------------------------------------------------------------------------

    async def dial(self, job: Job) -> None:
        """Place a callee's call, unless the hunt has moved on; a call placed just as the
        hunt stopped is ended at once."""
        token, leg = job.payload["hunt"], int(job.payload["leg"])

        async def claim(
            uow: UnitOfWork, now: datetime, record: LiveCallRecord
        ) -> tuple[Hunt, datetime | None] | None:
            current = record.hunt.leg(leg)
            if leg in record.leg_calls or current is None:
                return None
            if current.state is not LegState.DIALING:
                return None
            earlier = record.leg_placing.get(leg)
            record.leg_placing[leg] = earlier or now
            record.updated_at = now
            await uow.live_calls.save(record)
            return record.hunt, earlier

        claimed = await self._locked(token, claim, None)
        if claimed is None:
            return
        hunt, earlier = claimed
        callee, limits = hunt.callee(leg), hunt.limits
        config = self.paging.config
        sid = None
        if earlier is not None:  # we asked before and crashed: the call may exist already
            found = await self.carrier.find_calls(
                callee.phone, config.from_number, earlier - RECONCILE_SLACK
            )
            sid = found[0].sid if found else None
        if sid is None:
            base = config.public_url + leg_path(token, leg)
            sid = await self.carrier.place_call(
                CallRequest(
                    to=callee.phone,
                    from_=config.from_number,
                    url=base,
                    status_callback=base + "/status",
                    timeout=limits.ring_timeout,
                )
            )

        async def keep(uow: UnitOfWork, now: datetime, fresh: LiveCallRecord) -> None:
            fresh.leg_calls.setdefault(leg, sid)
            fresh.updated_at = now
            await uow.live_calls.save(fresh)
            placed = fresh.hunt.leg(leg)
            if placed is not None and not placed.active and placed.duration is None:
                uow.jobs.enqueue(
                    "live_call_end",
                    {"hunt": token, "leg": leg, "answered": False},
                    run_at=now,
                    ordering_key=f"live:{token}:{leg}",
                )

        await self._locked(token, keep, None)

    async def end(self, job: Job) -> None:
        """Stop a callee's call: cancel it while ringing; an answered callee is redirected
        to hear why (the caller hung up, or the hunt is over)."""
        token, leg = job.payload["hunt"], int(job.payload["leg"])
        async with self.paging.unit_of_work(read_only=True) as uow:
            record = await uow.live_calls.by_token(token)
        sid = record.leg_calls.get(leg) if record else None
        if sid is None:
            return  # never placed: the dial job saw the leg over and skipped it
        try:
            if job.payload.get("answered"):
                url = self.paging.config.public_url + leg_path(token, leg) + "/gone"
                await self.carrier.redirect_call(sid, url)
            else:
                await self.carrier.end_call(sid)
        except CarrierError as error:
            if error.retryable:
                raise  # a call that already ended is no error here

    async def on_dead(self, job: Job, error: str) -> None:
        """A callee's call that could not be placed counts as failed: the hunt moves on."""
        if job.kind != "live_call_dial":
            return
        token, leg = job.payload["hunt"], int(job.payload["leg"])

        async def work(uow: UnitOfWork, now: datetime, record: LiveCallRecord) -> None:
            await self.calls.feed(uow, record, LegEnded(leg, CallStatus.FAILED), now)

        await self._locked(token, work, None)

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {"live_call_dial": self.dial, "live_call_end": self.end}
