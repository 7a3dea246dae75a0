"""Chores that keep the database tidy while Hotline serves (e.g. deleting old recordings).

Each chore is idempotent and works in its own transactions, so every replica may run them;
they run once at start (a restart after a long stop catches up at once) and then every
``every``. A failing chore is logged and tried again next time; it never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

log = logging.getLogger("hotline.housekeeping")

Chore = Callable[[], Awaitable[int]]  # returns how many things it cleaned up


class Housekeeping:
    def __init__(self, chores: Mapping[str, Chore], every: timedelta) -> None:
        self._chores = dict(chores)
        self._every = every.total_seconds()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self._chores:
            self._task = asyncio.create_task(self._loop(), name="hotline-housekeeping")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def run_once(self) -> dict[str, int]:
        """Every chore once; how many things each cleaned up (-1: it failed)."""
        done: dict[str, int] = {}
        for name, chore in self._chores.items():
            try:
                done[name] = await chore()
            except Exception:  # a chore must not end the loop; the next run tries again
                log.exception("housekeeping: %s failed", name)
                done[name] = -1
        return done

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self._every)
