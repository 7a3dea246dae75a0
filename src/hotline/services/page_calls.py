"""The agent's phone call in a page-out, and the jobs that drive it.

Voice handlers return a :class:`PageView` that the web layer renders; it is built from what
was committed, so an agent never hears a confirmation that was not stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hotline.domain import ladder as lad
from hotline.domain.incident import Attempt, Incident
from hotline.domain.voice import CallStatus
from hotline.ports import (
    CallRequest,
    Carrier,
    EmailMessage,
    Job,
    Mailer,
    Tickets,
    TicketState,
    TicketUpdate,
    UnitOfWork,
)
from hotline.services.paging import PagingService

RECONCILE_SLACK = timedelta(seconds=10)
CHECK_GRACE = timedelta(seconds=15)  # after the ring timeout, ask the carrier ourselves
CHECK_AGAIN = timedelta(seconds=60)  # a call still going on is looked at again this often


class Step(StrEnum):
    GREET = "greet"  # human check: press any key
    DETAILS = "details"  # incident details and the 1/2/3 menu
    REPROMPT = "reprompt"
    ACCEPTED = "accepted"
    PASSED = "passed"
    ESCALATED = "escalated"
    GOODBYE = "goodbye"
    STALE = "stale"
    HANG_UP = "hang-up"
    UNKNOWN = "unknown"


REPLY_STEPS = {
    lad.Reply.ACCEPTED: Step.ACCEPTED,
    lad.Reply.PASSED: Step.PASSED,
    lad.Reply.ESCALATED: Step.ESCALATED,
    lad.Reply.REPROMPT: Step.REPROMPT,
    lad.Reply.GOODBYE: Step.GOODBYE,
    lad.Reply.STALE: Step.STALE,
    lad.Reply.NONE: Step.GOODBYE,
}


@dataclass(frozen=True)
class PageView:
    step: Step
    say_name: str = ""
    number: str = ""
    severity: int = 0
    title: str = ""
    status: str = ""
    assignee: str | None = None


def _view(step: Step, incident: Incident | None = None, attempt: Attempt | None = None) -> PageView:
    if incident is None:
        return PageView(step)
    say_name = attempt.name if attempt else ""
    if attempt is not None and incident.ladder is not None:
        target = incident.ladder.tiers[attempt.tier].targets[attempt.position]
        say_name = target.say_name
    return PageView(
        step,
        say_name,
        incident.spoken_number,
        incident.severity,
        incident.title,
        incident.status.value,
        incident.assignee,
    )


def _is_machine(answered_by: str | None) -> bool:
    return bool(answered_by) and (answered_by or "").startswith(("machine", "fax"))


class PageCalls:
    def __init__(
        self,
        paging: PagingService,
        carrier: Carrier,
        tickets: Tickets | None,
        mailer: Mailer | None,
    ) -> None:
        self.paging = paging
        self.carrier = carrier
        self.tickets = tickets
        self.mailer = mailer

    async def _locked(self, uow: UnitOfWork, token: str) -> tuple[Incident, Attempt] | None:
        """The attempt and its incident, the incident row locked for this transaction."""
        first = await uow.incidents.attempt(token)
        if first is None:
            return None
        incident = await uow.incidents.get(first.incident_id, for_update=True)
        attempt = await uow.incidents.attempt(token)
        assert incident is not None and attempt is not None
        return incident, attempt

    @staticmethod
    def _current(incident: Incident, attempt: Attempt) -> bool:
        ladder = incident.ladder
        return (
            ladder is not None
            and ladder.status is lad.LadderStatus.PAGING
            and ladder.attempt == attempt.number
            and attempt.outcome is None
        )

    # --- voice ----------------------------------------------------------------------------

    async def answer(self, token: str, answered_by: str | None) -> PageView:
        """The agent's phone was answered and asks what to say."""

        async def work(uow: UnitOfWork, now: datetime) -> PageView:
            found = await self._locked(uow, token)
            if found is None:
                return _view(Step.UNKNOWN)
            incident, attempt = found
            if not self._current(incident, attempt):
                return _view(Step.STALE, incident, attempt)
            if _is_machine(answered_by):
                await self._feed(uow, incident, lad.Answered(attempt.number, machine=True), now)
                return _view(Step.HANG_UP, incident, attempt)
            await self._mark_answered(uow, incident, attempt, now)
            step = Step.GREET if self.paging.config.human_check else Step.DETAILS
            return _view(step, incident, attempt)

        return await self.paging.transact(work)

    async def greeted(self, token: str, digits: str) -> PageView:
        """The human check: any key reads the details; silence ends this attempt."""

        async def work(uow: UnitOfWork, now: datetime) -> PageView:
            found = await self._locked(uow, token)
            if found is None:
                return _view(Step.UNKNOWN)
            incident, attempt = found
            if not self._current(incident, attempt):
                return _view(Step.STALE, incident, attempt)
            if digits:
                return _view(Step.DETAILS, incident, attempt)
            decision = await self._feed(uow, incident, lad.Silent(attempt.number), now)
            return _view(REPLY_STEPS[decision.reply], incident, attempt)

        return await self.paging.transact(work)

    async def choice(self, token: str, digits: str) -> PageView:
        """The agent's key at the menu (empty on timeout)."""

        async def work(uow: UnitOfWork, now: datetime) -> PageView:
            found = await self._locked(uow, token)
            if found is None:
                return _view(Step.UNKNOWN)
            incident, attempt = found
            digit = digits[:1]
            decision = await self._feed(uow, incident, lad.Pressed(attempt.number, digit), now)
            step = REPLY_STEPS[decision.reply]
            if step is Step.REPROMPT and digit == "9":
                step = Step.DETAILS  # 9 = hear it again, no "sorry"
            return _view(step, incident, attempt)

        return await self.paging.transact(work)

    async def status(self, token: str, form: Mapping[str, str]) -> None:
        """A carrier status callback. Duplicates and late arrivals change nothing: an attempt
        ends once, and only the current attempt moves the ladder."""
        try:
            status = CallStatus(form.get("CallStatus", ""))
        except ValueError:
            return

        async def work(uow: UnitOfWork, now: datetime) -> None:
            found = await self._locked(uow, token)
            if found is None:
                return
            incident, attempt = found
            if attempt.state == "ended":
                return
            attempt.call_sid = attempt.call_sid or form.get("CallSid") or None
            if status.is_final:
                attempt.state = "ended"
                attempt.ended_at = now
                duration = form.get("CallDuration", "")
                attempt.duration = int(duration) if duration.isdigit() else None
                await uow.incidents.save_attempt(attempt)
                await self._feed(uow, incident, lad.CallEnded(attempt.number, status), now)
            elif status is CallStatus.IN_PROGRESS:
                if _is_machine(form.get("AnsweredBy")):
                    await uow.incidents.save_attempt(attempt)
                    await self._feed(uow, incident, lad.Answered(attempt.number, True), now)
                else:
                    await self._mark_answered(uow, incident, attempt, now)
            else:
                if attempt.state in ("queued", "placing", "placed"):
                    attempt.state = status.value
                await uow.incidents.save_attempt(attempt)

        await self.paging.transact(work)

    async def _mark_answered(
        self, uow: UnitOfWork, incident: Incident, attempt: Attempt, now: datetime
    ) -> None:
        if attempt.answered_at is None:
            attempt.answered_at = now
            await self.paging.record(
                uow,
                incident,
                now,
                "answered",
                f"{attempt.name} answered.",
                attempt=attempt.number,
                person=attempt.name,
            )
        if attempt.state != "ended":
            attempt.state = "answered"
        await uow.incidents.save_attempt(attempt)

    async def _feed(
        self, uow: UnitOfWork, incident: Incident, event: lad.Event, now: datetime
    ) -> lad.Decision:
        assert incident.ladder is not None
        decision = lad.decide(incident.ladder, event, now)
        await self.paging.apply(uow, incident, decision, now)
        return decision

    # --- jobs -----------------------------------------------------------------------------

    async def place_call(self, job: Job) -> None:
        """Place the call for an attempt, exactly once even across crashes: an attempt found
        half-placed is first looked up at the carrier and adopted if the call exists."""
        token = job.payload["attempt"]

        async def claim(uow: UnitOfWork, now: datetime) -> tuple[Attempt, datetime | None] | None:
            found = await self._locked(uow, token)
            if found is None:
                return None
            incident, attempt = found
            if attempt.state not in ("queued", "placing") or not self._current(incident, attempt):
                return None
            earlier = attempt.placing_at if attempt.state == "placing" else None
            attempt.state = "placing"
            attempt.placing_at = earlier or now
            await uow.incidents.save_attempt(attempt)
            return attempt, earlier

        claimed = await self.paging.transact(claim)
        if claimed is None:
            return
        attempt, earlier = claimed
        config = self.paging.config
        sid = None
        if earlier is not None:
            calls = await self.carrier.find_calls(
                attempt.phone, config.from_number, earlier - RECONCILE_SLACK
            )
            sid = calls[-1].sid if calls else None
        if sid is None:
            base = f"{config.public_url}/voice/page/{token}"
            sid = await self.carrier.place_call(
                CallRequest(
                    to=attempt.phone,
                    from_=config.from_number,
                    url=base,
                    status_callback=base + "/status",
                    timeout=attempt.timeout,
                    machine_detection=config.machine_detection,
                )
            )

        async def record(uow: UnitOfWork, now: datetime) -> None:
            found = await self._locked(uow, token)
            if found is None:
                return
            _, fresh = found
            fresh.call_sid = fresh.call_sid or sid
            if fresh.state == "placing":
                fresh.state = "placed"
            await uow.incidents.save_attempt(fresh)
            # If the final status callback never arrives (we were down), ask the carrier.
            uow.jobs.enqueue(
                "check_call",
                {"attempt": token},
                run_at=now + timedelta(seconds=fresh.timeout) + CHECK_GRACE,
                incident_id=fresh.incident_id,
            )

        await self.paging.transact(record)

    async def end_call(self, job: Job) -> None:
        async with self.paging.unit_of_work() as uow:
            attempt = await uow.incidents.attempt(job.payload["attempt"])
        if attempt is None or attempt.state in ("queued", "ended"):
            return  # never placed (place_call will skip it) or already over
        if attempt.call_sid is None:
            raise _NotYet("the call is being placed; ending it once it has an id")
        await self.carrier.end_call(attempt.call_sid)

    async def check_call(self, job: Job) -> None:
        """Reconcile an attempt with the carrier: a call that ended without us hearing of it
        is fed to the ladder exactly as its status callback would have been."""
        token = job.payload["attempt"]
        async with self.paging.unit_of_work() as uow:
            attempt = await uow.incidents.attempt(token)
        if attempt is None or attempt.state == "ended" or attempt.call_sid is None:
            return
        info = await self.carrier.fetch_call(attempt.call_sid)
        if info.status.is_final:
            await self.status(
                token,
                {
                    "CallStatus": info.status.value,
                    "CallSid": attempt.call_sid,
                    "CallDuration": str(info.duration or ""),
                },
            )
            return

        async def later(uow: UnitOfWork, now: datetime) -> None:
            uow.jobs.enqueue(
                "check_call",
                {"attempt": token},
                run_at=now + CHECK_AGAIN,
                incident_id=attempt.incident_id,
            )

        await self.paging.transact(later)

    async def recover(self) -> int:
        """After a start: check every call we placed but did not see end (a crash or a
        restart may have lost its status callback). Returns how many were queued."""

        async def work(uow: UnitOfWork, now: datetime) -> int:
            attempts = await uow.incidents.unfinished_attempts()
            for attempt in attempts:
                uow.jobs.enqueue(
                    "check_call",
                    {"attempt": attempt.token},
                    run_at=now,
                    incident_id=attempt.incident_id,
                )
            return len(attempts)

        return await self.paging.transact(work)

    async def round_due(self, job: Job) -> None:
        await self.paging.feed(job.payload["incident"], lad.RoundDue(job.payload["round"]))

    async def ticket_update(self, job: Job) -> None:
        if self.tickets is None:
            raise _Unconfigured("ServiceNow is not configured")
        p = job.payload
        await self.tickets.update(
            p["external_id"],
            TicketUpdate(
                work_note=p.get("work_note"),
                assigned_to=p.get("assigned_to"),
                state=TicketState(p["state"]) if p.get("state") else None,
            ),
        )

    async def send_sms(self, job: Job) -> None:
        await self.carrier.send_sms(
            job.payload["to"], self.paging.config.from_number, job.payload["body"]
        )

    async def send_email(self, job: Job) -> None:
        if self.mailer is None:
            raise _Unconfigured("e-mail is not configured")
        p = job.payload
        await self.mailer.send(EmailMessage(tuple(p["to"]), p["subject"], p["body"]))

    async def on_dead(self, job: Job, error: str) -> None:
        """A job failed for good: say so in the timeline; a call that could not be placed
        counts as a failed call, so the ladder moves on."""
        if job.incident_id is None:
            return
        incident_id = job.incident_id

        async def work(uow: UnitOfWork, now: datetime) -> None:
            incident = await uow.incidents.get(incident_id, for_update=True)
            if incident is None:
                return
            await self.paging.record(
                uow,
                incident,
                now,
                "job_failed",
                f"Could not {job.kind.replace('_', ' ')} after {job.tries} tries: {error}",
                job=job.kind,
            )
            if job.kind == "place_call":
                attempt = await uow.incidents.attempt(job.payload["attempt"])
                if attempt is not None and attempt.state != "ended":
                    attempt.state = "ended"
                    attempt.ended_at = now
                    await uow.incidents.save_attempt(attempt)
                    await self._feed(
                        uow, incident, lad.CallEnded(attempt.number, CallStatus.FAILED), now
                    )

        await self.paging.transact(work)

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {
            "place_call": self.place_call,
            "end_call": self.end_call,
            "check_call": self.check_call,
            "round_due": self.round_due,
            "ticket_update": self.ticket_update,
            "send_sms": self.send_sms,
            "send_email": self.send_email,
        }


class _NotYet(Exception):
    retryable = True


class _Unconfigured(Exception):
    retryable = False
