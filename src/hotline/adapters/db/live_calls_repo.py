"""Live-call hunts on SQLAlchemy: one ``live_calls`` row per hunt, one row per leg.

The hunt's legs are stored only as rows (who was called when, outcome, durations: what the
API and SQL reports read); the rest of the hunt (callees, limits, progress) is JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from hotline.adapters.db.tables import LiveCallLegRow, LiveCallRow
from hotline.domain.errors import NotFound
from hotline.domain.hunt import (
    Callee,
    EndReason,
    Hunt,
    Leg,
    LegState,
    Limits,
    Outcome,
    Status,
)
from hotline.ports import LiveCallRecord

_LIMITS = ("max_people", "ring_timeout", "check_timeout", "max_duration", "grace")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _state(hunt: Hunt) -> dict[str, Any]:
    return {
        "group_say": hunt.group_say,
        "callees": [
            {
                "name": c.name,
                "phone": c.phone,
                "say_name": c.say_name,
                "person": c.person,
                "email": c.email,
                "sms": list(c.sms),
            }
            for c in hunt.callees
        ],
        "started_at": hunt.started_at.isoformat(),
        "limits": {name: getattr(hunt.limits, name) for name in _LIMITS},
        "announced": hunt.announced,
        "choice_prompts": hunt.choice_prompts,
    }


def _leg(row: LiveCallLegRow) -> Leg:
    return Leg(
        number=row.number,
        dialed_at=row.dialed_at,
        state=LegState(row.state),
        outcome=Outcome(row.outcome) if row.outcome else None,
        answered_at=row.answered_at,
        connected_at=row.connected_at,
        bridged_at=row.bridged_at,
        ended_at=row.ended_at,
        duration=row.duration,
        talk_seconds=row.talk_seconds,
    )


def _hunt(row: LiveCallRow) -> Hunt:
    s = row.state
    callees = tuple(
        Callee(
            name=c["name"],
            phone=c["phone"],
            say_name=c["say_name"],
            person=c.get("person"),
            email=c.get("email"),
            sms=tuple(c.get("sms") or ()),
        )
        for c in s["callees"]
    )
    return Hunt(
        group=row.group_name,
        group_say=s["group_say"],
        callees=callees,
        started_at=datetime.fromisoformat(s["started_at"]),
        limits=Limits(**{name: int(s["limits"][name]) for name in _LIMITS}),
        status=Status(row.status),
        legs=tuple(_leg(leg) for leg in row.legs),
        announced=int(s.get("announced", 0)),
        choice_prompts=int(s.get("choice_prompts", 0)),
        end_reason=EndReason(row.end_reason) if row.end_reason else None,
        ended_at=row.ended_at,
    )


def _record(row: LiveCallRow) -> LiveCallRecord:
    return LiveCallRecord(
        id=row.id,
        token=row.token,
        call_sid=row.call_sid,
        caller=row.caller,
        caller_name=row.caller_name,
        hunt=_hunt(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
        leg_calls={leg.number: leg.call_sid for leg in row.legs if leg.call_sid},
        leg_placing={leg.number: leg.placing_at for leg in row.legs if leg.placing_at},
        incident_id=row.incident_id,
    )


def _write(row: LiveCallRow, record: LiveCallRecord) -> None:
    hunt = record.hunt
    row.status = hunt.status.value
    row.end_reason = hunt.end_reason.value if hunt.end_reason else None
    row.ended_at = hunt.ended_at
    row.state = _state(hunt)
    flag_modified(row, "state")  # always an UPDATE, so the version check sees every save
    row.incident_id = record.incident_id
    row.updated_at = record.updated_at
    existing = {leg.number: leg for leg in row.legs}
    for leg in hunt.legs:
        leg_row = existing.get(leg.number)
        if leg_row is None:
            callee = hunt.callee(leg.number)
            leg_row = LiveCallLegRow(
                number=leg.number, name=callee.name, phone=callee.phone, person=callee.person
            )
            row.legs.append(leg_row)
        leg_row.call_sid = record.leg_calls.get(leg.number) or leg_row.call_sid
        leg_row.placing_at = record.leg_placing.get(leg.number) or leg_row.placing_at
        leg_row.state = leg.state.value
        leg_row.outcome = leg.outcome.value if leg.outcome else None
        leg_row.dialed_at = leg.dialed_at
        leg_row.answered_at = leg.answered_at
        leg_row.connected_at = leg.connected_at
        leg_row.bridged_at = leg.bridged_at
        leg_row.ended_at = leg.ended_at
        leg_row.duration = leg.duration
        leg_row.talk_seconds = leg.talk_seconds


class SqlLiveCallRepository:
    """Implements :class:`hotline.ports.LiveCallRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._rows: dict[str, LiveCallRow] = {}

    async def _one(self, query: Any, for_update: bool) -> LiveCallRecord | None:
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).scalars().first()
        if row is None:
            return None
        self._rows[row.token] = row
        return _record(row)

    async def get(self, hunt_id: int) -> LiveCallRecord | None:
        return await self._one(select(LiveCallRow).where(LiveCallRow.id == hunt_id), False)

    async def by_token(self, token: str, *, for_update: bool = False) -> LiveCallRecord | None:
        return await self._one(select(LiveCallRow).where(LiveCallRow.token == token), for_update)

    async def latest_for_call(
        self, call_sid: str, *, for_update: bool = False
    ) -> LiveCallRecord | None:
        query = (
            select(LiveCallRow)
            .where(LiveCallRow.call_sid == call_sid)
            .order_by(LiveCallRow.id.desc())
            .limit(1)
        )
        return await self._one(query, for_update)

    async def recent(self, limit: int = 100) -> list[LiveCallRecord]:
        query = select(LiveCallRow).order_by(LiveCallRow.id.desc()).limit(limit)
        return [_record(row) for row in (await self._s.execute(query)).scalars()]

    async def add(self, record: LiveCallRecord) -> None:
        row = LiveCallRow(
            token=record.token,
            call_sid=record.call_sid,
            caller=record.caller,
            caller_name=record.caller_name,
            group_name=record.hunt.group,
            created_at=record.created_at,
            legs=[],
        )
        _write(row, record)
        self._s.add(row)
        await self._s.flush()
        record.id = row.id
        self._rows[record.token] = row

    async def save(self, record: LiveCallRecord) -> None:
        row = self._rows.get(record.token)
        if row is None:
            raise NotFound(f"live call {record.token} was not read in this unit of work")
        _write(row, record)
        await self._s.flush()
