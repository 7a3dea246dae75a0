"""Intake limit: at most N changing API requests run at once; the others wait their turn.

A burst of new incidents (an alert storm, a script) would otherwise share the server with
the calls already under way, and every page-out would slow down with it: each webhook and
job gets a smaller slice of the event loop (and, on SQLite, a longer queue for the write
lock) the more requests run. Letting in a few at a time keeps calls moving at the speed of
a quiet server; new requests wait first-come first-served. Carrier webhooks (``/voice``),
reads, and acknowledging or resolving an incident (which stops calls) are never held back.

An admitted request also lets the carrier webhooks in flight finish first, for at most
``quiet_wait`` (25 ms), holding its slot meanwhile: calls under way go first, at a bounded
cost. While webhooks never stop (a server busy with calls) each slot thus admits at most
one request per 25 ms plus the request's own time; when they pause, at once. On SQLite
the admitted request also queues last for the write lock (``adapters.db.write_queue``).
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.adapters.db.write_queue import intake
from hotline.adapters.loop_local import PerLoop

PREFIXES = ("/api/", "/integrations/")
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STOPPING = ("/acknowledge", "/resolve")  # they end calls: never held back behind new work
WEBHOOKS = "/voice/"
# How long an admitted request waits for the carrier webhooks in flight to finish before it
# starts anyway: long enough for a webhook (a few ms), short enough that intake never stalls.
QUIET_WAIT = 0.025


class _Webhooks:
    """The carrier webhooks in flight on one event loop; ``quiet`` is set when none are."""

    def __init__(self) -> None:
        self.count = 0
        self.quiet = asyncio.Event()
        self.quiet.set()


class IntakeLimit:
    """ASGI middleware admitting ``limit`` changing API requests at a time (FIFO), each
    once no carrier webhook is in flight or ``quiet_wait`` seconds have passed."""

    def __init__(self, app: ASGIApp, limit: int, *, quiet_wait: float = QUIET_WAIT) -> None:
        if limit < 1:
            raise ValueError("the intake limit is at least 1")
        self.app = app
        self.limit = limit
        self.quiet_wait = quiet_wait
        self._gates = PerLoop(lambda: asyncio.Semaphore(limit))
        self._webhooks = PerLoop(_Webhooks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(WEBHOOKS):
            await self._webhook(scope, receive, send)
            return
        if (
            scope["type"] != "http"
            or scope["method"] not in CHANGING
            or not scope["path"].startswith(PREFIXES)
            or scope["path"].rstrip("/").endswith(STOPPING)
        ):
            await self.app(scope, receive, send)
            return
        async with self._gates.get():
            # Calls under way first: a webhook in flight (a key pressed, a call over) gets
            # the loop to itself before the next new request starts.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._webhooks.get().quiet.wait(), self.quiet_wait)
            token = intake.set(True)  # and on SQLite, its writes wait for the others'
            try:
                await self.app(scope, receive, send)
            finally:
                intake.reset(token)

    async def _webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        webhooks = self._webhooks.get()
        webhooks.count += 1
        webhooks.quiet.clear()
        try:
            await self.app(scope, receive, send)
        finally:
            webhooks.count -= 1
            if not webhooks.count:
                webhooks.quiet.set()
