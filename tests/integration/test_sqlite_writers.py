"""SQLite writers of one process queue for the write lock first come, first served (intake
last), and the lock is handed over when a transaction ends, not when SQLite's busy handler
next wakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.adapters.db.engine import READ_ONLY, create_engine
from hotline.adapters.db.write_queue import intake

WAIT = 30  # seconds: generous, for a busy machine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = create_engine(f"sqlite:///{tmp_path / 'w.db'}", sqlite_busy_timeout_ms=1_000)
    async with made.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    try:
        yield made
    finally:
        await made.dispose()


async def insert(engine: AsyncEngine, n: int) -> None:
    """One row, in a write transaction of its own."""
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})


async def hold_the_write_lock(engine: AsyncEngine, release: asyncio.Event) -> None:
    """A writer that keeps its transaction (and the write lock) open until released."""
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (1)"))
        await release.wait()


async def test_writers_get_the_lock_in_the_order_they_asked(engine: AsyncEngine) -> None:
    order: list[int] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (0)"))
            await release.wait()

    async def writer(n: int) -> None:
        async with engine.begin() as conn:
            order.append(n)
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})

    first = asyncio.create_task(holder())
    await asyncio.sleep(0.1)
    waiting = []
    for n in range(1, 6):
        waiting.append(asyncio.create_task(writer(n)))
        await asyncio.sleep(0.02)  # each asks after the one before
    release.set()
    await asyncio.wait_for(asyncio.gather(first, *waiting), WAIT)
    assert order == [1, 2, 3, 4, 5]
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 6


async def test_a_reader_does_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    release = asyncio.Event()

    task = asyncio.create_task(hold_the_write_lock(engine, release))
    await asyncio.sleep(0.1)
    async with engine.connect() as conn:
        conn = await conn.execution_options(**{READ_ONLY: True})
        async with conn.begin():
            seen = (await conn.execute(text("SELECT count(*) FROM t"))).scalar()
    assert seen == 0  # the writer has not committed
    release.set()
    await asyncio.wait_for(task, WAIT)


async def test_a_writer_waiting_past_the_busy_timeout_is_told_the_database_is_locked(
    engine: AsyncEngine,
) -> None:
    release = asyncio.Event()

    task = asyncio.create_task(hold_the_write_lock(engine, release))
    await asyncio.sleep(0.1)
    with pytest.raises(OperationalError, match="database is locked"):
        await insert(engine, 2)
    release.set()
    await asyncio.wait_for(task, WAIT)
    await insert(engine, 3)  # the lock was not lost on the way
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all()
    assert rows == [1, 3]


async def test_one_connection_may_run_several_transactions(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        for n in range(3):
            async with conn.begin():
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    async with engine.begin() as conn:  # and then the lock is free for others
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_a_failed_transaction_lets_the_next_writer_in(engine: AsyncEngine) -> None:
    with pytest.raises(OperationalError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO missing VALUES (1)"))
    async with asyncio.timeout(WAIT), engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (1)"))


async def test_intake_writers_wait_until_no_other_writer_waits(engine: AsyncEngine) -> None:
    order: list[str] = []
    release = asyncio.Event()

    async def writer(name: str, new_work: bool) -> None:
        if new_work:
            intake.set(True)  # as hotline.web.intake marks an API request's task
        async with engine.begin() as conn:
            order.append(name)
            await conn.execute(text("INSERT INTO t VALUES (2)"))

    holder = asyncio.create_task(hold_the_write_lock(engine, release))
    await asyncio.sleep(0.1)
    waiting = []
    for name, new_work in (("api 1", True), ("webhook 1", False), ("api 2", True), ("job", False)):
        waiting.append(asyncio.create_task(writer(name, new_work)))
        await asyncio.sleep(0.02)
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, *waiting), WAIT)
    assert order == ["webhook 1", "job", "api 1", "api 2"]


async def test_a_writer_cancelled_while_waiting_leaves_the_lock_to_the_others(
    engine: AsyncEngine,
) -> None:
    release = asyncio.Event()
    holder = asyncio.create_task(hold_the_write_lock(engine, release))
    await asyncio.sleep(0.1)

    doomed = asyncio.create_task(insert(engine, 2))
    await asyncio.sleep(0.05)
    doomed.cancel()
    release.set()
    await asyncio.wait_for(holder, WAIT)
    async with asyncio.timeout(WAIT), engine.begin() as conn:  # the lock is free again
        await conn.execute(text("INSERT INTO t VALUES (3)"))
    # its cancellation may still be unwinding (a busy machine): let it end before looking
    await asyncio.wait_for(asyncio.gather(doomed, return_exceptions=True), WAIT)
    assert doomed.cancelled()


async def test_the_lock_is_free_once_a_transaction_ends_though_its_connection_stays_out(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        async with conn.begin():
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with asyncio.timeout(WAIT), engine.begin() as other:  # conn is still out
            await other.execute(text("INSERT INTO t VALUES (2)"))
        async with conn.begin():  # and conn may write again afterwards
            await conn.execute(text("INSERT INTO t VALUES (3)"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3
