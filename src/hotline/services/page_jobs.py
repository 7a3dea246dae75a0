"""The jobs of a page-out: place, end and check calls; start rounds; write to ServiceNow;
send SMS and e-mail; and what happens when a job fails for good."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from hotline.domain import ladder as lad
from hotline.domain.incident import Attempt, Incident
from hotline.domain.voice import CallStatus
from hotline.ports import (
    CallInfo,
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
from hotline.services.page_calls import PageCalls

RECONCILE_SLACK = timedelta(seconds=10)
CHECK_GRACE = timedelta(seconds=15)  # after the ring timeout, ask the carrier ourselves
CHECK_AGAIN = timedelta(seconds=60)  # a call still going on is looked at again this often


class PageJobs:
    def __init__(
        self, calls: PageCalls, carrier: Carrier, tickets: Tickets | None, mailer: Mailer | None
    ) -> None:
        self.calls = calls
        self.paging = calls.paging
        self.carrier = carrier
        self.tickets = tickets
        self.mailer = mailer

    async def place_call(self, job: Job) -> None:
        """Place the call for an attempt, exactly once even across crashes.

        The first try asks the carrier straight away, with the number and ring time the job
        carries: the decision to call was committed a moment ago, and if the incident was
        stopped since, the call is ended as soon as its id is stored (see :meth:`end_call`).
        A job run again (``tries`` > 1: an earlier run may have died after the carrier
        created the call, before its id was stored) first reads the attempt, and looks the
        call up at the carrier to adopt it if it exists."""
        token = job.payload["attempt"]
        config = self.paging.config
        to, timeout = job.payload.get("to"), job.payload.get("timeout")
        sid = None
        if job.tries > 1 or to is None or timeout is None:  # no "to": written by older versions
            found = await self._unplaced(token)
            if found is None:
                return
            incident, attempt = found
            to, timeout = attempt.phone, attempt.timeout
            if job.tries > 1 or attempt.state == "placing":  # "placing": older versions
                since = attempt.placing_at or job.created_at
                calls = await self.carrier.find_calls(
                    to, config.from_number, since - RECONCILE_SLACK
                )
                sid = await self._adoptable(calls, since)
            if sid is None and not self.calls.current(incident, attempt):
                await self._never_placed(token)  # stopped before any call was made
                return
        adopted = sid is not None
        if sid is None:
            base = f"{config.public_url}/voice/page/{token}"
            sid = await self.carrier.place_call(
                CallRequest(
                    to=to,
                    from_=config.from_number,
                    url=base,
                    status_callback=base + "/status",
                    timeout=int(timeout),
                    machine_detection=config.machine_detection,
                )
            )

        async def record(uow: UnitOfWork, now: datetime) -> None:
            placed = await uow.incidents.placed(token, sid)
            if placed is None:
                return
            incident = await uow.incidents.get_by_attempt(token, for_update=False)
            if (
                placed.state != "ended"
                and incident is not None
                and not self.calls.current(incident, placed)
            ):
                # stopped (acknowledged, resolved) while the call was being placed
                uow.jobs.enqueue(
                    "end_call", {"attempt": token}, run_at=now, incident_id=placed.incident_id
                )
            # If the final status callback never arrives (we were down), ask the carrier;
            # at once for an adopted call: it may have ended while we were down.
            check_at = now if adopted else now + timedelta(seconds=placed.timeout) + CHECK_GRACE
            uow.jobs.enqueue(
                "check_call",
                {"attempt": token},
                run_at=check_at,
                incident_id=placed.incident_id,
            )

        await self.paging.transact(record)

    async def _unplaced(self, token: str) -> tuple[Incident, Attempt] | None:
        """The attempt and its incident, if no call of the attempt is known to exist yet."""
        async with self.paging.unit_of_work(read_only=True) as uow:
            incident = await uow.incidents.get_by_attempt(token, for_update=False)
            attempt = await uow.incidents.attempt(token)
        if incident is None or attempt is None or attempt.state not in ("queued", "placing"):
            return None
        return incident, attempt

    async def _never_placed(self, token: str) -> None:
        """An attempt whose call will never be placed ends (so ending its call stops waiting)."""

        async def work(uow: UnitOfWork, now: datetime) -> None:
            stale = await uow.incidents.attempt(token)
            if stale is not None and stale.state in ("queued", "placing") and not stale.call_sid:
                stale.state, stale.ended_at = "ended", now
                await uow.incidents.save_attempt(stale)

        await self.paging.transact(work)

    async def _adoptable(self, calls: list[CallInfo], since: datetime) -> str | None:
        """The call our crashed attempt created: not one another attempt already owns (two
        incidents may call the same person), the first created after we started placing."""
        async with self.paging.unit_of_work(read_only=True) as uow:
            taken = await uow.incidents.call_ids_in_use([c.sid for c in calls])
        free = [c for c in calls if c.sid not in taken]
        free.sort(key=lambda c: abs((c.created_at - since).total_seconds()) if c.created_at else 0)
        return free[0].sid if free else None

    async def end_call(self, job: Job) -> None:
        async with self.paging.unit_of_work(read_only=True) as uow:
            attempt = await uow.incidents.attempt(job.payload["attempt"])
        if attempt is None or attempt.state == "ended":
            return  # already over, or never to be placed
        if attempt.call_sid is None:
            raise _NotYet("the call is being placed; ending it once it has an id")
        await self.carrier.end_call(attempt.call_sid)

    async def check_call(self, job: Job) -> None:
        """Reconcile an attempt with the carrier: a call that ended without us hearing of it
        is fed to the ladder exactly as its status callback would have been."""
        token = job.payload["attempt"]
        async with self.paging.unit_of_work(read_only=True) as uow:
            attempt = await uow.incidents.attempt(token)
        if attempt is None or attempt.state == "ended" or attempt.call_sid is None:
            return
        info = await self.carrier.fetch_call(attempt.call_sid)
        if info.status.is_final:
            await self.calls.status(
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
                    await self.calls.feed(
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
