"""The ASGI application factory; resources live in lifespan state, nothing at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

import hotline
from hotline.bootstrap import Container, build
from hotline.settings import Settings, load_settings
from hotline.web import errors
from hotline.web.api import directory


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app. With a ``container``, the caller owns it (tests); otherwise the app
    builds one from ``settings`` at start-up and closes it at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = container is None
        app.state.container = container or build(settings or load_settings())
        try:
            await app.state.container.check_schema()
            yield
        finally:
            if own:
                await app.state.container.close()

    app = FastAPI(
        title="Hotline",
        version=hotline.__version__,
        description="Phone-first incident escalation: page-out ladder and call-in hotline.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(directory.router)

    @app.get("/healthz", tags=["health"], summary="Liveness and database check (no auth)")
    async def healthz() -> JSONResponse:
        try:
            await app.state.container.ping()
        except Exception:
            errors.log.warning("health check: database unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "version": hotline.__version__})

    return app
