"""Kept call-in recordings on SQLAlchemy; the audio column is read only when asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.adapters.db.tables import RecordingRow
from hotline.domain.errors import NotFound
from hotline.ports import RecordingAudio, StoredRecording

# Everything but the audio: lookups for links and jobs never load megabytes of WAV.
_META = (
    RecordingRow.id,
    RecordingRow.call_sid,
    RecordingRow.carrier_url,
    RecordingRow.created_at,
    RecordingRow.stored_at,
)


class SqlRecordingRepository:
    """Implements :class:`hotline.ports.RecordingRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, recording_id: str, *, with_audio: bool = False) -> StoredRecording | None:
        columns = (*_META, RecordingRow.audio, RecordingRow.content_type) if with_audio else _META
        query = select(*columns).where(RecordingRow.id == recording_id)
        row = (await self._s.execute(query)).one_or_none()
        if row is None:
            return None
        audio = None
        if with_audio and row.audio is not None:
            audio = RecordingAudio(bytes(row.audio), row.content_type or "audio/x-wav")
        return StoredRecording(
            id=row.id,
            call_sid=row.call_sid,
            carrier_url=row.carrier_url,
            created_at=row.created_at,
            audio=audio,
            stored_at=row.stored_at,
        )

    async def for_call(self, call_sid: str, carrier_url: str) -> StoredRecording | None:
        query = select(*_META).where(
            RecordingRow.call_sid == call_sid, RecordingRow.carrier_url == carrier_url
        )
        row = (await self._s.execute(query)).one_or_none()
        if row is None:
            return None
        return StoredRecording(
            id=row.id,
            call_sid=row.call_sid,
            carrier_url=row.carrier_url,
            created_at=row.created_at,
            stored_at=row.stored_at,
        )

    async def add(self, recording: StoredRecording) -> None:
        audio = recording.audio
        self._s.add(
            RecordingRow(
                id=recording.id,
                call_sid=recording.call_sid,
                carrier_url=recording.carrier_url,
                audio=audio.data if audio else None,
                content_type=audio.content_type if audio else None,
                created_at=recording.created_at,
                stored_at=recording.stored_at,
            )
        )
        await self._s.flush()

    async def store_audio(self, recording_id: str, audio: RecordingAudio, now: datetime) -> None:
        result = await self._s.execute(
            update(RecordingRow)
            .where(RecordingRow.id == recording_id)
            .values(audio=audio.data, content_type=audio.content_type, stored_at=now)
        )
        if getattr(result, "rowcount", 1) == 0:
            raise NotFound(f"no recording {recording_id}")

    async def delete_older_than(self, before: datetime, limit: int) -> list[str]:
        # One statement, skipping rows another replica is deleting right now: each
        # recording is deleted (and its carrier copy queued) by one transaction only.
        oldest = (
            select(RecordingRow.id)
            .where(RecordingRow.created_at < before)
            .order_by(RecordingRow.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        gone = delete(RecordingRow).where(RecordingRow.id.in_(oldest.scalar_subquery()))
        result = await self._s.execute(gone.returning(RecordingRow.carrier_url))
        return list(result.scalars())
