"""The SQLite write lock's hand-off: calls under way first, intake last but never starved."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from hotline.adapters.db import write_queue
from hotline.adapters.db.write_queue import WriteLock


async def _writer(lock: WriteLock, order: list[str], name: str, *, last: bool) -> None:
    await lock.acquire(5, last=last)
    order.append(name)
    await asyncio.sleep(0.02)
    lock.release()


async def _queue(lock: WriteLock, order: list[str], *who: tuple[str, bool, float]) -> None:
    """Hold the lock while each writer asks in turn (after its pause), then let go."""
    await lock.acquire(5, last=False)
    tasks = []
    for name, last, pause in who:
        tasks.append(asyncio.create_task(_writer(lock, order, name, last=last)))
        await asyncio.sleep(pause)
    lock.release()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)


async def test_intake_waits_behind_writers_that_came_later() -> None:
    order: list[str] = []
    await _queue(
        WriteLock(), order, ("intake", True, 0.01), ("w1", False, 0.01), ("w2", False, 0.01)
    )
    assert order == ["w1", "w2", "intake"]


async def test_an_overdue_intake_writer_goes_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write_queue, "OVERDUE", 0.05)
    order: list[str] = []
    await _queue(
        WriteLock(), order, ("intake", True, 0.01), ("w1", False, 0.08), ("w2", False, 0.01)
    )
    assert order == ["intake", "w1", "w2"]


async def test_a_writer_out_of_patience_is_told_the_database_is_locked() -> None:
    lock = WriteLock()
    await lock.acquire(5, last=False)
    with pytest.raises(OperationalError, match="database is locked"):
        await lock.acquire(0.05, last=False)
    lock.release()
    assert not lock.held
    await asyncio.wait_for(lock.acquire(5, last=True), 1)  # nothing left behind in the queue
