"""The composition root: settings in, wired adapters and services out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.adapters.clock import SystemClock
from hotline.adapters.db import migrate
from hotline.adapters.db.engine import create_engine
from hotline.adapters.db.uow import SqlUnitOfWork, session_factory
from hotline.ports import Clock
from hotline.services.directory import DirectoryService
from hotline.settings import Settings


class SchemaOutOfDate(Exception):
    """The database is not at the newest migration; ``hotline db upgrade`` fixes it."""


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    directory: DirectoryService

    async def check_schema(self) -> None:
        at, newest = await migrate.current(self.engine), migrate.head()
        if at != newest:
            raise SchemaOutOfDate(
                f"the database is at revision {at or 'none'}, this Hotline needs {newest}: "
                "run `hotline db upgrade`"
            )

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


def build(settings: Settings, clock: Clock | None = None) -> Container:
    """Wire everything; no I/O happens until a method is awaited."""
    engine = create_engine(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    sessions = session_factory(engine)
    return Container(
        settings=settings,
        engine=engine,
        clock=clock or SystemClock(),
        directory=DirectoryService(lambda: SqlUnitOfWork(sessions), settings.default_region),
    )
