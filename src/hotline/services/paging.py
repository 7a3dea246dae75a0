"""Page-out use cases: open an incident, run its ladder, acknowledge and resolve it.

Every change follows one pattern: load the incident (locked), feed an event to the pure
ladder, apply the decision (rows, timeline, jobs) in the same transaction, commit. A
concurrent change to the same incident makes the loser retry from a fresh load.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from hotline.domain import ladder as lad
from hotline.domain.errors import ConcurrentChange, Conflict, NotFound
from hotline.domain.incident import Attempt, Incident, TimelineEvent
from hotline.domain.incidents import IncidentStatus, Source, check_transition
from hotline.ports import Clock, TicketState, TicketUpdate, UnitOfWork, UnitOfWorkFactory
from hotline.services import notices
from hotline.services.inputs import IncidentIn
from hotline.services.paging_plan import choose_policy, snapshot_tiers

T = TypeVar("T")
MAX_RETRIES = 8
PLACE_CALL_DEADLINE = timedelta(minutes=2)
TICKET_DEADLINE = timedelta(hours=24)
NOTICE_DEADLINE = timedelta(hours=6)


@dataclass(frozen=True)
class PagingConfig:
    public_url: str
    from_number: str
    human_check: bool = True
    machine_detection: bool = False
    tickets_enabled: bool = False
    email_enabled: bool = False


@dataclass(frozen=True)
class External:
    """Where an incident came from outside Hotline (ServiceNow)."""

    source: Source
    external_id: str
    number: str | None = None


class PagingService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, config: PagingConfig) -> None:
        self._uow = uow
        self.clock = clock
        self.config = config

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        return self._uow(read_only)

    # --- transactions with retry -----------------------------------------------------------

    async def transact(self, work: Callable[[UnitOfWork, datetime], Awaitable[T]]) -> T:
        """Run ``work`` in a fresh unit of work and commit; retry on a concurrent change."""
        for attempt in range(MAX_RETRIES):
            try:
                async with self._uow() as uow:
                    result = await work(uow, self.clock.now())
                    await uow.commit()
                    return result
            except ConcurrentChange:
                if attempt == MAX_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    # --- queries --------------------------------------------------------------------------

    async def get(self, incident_id: int) -> tuple[Incident, list[TimelineEvent], list[Attempt]]:
        async with self._uow(read_only=True) as uow:
            incident = await uow.incidents.get(incident_id)
            if incident is None:
                raise NotFound(f"no incident {incident_id}")
            return (
                incident,
                await uow.incidents.timeline(incident_id),
                await uow.incidents.attempts(incident_id),
            )

    async def recent(
        self, status: IncidentStatus | None = None, limit: int = 100
    ) -> list[Incident]:
        async with self._uow(read_only=True) as uow:
            return await uow.incidents.recent(status, limit)

    # --- commands -------------------------------------------------------------------------

    async def open(
        self, data: IncidentIn, external: External | None = None
    ) -> tuple[Incident, bool]:
        """Create an incident and start paging; ``(incident, False)`` for a duplicate."""

        async def work(uow: UnitOfWork, now: datetime) -> tuple[Incident, bool]:
            return await self.create(uow, data, now, external)

        try:
            return await self.transact(work)
        except Conflict:  # a concurrent delivery of the same alert won the unique index
            return await self.transact(work)

    async def create(
        self, uow: UnitOfWork, data: IncidentIn, now: datetime, external: External | None = None
    ) -> tuple[Incident, bool]:
        """:meth:`open` inside the caller's unit of work (the caller commits)."""
        duplicate = await self._duplicate(uow, data, external, now)
        if duplicate is not None:
            return duplicate, False
        policy = await choose_policy(uow, data)
        tiers = await snapshot_tiers(uow, policy, now)
        incident = await uow.incidents.add(
            Incident(
                title=data.title,
                description=data.description,
                severity=data.severity,
                source=external.source if external else Source.API,
                created_at=now,
                external_id=external.external_id if external else data.external_id,
                external_number=external.number if external else None,
                dedup_key=data.dedup_key,
                group=data.group,
                policy=policy.name,
            )
        )
        names = "; ".join(
            f"tier {i + 1} {t.group}: {', '.join(x.name for x in t.targets) or 'nobody'}"
            for i, t in enumerate(tiers)
        )
        await self.record(uow, incident, now, "created", f"{notices.title_line(incident)}.")
        await self.record(uow, incident, now, "policy", f"Policy {policy.name}: {names}.")
        ladder = lad.Ladder(tiers, policy.ring_timeout, policy.rounds, policy.round_delay)
        await self.apply(uow, incident, lad.decide(ladder, lad.Start(), now), now)
        return incident, True

    async def acknowledge(self, incident_id: int, by: str) -> Incident:
        """Accepted outside the phone ladder: stop calling; ``by`` becomes the assignee."""
        return await self._close(incident_id, by, IncidentStatus.ACCEPTED, "acknowledged")

    async def resolve(self, incident_id: int, by: str) -> Incident:
        """Resolved: stop calling."""
        return await self._close(incident_id, by, IncidentStatus.RESOLVED, "resolved")

    async def _close(
        self, incident_id: int, by: str, status: IncidentStatus, verb: str
    ) -> Incident:
        async def work(uow: UnitOfWork, now: datetime) -> Incident:
            incident = await self._load(uow, incident_id)
            check_transition(incident.status, status)
            await self._stop(uow, incident, now, f"{verb} by {by}")
            incident.status = status
            if status is IncidentStatus.ACCEPTED:
                incident.assignee, incident.accepted_at = by, now
            else:
                incident.resolved_at = now
            await self.record(uow, incident, now, verb, f"{verb.capitalize()} by {by}.")
            note = f"{notices.stamp(now)} Hotline: {verb} by {by}."
            state = TicketState.IN_PROGRESS if status is IncidentStatus.ACCEPTED else None
            await self._ticket(uow, incident, now, TicketUpdate(work_note=note, state=state))
            await uow.incidents.save(incident)
            return incident

        return await self.transact(work)

    async def feed(
        self, incident_id: int, event: lad.Event
    ) -> tuple[lad.Decision | None, Incident]:
        """Feed one ladder event to an incident (from a job or a webhook)."""

        async def work(uow: UnitOfWork, now: datetime) -> tuple[lad.Decision | None, Incident]:
            incident = await self._load(uow, incident_id)
            if incident.ladder is None:
                return None, incident
            decision = lad.decide(incident.ladder, event, now)
            await self.apply(uow, incident, decision, now)
            return decision, incident

        return await self.transact(work)

    # --- applying a decision --------------------------------------------------------------

    async def apply(
        self, uow: UnitOfWork, incident: Incident, decision: lad.Decision, now: datetime
    ) -> None:
        """Persist ``decision``: the ladder state, attempts, timeline and jobs."""
        assert incident.id is not None
        changed = decision.state != incident.ladder or bool(decision.commands)
        incident.ladder = decision.state
        for command in decision.commands:
            await self._command(uow, incident, decision.state, command, now)
        if changed:
            await uow.incidents.save(incident)

    async def _command(
        self,
        uow: UnitOfWork,
        incident: Incident,
        state: lad.Ladder,
        c: lad.Command,
        now: datetime,
    ) -> None:
        assert incident.id is not None
        if isinstance(c, lad.PlaceCall):
            attempt = Attempt(
                token=secrets.token_urlsafe(18),
                incident_id=incident.id,
                number=c.attempt,
                round=c.round,
                tier=c.tier,
                position=c.position,
                name=c.target.name,
                phone=c.target.phone,
                timeout=c.timeout,
                created_at=now,
                person=c.target.person,
            )
            await uow.incidents.add_attempt(attempt)
            uow.jobs.enqueue(
                "place_call",
                # what the first try needs, so that it asks the carrier without a read
                {"attempt": attempt.token, "to": attempt.phone, "timeout": attempt.timeout},
                run_at=now,
                incident_id=incident.id,
                deadline=now + PLACE_CALL_DEADLINE,
            )
            group = state.tiers[c.tier].group
            await self.record(
                uow,
                incident,
                now,
                "call",
                notices.calling(attempt, group),
                attempt=c.attempt,
                person=c.target.name,
                phone=c.target.phone,
            )
            if incident.status in (IncidentStatus.TRIGGERED, IncidentStatus.UNANSWERED):
                incident.status = IncidentStatus.PAGING
            incident.first_call_at = incident.first_call_at or now
        elif isinstance(c, lad.HangUp):
            attempt = await self._attempt(uow, incident.id, c.attempt)
            uow.jobs.enqueue(
                "end_call",
                {"attempt": attempt.token},
                run_at=now,
                incident_id=incident.id,
                deadline=now + PLACE_CALL_DEADLINE,
            )
        elif isinstance(c, lad.WakeAt):
            uow.jobs.enqueue(
                "round_due",
                {"incident": incident.id, "round": c.round},
                run_at=c.at,
                incident_id=incident.id,
            )
            await self.record(
                uow,
                incident,
                now,
                "waiting",
                f"Nobody accepted in round {c.round - 1}; round {c.round} "
                f"starts at {notices.stamp(c.at)}.",
            )
        elif isinstance(c, lad.Settle):
            await self._settle(uow, incident, c, now)
        elif isinstance(c, lad.Finish):
            await self._finish(uow, incident, state, c, now)

    async def _settle(
        self, uow: UnitOfWork, incident: Incident, c: lad.Settle, now: datetime
    ) -> None:
        assert incident.id is not None
        attempt = await self._attempt(uow, incident.id, c.attempt)
        attempt.outcome = c.outcome.value
        attempt.digit = c.digit
        await uow.incidents.save_attempt(attempt)
        note = notices.attempt_note(attempt, c.outcome, now)
        await self.record(
            uow,
            incident,
            now,
            "attempt",
            note.split(" ", 3)[-1],
            attempt=attempt.number,
            person=attempt.name,
            phone=attempt.phone,
            outcome=c.outcome.value,
            digit=c.digit,
        )
        await self._ticket(uow, incident, now, TicketUpdate(work_note=note))

    async def _finish(
        self, uow: UnitOfWork, incident: Incident, state: lad.Ladder, c: lad.Finish, now: datetime
    ) -> None:
        assert incident.id is not None
        if c.accepted and c.by is not None:
            incident.status = IncidentStatus.ACCEPTED
            incident.assignee = c.by.name
            incident.accepted_at = now
            await self.record(
                uow, incident, now, "accepted", f"Accepted by {c.by.name}.", person=c.by.name
            )
            await self._ticket(
                uow,
                incident,
                now,
                TicketUpdate(
                    work_note=notices.accepted_note(c.by, now),
                    assigned_to=c.by.servicenow_user_id,
                    state=TicketState.IN_PROGRESS,
                ),
            )
            return
        incident.status = IncidentStatus.UNANSWERED
        attempts = await uow.incidents.attempts(incident.id)
        note = notices.unanswered_note(attempts, state.rounds, now)
        await self.record(uow, incident, now, "unanswered", note.split(" ", 3)[-1])
        await self._ticket(uow, incident, now, TicketUpdate(work_note=note))
        await self._notify_missed(uow, incident, state.tried_targets, attempts, now)

    async def _notify_missed(
        self,
        uow: UnitOfWork,
        incident: Incident,
        targets: list[lad.Target],
        attempts: list[Attempt],
        now: datetime,
    ) -> None:
        sms_to = list(dict.fromkeys(n for t in targets for n in t.sms))
        for number in sms_to:
            uow.jobs.enqueue(
                "send_sms",
                {"to": number, "body": notices.missed_sms(incident)},
                run_at=now,
                incident_id=incident.id,
                deadline=now + NOTICE_DEADLINE,
            )
        emails = tuple(dict.fromkeys(t.email for t in targets if t.email))
        if emails and self.config.email_enabled:
            subject, body = notices.missed_email(incident, attempts)
            uow.jobs.enqueue(
                "send_email",
                {"to": list(emails), "subject": subject, "body": body},
                run_at=now,
                incident_id=incident.id,
                deadline=now + NOTICE_DEADLINE,
            )
        if sms_to or emails:
            await self.record(
                uow,
                incident,
                now,
                "notified",
                f"Missed-incident notice to {len(sms_to)} phone(s) by SMS and "
                f"{len(emails) if self.config.email_enabled else 0} "
                "address(es) by e-mail.",
            )

    async def _stop(self, uow: UnitOfWork, incident: Incident, now: datetime, reason: str) -> None:
        if incident.ladder is not None and incident.ladder.active:
            await self.apply(uow, incident, lad.decide(incident.ladder, lad.Stop(reason), now), now)

    # --- helpers --------------------------------------------------------------------------

    async def _ticket(
        self, uow: UnitOfWork, incident: Incident, now: datetime, update: TicketUpdate
    ) -> None:
        """Queue a ServiceNow write; one ordering key per incident keeps notes in order."""
        if not (
            self.config.tickets_enabled
            and incident.source is Source.SERVICENOW
            and incident.external_id
        ):
            return
        uow.jobs.enqueue(
            "ticket_update",
            {
                "external_id": incident.external_id,
                "work_note": update.work_note,
                "assigned_to": update.assigned_to,
                "state": update.state.value if update.state else None,
            },
            run_at=now,
            incident_id=incident.id,
            ordering_key=f"ticket:{incident.id}",
            deadline=now + TICKET_DEADLINE,
        )

    @staticmethod
    async def record(
        uow: UnitOfWork, incident: Incident, now: datetime, kind: str, detail: str, **data: object
    ) -> None:
        assert incident.id is not None
        clean = {k: v for k, v in data.items() if v is not None}
        await uow.incidents.add_event(incident.id, TimelineEvent(now, kind, detail, clean))

    @staticmethod
    async def _load(uow: UnitOfWork, incident_id: int) -> Incident:
        incident = await uow.incidents.get(incident_id, for_update=True)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        return incident

    @staticmethod
    async def _attempt(uow: UnitOfWork, incident_id: int, number: int) -> Attempt:
        attempt = await uow.incidents.attempt_by_number(incident_id, number)
        if attempt is None:
            raise NotFound(f"incident {incident_id} has no call attempt {number}")
        return attempt

    async def _duplicate(
        self, uow: UnitOfWork, data: IncidentIn, external: External | None, now: datetime
    ) -> Incident | None:
        existing = None
        if external is not None:
            existing = await uow.incidents.find_by_external_id(
                external.external_id, external.source
            )
        if existing is None and data.dedup_key:
            existing = await uow.incidents.find_open_by_dedup_key(data.dedup_key)
        if existing is not None:
            what = f"sys_id {external.external_id}" if external else f"key {data.dedup_key}"
            await self.record(
                uow,
                existing,
                now,
                "duplicate",
                f"Received again ({what}): {data.title}. Nobody was paged.",
            )
        return existing
