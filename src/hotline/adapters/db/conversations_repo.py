"""Call-in conversations on SQLAlchemy, one row per CallSid."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.adapters.db.tables import ConversationRow
from hotline.domain.errors import ConcurrentChange, NotFound
from hotline.ports import CallRecord

T = cast(Table, ConversationRow.__table__)
_COLUMNS = (T.c.call_sid, T.c.caller, T.c.person_name, T.c.state, T.c.created_at, T.c.updated_at)
# Built once: every call-in webhook reads and writes its row, and building the statements
# each time was a tenth of a webhook's work. Core, not ORM objects: one row, no identity map.
_GET = select(*_COLUMNS, T.c.version).where(T.c.call_sid == bindparam("sid"))
_GET_FOR_UPDATE = _GET.with_for_update()
_INSERT = insert(T)
_SAVE = (
    update(T)
    .where(T.c.call_sid == bindparam("sid"), T.c.version == bindparam("seen"))
    .values(
        caller=bindparam("caller"),
        person_name=bindparam("person"),
        state=bindparam("state"),
        updated_at=bindparam("updated"),
        version=T.c.version + 1,
    )
)


# Serialises the rate-limit check per caller on PostgreSQL until the transaction ends (SQLite
# already runs one writer at a time): two calls from one number at the same instant must not
# both take the last free slot. hashtextextended: a 64-bit key from the number.
_CALLER_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:caller, 0))")


class SqlConversationRepository:
    """Implements :class:`hotline.ports.ConversationRepository`. A conversation is saved
    only if nobody saved it since this unit of work read it (its version), else
    :class:`ConcurrentChange`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._versions: dict[str, int] = {}  # the version of each row read or added here

    @staticmethod
    def _record(row: Any) -> CallRecord:
        return CallRecord(
            call_sid=row.call_sid,
            caller=row.caller,
            person=row.person_name,
            state=row.state,  # decoded from JSON for this read: the caller's own copy
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def get(self, call_sid: str, *, for_update: bool = False) -> CallRecord | None:
        query = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._s.execute(query, {"sid": call_sid})).one_or_none()
        if row is None:
            return None
        self._versions[call_sid] = row.version
        return self._record(row)

    async def add(self, record: CallRecord) -> None:
        await self._s.execute(
            _INSERT,
            {
                "call_sid": record.call_sid,
                "caller": record.caller,
                "person_name": record.person,
                "state": record.state,
                "created_at": record.created_at,
                "updated_at": record.updated_at,
                "version": 1,
            },
        )
        self._versions[record.call_sid] = 1

    async def save(self, record: CallRecord) -> None:
        seen = self._versions.get(record.call_sid)
        if seen is None:
            raise NotFound(f"conversation {record.call_sid} was not read in this unit of work")
        result = await self._s.execute(
            _SAVE,
            {
                "sid": record.call_sid,
                "seen": seen,
                "caller": record.caller,
                "person": record.person,
                "state": record.state,
                "updated": record.updated_at,
            },
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentChange(f"conversation {record.call_sid} was changed concurrently")
        self._versions[record.call_sid] = seen + 1

    async def recent(self, limit: int = 50) -> list[CallRecord]:
        query = select(ConversationRow).order_by(ConversationRow.created_at.desc()).limit(limit)
        return [self._record(row) for row in (await self._s.execute(query)).scalars()]

    async def count_from(self, caller: str, since: datetime) -> int:
        if self._s.get_bind().dialect.name == "postgresql":
            await self._s.execute(_CALLER_LOCK, {"caller": caller})
        query = (
            select(func.count())
            .select_from(ConversationRow)
            .where(ConversationRow.caller == caller, ConversationRow.created_at >= since)
        )
        return int((await self._s.execute(query)).scalar_one())
