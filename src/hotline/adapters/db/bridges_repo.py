"""Conference bridges on SQLAlchemy: one row per bridge, invitations and events as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.adapters.db.tables import BridgeRow
from hotline.domain.bridge import Bridge, BridgeEvent, BridgeStatus, Invite, InviteState
from hotline.domain.errors import NotFound


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _state(bridge: Bridge) -> dict[str, Any]:
    return {
        "host": bridge.host,
        "caller": bridge.caller,
        "transcript": bridge.transcript,
        "recording": bridge.recording,
        "room": bridge.room,
        "join_deadline": bridge.join_deadline.isoformat(),
        "announced": bridge.announced,
        "notified": bridge.notified,
        "conference_sid": bridge.conference_sid,
        "host_in_room": bridge.host_in_room,
        "guests": dict(bridge.guests),
        "invites": [
            {
                "number": i.number,
                "name": i.name,
                "phone": i.phone,
                "state": i.state.value,
                "call_sid": i.call_sid,
                "placing_at": _iso(i.placing_at),
                "joined_at": _iso(i.joined_at),
                "ended_at": _iso(i.ended_at),
            }
            for i in bridge.invites
        ],
        "events": [
            {"at": e.at.isoformat(), "kind": e.kind, "detail": e.detail}
            | ({"who": e.who} if e.who else {})
            for e in bridge.events
        ],
    }


def _bridge(row: BridgeRow) -> Bridge:
    state = row.state
    return Bridge(
        id=row.id,
        code=row.code,
        group=row.group_name,
        room=state["room"],
        host_call=row.host_call,
        host=state["host"],
        caller=state["caller"],
        transcript=state["transcript"],
        recording=state["recording"],
        opened_at=row.opened_at,
        join_deadline=datetime.fromisoformat(state["join_deadline"]),
        expires_at=row.expires_at,
        status=BridgeStatus(row.status),
        closed_at=row.closed_at,
        announced=int(state.get("announced", 0)),
        notified=bool(state.get("notified", False)),
        conference_sid=state.get("conference_sid"),
        host_in_room=bool(state.get("host_in_room", False)),
        guests={str(k): str(v) for k, v in state.get("guests", {}).items()},
        invites=[
            Invite(
                number=i["number"],
                name=i["name"],
                phone=i["phone"],
                state=InviteState(i["state"]),
                call_sid=i.get("call_sid"),
                placing_at=_time(i.get("placing_at")),
                joined_at=_time(i.get("joined_at")),
                ended_at=_time(i.get("ended_at")),
            )
            for i in state.get("invites", [])
        ],
        events=[
            BridgeEvent(datetime.fromisoformat(e["at"]), e["kind"], e["detail"], e.get("who", ""))
            for e in state.get("events", [])
        ],
    )


class SqlBridgeRepository:
    """Implements :class:`hotline.ports.BridgeRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._rows: dict[int, BridgeRow] = {}

    async def _one(self, query: Any, for_update: bool) -> Bridge | None:
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).scalars().first()
        if row is None:
            return None
        self._rows[row.id] = row
        return _bridge(row)

    async def get(self, bridge_id: int, *, for_update: bool = False) -> Bridge | None:
        return await self._one(select(BridgeRow).where(BridgeRow.id == bridge_id), for_update)

    async def open_with_code(self, code: str, *, for_update: bool = False) -> Bridge | None:
        query = select(BridgeRow).where(BridgeRow.code == code, BridgeRow.status == "open")
        return await self._one(query, for_update)

    async def hosted_by(self, call_sid: str, *, for_update: bool = False) -> Bridge | None:
        query = (
            select(BridgeRow).where(BridgeRow.host_call == call_sid).order_by(BridgeRow.id.desc())
        )
        return await self._one(query, for_update)

    async def recent(self, limit: int = 100) -> list[Bridge]:
        query = select(BridgeRow).order_by(BridgeRow.id.desc()).limit(limit)
        return [_bridge(row) for row in (await self._s.execute(query)).scalars()]

    async def add(self, bridge: Bridge) -> None:
        row = BridgeRow(
            code=bridge.code,
            status=bridge.status.value,
            group_name=bridge.group,
            host_call=bridge.host_call,
            opened_at=bridge.opened_at,
            expires_at=bridge.expires_at,
            closed_at=bridge.closed_at,
            state=_state(bridge),
        )
        self._s.add(row)
        await self._s.flush()
        bridge.id = row.id
        self._rows[row.id] = row

    async def save(self, bridge: Bridge) -> None:
        row = self._rows.get(bridge.id or 0)
        if row is None:
            raise NotFound(f"bridge {bridge.id} was not read in this unit of work")
        row.status = bridge.status.value
        row.closed_at = bridge.closed_at
        row.expires_at = bridge.expires_at
        row.state = _state(bridge)  # a new value: JSON columns are not mutable
        await self._s.flush()
