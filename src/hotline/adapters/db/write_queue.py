"""The SQLite write lock, queued inside this process: calls under way first, then intake.

Without it, writers that find the database locked wait in SQLite's busy handler, which
sleeps in growing steps (up to 100 ms) and may wake long after the lock was free: under
load, most of a webhook's time was spent asleep there. Waiting here instead hands the lock
over the moment the previous writer's transaction ends. Other processes (the CLI) still
meet SQLite's busy timeout.

Two queues, each first come first served: a task marked :data:`intake` (a new API request,
see ``hotline.web.intake``) gets the lock only when no other writer waits, so a burst of new
incidents never stands between a carrier's webhook and the next call of a page-out. Intake
that has waited :data:`OVERDUE` goes next all the same: it is held back, never starved.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from contextvars import ContextVar

from sqlalchemy.exc import OperationalError

from hotline.adapters.loop_local import PerLoop

# Set for the task of an API request that starts something new: its writes wait last.
intake: ContextVar[bool] = ContextVar("hotline_intake_writer", default=False)
OVERDUE = 1.0  # seconds an intake writer waits at most behind writers that came later

Waiter = tuple[asyncio.Future[None], float]  # and when it asked (time.monotonic)


class WriteLock:
    """A lock handed straight from one holder to the next waiter; two priorities."""

    def __init__(self) -> None:
        self.held = False
        self._first: deque[Waiter] = deque()
        self._last: deque[Waiter] = deque()

    async def acquire(self, patience: float, *, last: bool) -> None:
        """Wait (at most ``patience`` seconds) for the lock; ``last``: behind every writer
        that is not."""
        if not self.held and not self._first and not self._last:
            self.held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._last if last else self._first
        entry = (waiter, time.monotonic())
        queue.append(entry)
        try:
            await asyncio.wait_for(waiter, patience)
        except BaseException as error:  # timed out or cancelled: leave the queue
            if waiter.done() and not waiter.cancelled():
                self.release()  # it was handed to us just as we gave up: pass it on
            elif entry in queue:
                queue.remove(entry)
            if isinstance(error, TimeoutError):
                locked = sqlite3.OperationalError("database is locked")
                raise OperationalError("BEGIN IMMEDIATE", None, locked) from None
            raise

    def release(self) -> None:
        """Hand the lock to the first live waiter (calls under way, then intake, unless the
        oldest intake is overdue), or free it."""
        overdue = bool(self._last) and time.monotonic() - self._last[0][1] >= OVERDUE
        for queue in (self._last, self._first) if overdue else (self._first, self._last):
            while queue:
                waiter, _ = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # it holds the lock now: ``held`` stays true
                    return
        self.held = False


class WriterQueue:
    """One :class:`WriteLock` per event loop (tests run several loops one after another)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._locks = PerLoop(WriteLock)

    def lock(self) -> WriteLock:
        return self._locks.get()

    async def acquire(self) -> WriteLock:
        """Wait for the write lock (``OperationalError`` "database is locked" after the busy
        timeout, as SQLite itself would say)."""
        lock = self.lock()
        await lock.acquire(self.timeout, last=intake.get())
        return lock
