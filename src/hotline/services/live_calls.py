"""The live call's shell, caller side: start the hunt, hold the caller, stop when they hang
up, offer the choices when nobody was reached, and link the hunt to an incident.

Every webhook is one transaction: load the hunt (locked), feed one event to the pure
:mod:`hotline.domain.live_call` machine, store it, queue its commands as jobs (place or end
a callee's call, the missed-call alert), and answer from what was stored. The caller waits
in a carrier queue named after the hunt; its hold loop (the queue's wait URL) reads the
hunt on every turn, so the "now calling" announcements follow the stored state.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hotline.domain import hotline_menu as hm
from hotline.domain import live_call as lc
from hotline.domain.directory import EscalationPolicy
from hotline.domain.errors import NotFound
from hotline.domain.hunt import (
    AlertMissed,
    Announced,
    Callee,
    CallerHungUp,
    Chose,
    Command,
    EndLeg,
    EndReason,
    Event,
    Hunt,
    Limits,
    PlaceCall,
    Status,
    Tick,
)
from hotline.domain.incident import TimelineEvent
from hotline.ports import CallRecord, LiveCallRecord, UnitOfWork
from hotline.services.live_call_views import CallerStep, CallerView, LivePhrases, queue_name, say
from hotline.services.paging import NOTICE_DEADLINE, PagingService
from hotline.services.paging_plan import snapshot_tiers

DIAL_DEADLINE = timedelta(minutes=2)  # a callee's call not placed by then counts as failed


@dataclass(frozen=True)
class LiveCallConfig:
    limits: Limits = field(default_factory=Limits)
    hold_audio: str | None = None  # None: Hotline's own hold music
    email_enabled: bool = False
    phrases: LivePhrases = field(default_factory=LivePhrases)


class LiveCalls:
    """Implements :class:`hotline.services.callin_ports.LiveCallStarter`."""

    def __init__(self, paging: PagingService, config: LiveCallConfig) -> None:
        self.paging = paging
        self.config = config
        self.phrases = config.phrases

    # --- hooks the call-in shell calls, inside its transaction ----------------------------

    async def start(
        self, uow: UnitOfWork, record: CallRecord, group: str, now: datetime
    ) -> hm.OutcomeStored | hm.OutcomeFailed:
        """Store a new hunt for the caller and place the first call; its token."""
        found = await uow.directory.get_group(group)
        if found is None:
            return hm.OutcomeFailed(f"no group named {group!r}")
        callees = await self._callees(uow, group, now)
        decision = lc.begin(group, found.say_name, callees, self.config.limits, now)
        hunt = LiveCallRecord(
            token=secrets.token_hex(12),
            call_sid=record.call_sid,
            caller=record.caller,
            caller_name=record.person,
            hunt=decision.hunt,
            created_at=now,
            updated_at=now,
        )
        await uow.live_calls.add(hunt)
        await self._execute(uow, hunt, decision.commands, now)
        record.state["live_call"] = hunt.token  # the shell saves the conversation after us
        return hm.OutcomeStored(hunt.token)

    async def caller_gone(self, uow: UnitOfWork, call_sid: str, now: datetime) -> None:
        """The caller hung up: stop the hunt now (cancel a ringing call, tell an answerer)."""
        hunt = await uow.live_calls.latest_for_call(call_sid, for_update=True)
        if hunt is not None:
            await self.feed(uow, hunt, CallerHungUp(), now)

    async def incident_opened(
        self, uow: UnitOfWork, record: CallRecord, incident_id: int, now: datetime
    ) -> None:
        """The caller's message after an unanswered hunt became an incident: link them and
        put the hunt in the incident's timeline."""
        hunt = await uow.live_calls.latest_for_call(record.call_sid, for_update=True)
        if hunt is None or hunt.incident_id is not None:
            return
        if hunt.hunt.end_reason is not EndReason.MESSAGE:
            return
        hunt.incident_id = incident_id
        hunt.updated_at = now
        await uow.live_calls.save(hunt)
        for event in timeline(hunt):
            await uow.incidents.add_event(incident_id, event)

    # --- queries ---------------------------------------------------------------------------

    async def get(self, hunt_id: int) -> LiveCallRecord:
        async with self.paging.unit_of_work(read_only=True) as uow:
            found = await uow.live_calls.get(hunt_id)
        if found is None:
            raise NotFound(f"no live call {hunt_id}")
        return found

    async def recent(self, limit: int = 100) -> list[LiveCallRecord]:
        async with self.paging.unit_of_work(read_only=True) as uow:
            return await uow.live_calls.recent(limit)

    # --- the caller's webhooks --------------------------------------------------------------

    async def enter(self, call_sid: str) -> CallerView:
        """The caller arrives from the menu (or comes back from the queue)."""

        async def work(uow: UnitOfWork, now: datetime) -> CallerView:
            hunt = await uow.live_calls.latest_for_call(call_sid, for_update=True)
            if hunt is None:
                return CallerView(CallerStep.GOODBYE, (self.phrases.not_needed,))
            h = await self.feed(uow, hunt, Tick(), now)
            if h.status in (Status.HUNTING, Status.CONNECTED):
                return CallerView(CallerStep.HOLD, queue=queue_name(hunt.token))
            if h.status is Status.MISSED and not h.legs:  # nobody on call any more
                await self.feed(uow, hunt, Chose("2"), now)
                return CallerView(CallerStep.MENU, (say(self.phrases.nobody_on_call, h),))
            return self._view(hunt.hunt)

        return await self.paging.transact(work)

    async def hold(self, call_sid: str) -> CallerView:
        """One turn of the hold loop: announce whoever is being called now, or leave."""

        async def work(uow: UnitOfWork, now: datetime) -> CallerView:
            hunt = await uow.live_calls.latest_for_call(call_sid, for_update=True)
            if hunt is None:
                return CallerView(CallerStep.LEAVE)
            h = await self.feed(uow, hunt, Tick(), now)
            if h.status not in (Status.HUNTING, Status.CONNECTED):
                return CallerView(CallerStep.LEAVE)
            fresh = h.legs[h.announced :]
            said = tuple(say(self.phrases.now_calling, h, h.callee(g.number)) for g in fresh)
            if fresh:
                await self.feed(uow, hunt, Announced(len(h.legs)), now)
            return CallerView(CallerStep.MUSIC, said)

        return await self.paging.transact(work)

    async def left_queue(self, call_sid: str, result: str) -> CallerView:
        """The caller left the queue: after talking, goodbye; otherwise see where things are."""
        if result == "bridged":
            return CallerView(CallerStep.GOODBYE, (self.phrases.talk_over,))
        if result == "hangup":
            return CallerView(CallerStep.GOODBYE)
        return await self.enter(call_sid)

    async def choose(self, call_sid: str, digits: str) -> CallerView:
        """The caller's key when nobody was reached."""

        async def work(uow: UnitOfWork, now: datetime) -> CallerView:
            hunt = await uow.live_calls.latest_for_call(call_sid, for_update=True)
            if hunt is None:
                return CallerView(CallerStep.GOODBYE, (self.phrases.not_needed,))
            if hunt.hunt.status is not Status.MISSED:
                return self._view(hunt.hunt)
            h = await self.feed(uow, hunt, Chose(digits), now)
            view = self._view(h)
            if view.step is CallerStep.CHOICES:
                return CallerView(view.step, (self.phrases.invalid, *view.said[1:]))
            return view

        return await self.paging.transact(work)

    def _view(self, h: Hunt) -> CallerView:
        p = self.phrases
        if h.status is Status.MISSED:
            return CallerView(CallerStep.CHOICES, (say(p.missed, h), say(p.choices, h)))
        if h.status is not Status.ENDED:
            return CallerView(CallerStep.LEAVE)
        match h.end_reason:
            case EndReason.ALERTED:
                return CallerView(CallerStep.GOODBYE, (say(p.alerted, h),))
            case EndReason.MENU:
                return CallerView(CallerStep.MENU)
            case EndReason.MESSAGE:
                return CallerView(CallerStep.MESSAGE)
            case EndReason.NO_CHOICE:
                return CallerView(CallerStep.GOODBYE, (p.give_up,))
            case EndReason.TALKED:
                return CallerView(CallerStep.GOODBYE, (p.talk_over,))
        return CallerView(CallerStep.GOODBYE)

    # --- the machine and its commands --------------------------------------------------------

    async def feed(
        self, uow: UnitOfWork, record: LiveCallRecord, event: Event, now: datetime
    ) -> Hunt:
        """Feed ``event``, store the hunt if it changed, queue the commands; the new hunt."""
        decision = lc.decide(record.hunt, event, now)
        if decision.hunt == record.hunt and not decision.commands:
            return record.hunt
        record.hunt = decision.hunt
        record.updated_at = now
        await uow.live_calls.save(record)
        await self._execute(uow, record, decision.commands, now)
        return record.hunt

    async def _execute(
        self, uow: UnitOfWork, record: LiveCallRecord, commands: tuple[Command, ...], now: datetime
    ) -> None:
        for command in commands:
            # One ordering key per leg: ending a call always runs after placing it.
            match command:
                case PlaceCall():
                    uow.jobs.enqueue(
                        "live_call_dial",
                        {"hunt": record.token, "leg": command.leg},
                        run_at=now,
                        ordering_key=f"live:{record.token}:{command.leg}",
                        deadline=now + DIAL_DEADLINE,
                    )
                case EndLeg():
                    uow.jobs.enqueue(
                        "live_call_end",
                        {"hunt": record.token, "leg": command.leg, "answered": command.answered},
                        run_at=now,
                        ordering_key=f"live:{record.token}:{command.leg}",
                        deadline=now + DIAL_DEADLINE,
                    )
                case AlertMissed():
                    self._alert(uow, record, command.tried, now)

    def _alert(
        self, uow: UnitOfWork, record: LiveCallRecord, tried: tuple[Callee, ...], now: datetime
    ) -> None:
        """SMS and e-mail to the people tried: who called, for which group, when."""
        who = f"{record.caller_name} ({record.caller})" if record.caller_name else record.caller
        group = record.hunt.group
        body = (
            f"Hotline: {who} called for {group} at {now:%Y-%m-%d %H:%M} UTC and could not "
            f"reach anyone on call. Please call back on {record.caller}."
        )
        numbers = dict.fromkeys(n for c in tried for n in (c.sms or (c.phone,)))
        for number in numbers:
            uow.jobs.enqueue(
                "send_sms", {"to": number, "body": body}, run_at=now, deadline=now + NOTICE_DEADLINE
            )
        emails = list(dict.fromkeys(c.email for c in tried if c.email))
        if emails and self.config.email_enabled:
            uow.jobs.enqueue(
                "send_email",
                {"to": emails, "subject": f"Missed hotline call for {group}", "body": body},
                run_at=now,
                deadline=now + NOTICE_DEADLINE,
            )

    async def _callees(self, uow: UnitOfWork, group: str, now: datetime) -> tuple[Callee, ...]:
        """The group's on-call people in order (nested groups, rotations, absences)."""
        policy = EscalationPolicy(name=f"group {group}", tiers=(group,))
        tiers = await snapshot_tiers(uow, policy, now)
        return tuple(
            Callee(t.name, t.phone, t.say_name, t.person, t.email, tuple(t.sms))
            for tier in tiers
            for t in tier.targets
        )


def timeline(record: LiveCallRecord) -> list[TimelineEvent]:
    """The hunt as incident timeline entries: one per call, then how it ended."""
    h = record.hunt
    events = []
    for leg in h.legs:
        callee = h.callee(leg.number)
        outcome = leg.outcome.value if leg.outcome else leg.state.value
        events.append(
            TimelineEvent(
                leg.dialed_at,
                "live_call_attempt",
                f"Live call: called {callee.name} for {record.caller}: {outcome}.",
                {
                    "live_call": record.id,
                    "leg": leg.number,
                    "person": callee.name,
                    "outcome": outcome,
                    "duration": leg.duration,
                },
            )
        )
    tried = ", ".join(c.name for c in h.tried) or "nobody"
    events.append(
        TimelineEvent(
            h.ended_at or record.updated_at,
            "live_call",
            f"Live call from {record.caller} for {h.group}: nobody reached (tried {tried}); "
            "the caller left a message.",
            {"live_call": record.id, "tried": [c.name for c in h.tried]},
        )
    )
    return events
