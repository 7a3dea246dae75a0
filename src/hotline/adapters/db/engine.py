"""Async engines for SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

from hotline.adapters.db.write_queue import WriteLock, WriterQueue

READ_ONLY = "hotline_read_only"  # execution option: this transaction will not write


def _then_release(
    step: Callable[[Any], None], release: Callable[[Any], None]
) -> Callable[[Any], None]:
    def wrapped(dbapi_connection: Any) -> None:
        try:
            step(dbapi_connection)
        finally:
            release(dbapi_connection)

    return wrapped


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
    # Writers hold a connection while they queue for the lock: enough are left for readers.
    engine = create_async_engine(
        full, hide_parameters=True, pool_size=20, max_overflow=40, **kwargs
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    writers = WriterQueue(sqlite_busy_timeout_ms / 1000)
    holders: dict[int, WriteLock] = {}  # id() of a DBAPI connection -> the lock it holds

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers need no lock in WAL mode: only writers queue on the write lock.
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        holders[id(dbapi_connection)] = await_only(writers.acquire())
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(dbapi_connection)
            raise

    def _release(connection: Any, *_: Any) -> None:
        # the dialect gets the pool's proxy, pool events the DBAPI connection itself
        lock = holders.pop(id(getattr(connection, "dbapi_connection", connection)), None)
        if lock is not None and lock.held:
            lock.release()

    # The lock is let go once the transaction's COMMIT or ROLLBACK has finished (so the next
    # writer's BEGIN IMMEDIATE never meets a busy file), or when its connection is closed,
    # invalidated or detached from the pool, whichever comes first. SQLAlchemy has no event
    # after a commit, so the dialect's own commit and rollback of this engine are wrapped.
    dialect = engine.sync_engine.dialect
    for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
        setattr(dialect, name, _then_release(getattr(dialect, name), _release))
    for name in ("invalidate", "detach"):
        event.listen(engine.sync_engine.pool, name, _release)

    return engine
