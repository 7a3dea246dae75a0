"""The SQL unit of work: one session, one transaction, errors translated to domain errors."""

from __future__ import annotations

from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from hotline.adapters.db.bridges_repo import SqlBridgeRepository
from hotline.adapters.db.conversations_repo import SqlConversationRepository
from hotline.adapters.db.directory_repo import SqlDirectoryRepository
from hotline.adapters.db.engine import READ_ONLY
from hotline.adapters.db.incidents_repo import SqlIncidentRepository
from hotline.adapters.db.jobs_repo import Dispatcher, SqlJobQueue
from hotline.adapters.db.live_calls_repo import SqlLiveCallRepository
from hotline.adapters.db.recordings_repo import SqlRecordingRepository
from hotline.domain.errors import ConcurrentChange, Conflict


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class SqlUnitOfWork:
    """Implements :class:`hotline.ports.UnitOfWork`; rolls back unless committed."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._read_only = read_only

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        if self._read_only:  # SQLite: a plain BEGIN, no wait for the write lock
            await self.session.connection(execution_options={READ_ONLY: True})
        self.directory = SqlDirectoryRepository(self.session)
        self.incidents = SqlIncidentRepository(self.session)
        self.jobs = SqlJobQueue(self.session, None if self._read_only else self._dispatcher)
        self.conversations = SqlConversationRepository(self.session)
        self.live_calls = SqlLiveCallRepository(self.session)
        self.bridges = SqlBridgeRepository(self.session)
        self.recordings = SqlRecordingRepository(self.session)
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc is not None:
                await self.session.rollback()
        finally:
            await self.session.close()
        if isinstance(exc, IntegrityError):
            raise Conflict(
                "the change conflicts with stored data (duplicate or still referenced)"
            ) from exc
        if isinstance(exc, StaleDataError):
            raise ConcurrentChange(
                "the record was changed concurrently; read it again and retry"
            ) from exc

    async def commit(self) -> None:
        """Commit; then, if jobs were enqueued, tell the worker (no polling delay) and hand
        it the jobs claimed for it."""
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        await self.session.commit()
        if self.jobs.enqueued and self._dispatcher is not None:
            self._dispatcher.committed(self.jobs.claimed_jobs(), self.jobs.later)
        self.jobs = SqlJobQueue(self.session, self._dispatcher)
