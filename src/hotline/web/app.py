"""The ASGI application factory; resources open in the lifespan, nothing at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

import hotline
from hotline.bootstrap import Container, build
from hotline.settings import SIMULATOR_MOUNT, Settings, load_settings
from hotline.web import errors, recordings, ui
from hotline.web.api import bridges, directory, incidents, live_calls
from hotline.web.intake import IntakeLimit
from hotline.web.integrations import servicenow
from hotline.web.voice import bridge as voice_bridge
from hotline.web.voice import hold as voice_hold
from hotline.web.voice import hotline as voice_hotline
from hotline.web.voice import live_call as voice_live_call
from hotline.web.voice import page as voice_page
from hotline.web.voice import routes as voice_routes


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app around ``container`` (built from ``settings`` when not given).

    Building does no I/O. The lifespan checks the schema and starts background parts; a
    container built here is also closed at shutdown, a given one belongs to the caller.
    """
    own = container is None
    wired = container or build(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await wired.check_schema()
            await wired.start()
            yield
        finally:
            if own:
                await wired.close()

    app = FastAPI(
        title="Hotline",
        version=hotline.__version__,
        description="Phone-first incident escalation: page-out ladder and call-in hotline.",
        lifespan=lifespan,
    )
    app.state.container = wired
    app.add_middleware(IntakeLimit, limit=wired.settings.api_concurrency)
    errors.install(app)
    app.include_router(directory.router)
    app.include_router(incidents.router)
    app.include_router(live_calls.router)
    app.include_router(bridges.router)
    app.include_router(voice_bridge.router)  # ahead of the call-in menu's /voice/hotline/{step}
    app.include_router(voice_hold.router)
    app.include_router(voice_live_call.router)  # ahead of /voice/hotline/{step}
    app.include_router(voice_hotline.router)
    app.include_router(voice_routes.router)
    app.include_router(voice_page.router)
    app.include_router(servicenow.router)
    app.include_router(recordings.router)  # signed links to call-in recordings
    ui.install(app)  # the dashboard under /ui, /metrics
    if wired.simulator is not None:
        # Demo mode: the fake carrier answers in this same server, reached over HTTP through
        # TWILIO_API_BASE_URL's default, so demo and production share one code path.
        app.mount(SIMULATOR_MOUNT, wired.simulator.asgi)

    @app.get("/healthz", tags=["health"], summary="Liveness and database check (no auth)")
    async def healthz() -> JSONResponse:
        try:
            await wired.ping()
        except Exception:
            errors.log.warning("health check: database unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "version": hotline.__version__})

    return app
