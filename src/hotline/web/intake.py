"""Intake limit: at most N changing API requests run at once; the others wait their turn.

A burst of new incidents (an alert storm, a script) would otherwise share the server with
the calls already under way, and every page-out would slow down with it: each webhook and
job gets a smaller slice of the event loop (and, on SQLite, a longer queue for the write
lock) the more requests run. Letting in a few at a time keeps calls moving at the speed of
a quiet server; new requests wait first-come first-served, and their total throughput is
the same. Carrier webhooks (``/voice``), reads, and acknowledging or resolving an incident
(which stops calls) are never held back. On SQLite, the
admitted request also queues last for the write lock (``adapters.db.write_queue``).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.adapters.db.write_queue import intake
from hotline.adapters.loop_local import PerLoop

PREFIXES = ("/api/", "/integrations/")
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STOPPING = ("/acknowledge", "/resolve")  # they end calls: never held back behind new work


class IntakeLimit:
    """ASGI middleware admitting ``limit`` changing API requests at a time (FIFO)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError("the intake limit is at least 1")
        self.app = app
        self.limit = limit
        self._gates = PerLoop(lambda: asyncio.Semaphore(limit))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in CHANGING
            or not scope["path"].startswith(PREFIXES)
            or scope["path"].rstrip("/").endswith(STOPPING)
        ):
            await self.app(scope, receive, send)
            return
        async with self._gates.get():
            token = intake.set(True)  # and on SQLite, its writes wait for the others'
            try:
                await self.app(scope, receive, send)
            finally:
                intake.reset(token)
