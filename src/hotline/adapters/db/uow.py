"""The SQL unit of work: one session, one transaction, errors translated to domain errors."""

from __future__ import annotations

from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from hotline.adapters.db.directory_repo import SqlDirectoryRepository
from hotline.domain.errors import Conflict


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class SqlUnitOfWork:
    """Implements :class:`hotline.ports.UnitOfWork`; rolls back unless committed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.directory = SqlDirectoryRepository(self.session)
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
            raise Conflict("the record was changed concurrently; read it again and retry") from exc

    async def commit(self) -> None:
        await self.session.commit()
