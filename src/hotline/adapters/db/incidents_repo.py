"""Incidents, their timeline and call attempts on SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.adapters.db import ladder_json
from hotline.adapters.db.tables import AttemptRow, IncidentEventRow, IncidentRow
from hotline.domain.errors import NotFound
from hotline.domain.incident import Attempt, Incident, TimelineEvent
from hotline.domain.incidents import IncidentStatus, Source

_ATTEMPT_FIELDS = [f.name for f in fields(Attempt)]


class SqlIncidentRepository:
    """Implements :class:`hotline.ports.IncidentRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._rows: dict[int, IncidentRow] = {}
        # Attempt rows read or added in this unit of work, by token. Changes to an attempt
        # happen under its incident's lock, except placed() (which sets only the call id
        # and queued -> placed), so a row read after taking the lock stays current.
        self._attempts: dict[str, AttemptRow] = {}

    @staticmethod
    def _incident(row: IncidentRow) -> Incident:
        return Incident(
            id=row.id,
            title=row.title,
            description=row.description,
            severity=row.severity,
            source=Source(row.source),
            status=IncidentStatus(row.status),
            external_id=row.external_id,
            external_number=row.external_number,
            dedup_key=row.dedup_key,
            group=row.group_name,
            policy=row.policy_name,
            assignee=row.assignee,
            created_at=row.created_at,
            first_call_at=row.first_call_at,
            accepted_at=row.accepted_at,
            resolved_at=row.resolved_at,
            ladder=ladder_json.load(row.ladder) if row.ladder else None,
        )

    @staticmethod
    def _copy(incident: Incident, row: IncidentRow) -> None:
        row.title = incident.title
        row.description = incident.description
        row.severity = incident.severity
        row.source = incident.source.value
        row.status = incident.status.value
        row.external_id = incident.external_id
        row.external_number = incident.external_number
        row.dedup_key = incident.dedup_key
        row.group_name = incident.group
        row.policy_name = incident.policy
        row.assignee = incident.assignee
        row.created_at = incident.created_at
        row.first_call_at = incident.first_call_at
        row.accepted_at = incident.accepted_at
        row.resolved_at = incident.resolved_at
        row.ladder = ladder_json.dump(incident.ladder) if incident.ladder else None

    async def add(self, incident: Incident) -> Incident:
        row = IncidentRow()
        self._copy(incident, row)
        self._s.add(row)
        await self._s.flush()
        self._rows[row.id] = row
        incident.id = row.id
        return incident

    async def get(self, incident_id: int, *, for_update: bool = False) -> Incident | None:
        query = select(IncidentRow).where(IncidentRow.id == incident_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        self._rows[row.id] = row
        return self._incident(row)

    async def save(self, incident: Incident) -> None:
        assert incident.id is not None
        row = self._rows.get(incident.id)
        if row is None:
            raise NotFound(f"incident {incident.id} was not loaded in this unit of work")
        self._copy(incident, row)
        await self._s.flush()

    async def get_by_attempt(self, token: str, *, for_update: bool = True) -> Incident | None:
        query = (
            select(IncidentRow)
            .join(AttemptRow, AttemptRow.incident_id == IncidentRow.id)
            .where(AttemptRow.token == token)
        )
        if for_update:
            query = query.with_for_update(of=IncidentRow)
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        self._rows[row.id] = row
        return self._incident(row)

    async def recent(
        self, status: IncidentStatus | None = None, limit: int = 100
    ) -> list[Incident]:
        query = select(IncidentRow).order_by(IncidentRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(IncidentRow.status == status.value)
        return [self._incident(r) for r in (await self._s.execute(query)).scalars()]

    async def _one(self, *conditions: object) -> Incident | None:
        query = select(IncidentRow).where(*conditions).order_by(IncidentRow.id).limit(1)  # type: ignore[arg-type]
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        self._rows[row.id] = row
        return self._incident(row)

    async def find_open_by_dedup_key(self, key: str) -> Incident | None:
        return await self._one(
            IncidentRow.dedup_key == key, IncidentRow.status != IncidentStatus.RESOLVED.value
        )

    async def find_by_external_id(self, external_id: str, source: Source) -> Incident | None:
        return await self._one(
            IncidentRow.external_id == external_id, IncidentRow.source == source.value
        )

    async def add_event(self, incident_id: int, event: TimelineEvent) -> None:
        self._s.add(
            IncidentEventRow(
                incident_id=incident_id,
                at=event.at,
                kind=event.kind,
                detail=event.detail,
                data=dict(event.data) or None,
            )
        )

    async def timeline(self, incident_id: int) -> list[TimelineEvent]:
        await self._s.flush()
        rows = await self._s.execute(
            select(IncidentEventRow)
            .where(IncidentEventRow.incident_id == incident_id)
            .order_by(IncidentEventRow.at, IncidentEventRow.id)
        )
        return [TimelineEvent(r.at, r.kind, r.detail, r.data or {}) for r in rows.scalars()]

    async def add_attempt(self, attempt: Attempt) -> None:
        row = AttemptRow(**{name: getattr(attempt, name) for name in _ATTEMPT_FIELDS})
        self._s.add(row)
        await self._s.flush()
        self._attempts[row.token] = row

    @staticmethod
    def _attempt(row: AttemptRow) -> Attempt:
        return Attempt(**{name: getattr(row, name) for name in _ATTEMPT_FIELDS})

    async def _attempt_row(self, *conditions: object) -> AttemptRow | None:
        query = select(AttemptRow).where(*conditions).execution_options(populate_existing=True)  # type: ignore[arg-type]
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is not None:
            self._attempts[row.token] = row
        return row

    async def _attempt_by_token(self, token: str) -> AttemptRow | None:
        return self._attempts.get(token) or await self._attempt_row(AttemptRow.token == token)

    async def attempt(self, token: str) -> Attempt | None:
        row = await self._attempt_by_token(token)
        return self._attempt(row) if row else None

    async def attempt_by_number(self, incident_id: int, number: int) -> Attempt | None:
        row = next(
            (
                r
                for r in self._attempts.values()
                if (r.incident_id, r.number) == (incident_id, number)
            ),
            None,
        ) or await self._attempt_row(
            AttemptRow.incident_id == incident_id, AttemptRow.number == number
        )
        return self._attempt(row) if row else None

    async def attempts(self, incident_id: int) -> list[Attempt]:
        rows = await self._s.execute(
            select(AttemptRow)
            .where(AttemptRow.incident_id == incident_id)
            .order_by(AttemptRow.number)
        )
        return [self._attempt(r) for r in rows.scalars()]

    async def call_ids_in_use(self, call_ids: Sequence[str]) -> set[str]:
        if not call_ids:
            return set()
        rows = await self._s.execute(
            select(AttemptRow.call_sid).where(AttemptRow.call_sid.in_(list(call_ids)))
        )
        return {sid for sid in rows.scalars() if sid}

    async def unfinished_attempts(self) -> list[Attempt]:
        rows = await self._s.execute(
            select(AttemptRow)
            .where(AttemptRow.state.not_in(("queued", "ended")))
            .order_by(AttemptRow.id)
        )
        return [self._attempt(r) for r in rows.scalars()]

    async def placed(self, token: str, call_sid: str) -> Attempt | None:
        """Store the id of an attempt's call (unless it has one) and mark it placed (unless
        it moved on meanwhile), in one statement that needs no lock on the incident."""
        query = (
            update(AttemptRow)
            .where(AttemptRow.token == token)
            .values(
                call_sid=func.coalesce(AttemptRow.call_sid, call_sid),
                state=case(
                    (AttemptRow.state.in_(("queued", "placing")), "placed"),
                    else_=AttemptRow.state,
                ),
            )
            .returning(AttemptRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        self._attempts[token] = row
        return self._attempt(row)

    async def save_attempt(self, attempt: Attempt) -> None:
        row = await self._attempt_by_token(attempt.token)
        if row is None:
            raise NotFound(f"no call attempt {attempt.token}")
        for name in _ATTEMPT_FIELDS:
            setattr(row, name, getattr(attempt, name))
        await self._s.flush()
