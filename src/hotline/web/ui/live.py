"""Live updates by server-sent events.

State lives in the database, so a stream re-reads it (through the same services as the
pages) every ``POLL`` seconds and sends the re-rendered fragment whenever it changed: any
replica serves any browser, and nothing is lost when a process restarts. A stream ends after
``LIFETIME`` seconds (so a server can shut down); the browser's EventSource reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from hotline.domain.errors import NotFound
from hotline.services.accounts import Role
from hotline.web.ui import hotline, sessions
from hotline.web.ui.incidents import live_html, rows_live

router = APIRouter(prefix="/ui/incidents", include_in_schema=False)
hotline_router = APIRouter(prefix="/ui/hotline", include_in_schema=False)
POLL = 0.5
LIFETIME = 60.0


def _event(name: str, html: str) -> str:
    data = "\n".join("data: " + line for line in html.splitlines() or [""])
    return f"event: {name}\n{data}\n\n"


async def _stream(
    request: Request, name: str, render: Callable[[], Awaitable[tuple[str, str]]]
) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"
    last = None
    loop = asyncio.get_running_loop()
    ends = loop.time() + LIFETIME
    while loop.time() < ends:
        try:
            key, html = await render()
        except NotFound:
            yield _event("gone", json.dumps({"gone": True}))
            return
        if key != last:
            last = key
            yield _event(name, html)
        await asyncio.sleep(POLL)


def _sse(source: AsyncIterator[str]) -> StreamingResponse:
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(source, media_type="text/event-stream", headers=headers)


@router.get("/events", dependencies=[Depends(sessions.needs(Role.VIEWER))])
async def list_events(request: Request) -> StreamingResponse:
    """``event: rows`` with the incident table's new body whenever it changes."""
    return _sse(_stream(request, "rows", lambda: rows_live(request)))


@router.get("/{incident_id}/events", dependencies=[Depends(sessions.needs(Role.VIEWER))])
async def incident_events(request: Request, incident_id: int) -> StreamingResponse:
    """``event: incident`` with the status, attempts and timeline whenever they change."""
    return _sse(_stream(request, "incident", lambda: live_html(request, incident_id)))


@hotline_router.get("/events", dependencies=[Depends(sessions.needs(Role.VIEWER))])
async def hotline_events(request: Request) -> StreamingResponse:
    """``event: hotline`` with live calls, bridges and recent calls whenever they change."""
    return _sse(_stream(request, "hotline", lambda: hotline.live_html(request)))
