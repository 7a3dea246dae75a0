"""Call-in conversations on SQLAlchemy, one row per CallSid."""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.adapters.db.tables import ConversationRow
from hotline.domain.errors import NotFound
from hotline.ports import CallRecord


class SqlConversationRepository:
    """Implements :class:`hotline.ports.ConversationRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._rows: dict[str, ConversationRow] = {}

    @staticmethod
    def _record(row: ConversationRow) -> CallRecord:
        return CallRecord(
            call_sid=row.call_sid,
            caller=row.caller,
            person=row.person_name,
            state=copy.deepcopy(row.state),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def get(self, call_sid: str, *, for_update: bool = False) -> CallRecord | None:
        query = select(ConversationRow).where(ConversationRow.call_sid == call_sid)
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        self._rows[call_sid] = row
        return self._record(row)

    async def add(self, record: CallRecord) -> None:
        row = ConversationRow(
            call_sid=record.call_sid,
            caller=record.caller,
            person_name=record.person,
            state=copy.deepcopy(record.state),
            created_at=record.created_at,
            updated_at=record.updated_at,
        )
        self._s.add(row)
        await self._s.flush()
        self._rows[record.call_sid] = row

    async def save(self, record: CallRecord) -> None:
        row = self._rows.get(record.call_sid)
        if row is None:
            raise NotFound(f"conversation {record.call_sid} was not read in this unit of work")
        row.caller = record.caller
        row.person_name = record.person
        row.state = copy.deepcopy(record.state)  # a new value: JSON columns are not mutable
        row.updated_at = record.updated_at
        await self._s.flush()

    async def recent(self, limit: int = 50) -> list[CallRecord]:
        query = select(ConversationRow).order_by(ConversationRow.created_at.desc()).limit(limit)
        return [self._record(row) for row in (await self._s.execute(query)).scalars()]

    async def count_from(self, caller: str, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(ConversationRow)
            .where(ConversationRow.caller == caller, ConversationRow.created_at >= since)
        )
        return int((await self._s.execute(query)).scalar_one())
