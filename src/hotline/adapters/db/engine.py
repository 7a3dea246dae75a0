"""Async engines for SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

READ_ONLY = "hotline_read_only"  # execution option: this transaction will not write


def async_url(url: str) -> str:
    """Map a user-facing URL (``sqlite:///x``, ``postgresql://``) to its async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database backend {backend!r}")


def create_engine(url: str, *, sqlite_busy_timeout_ms: int = 10_000) -> AsyncEngine:
    """Create the engine; for SQLite, WAL mode, a busy timeout and IMMEDIATE transactions.

    SQLite only fails with "database is locked" despite a busy timeout when a reader tries to
    upgrade to a writer mid-transaction; starting every transaction with BEGIN IMMEDIATE takes
    the write lock up front, so concurrent webhooks queue on the timeout instead of failing.
    """
    full = async_url(url)
    if not full.startswith("sqlite"):
        return create_async_engine(
            full, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
        )
    kwargs: dict[str, Any] = {"connect_args": {"timeout": sqlite_busy_timeout_ms / 1000}}
    if ":memory:" in full or make_url(full).database in (None, ""):
        raise ValueError("use a SQLite file, not an in-memory database")
    engine = create_async_engine(full, hide_parameters=True, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers need no lock in WAL mode: only writers queue on the write lock.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
