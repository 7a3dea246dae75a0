"""The web dashboard: server-rendered pages under ``/ui``, static assets under ``/ui/static``.

Every page reads and writes through the same services as the REST API. Pages need a
signed-in account (:mod:`hotline.web.ui.sessions`); every form and script request carries a
CSRF token.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hotline.web.ui import auth_pages, directory, hotline, incidents, live, metrics, softphone
from hotline.web.ui.render import HERE, page
from hotline.web.ui.sessions import CsrfRejected, Forbidden, LoginRequired


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    """Mount the dashboard's routes, static files and error pages on ``app``."""
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.include_router(auth_pages.router)
    app.include_router(live.router)  # before /ui/incidents/{id}: it owns /ui/incidents/events
    app.include_router(live.hotline_router)
    app.include_router(incidents.router)
    app.include_router(directory.router)
    app.include_router(hotline.router)
    app.include_router(metrics.router)
    app.include_router(metrics.prometheus)
    app.include_router(softphone.router)

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/ui/incidents", status_code=303)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/ui/login?next={_quote(target)}", status_code=303)
        body = {"error": {"code": "unauthorized", "message": "log in first"}}
        return JSONResponse(body, status_code=401)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return await page(request, "error.html", status_code=403, message=str(exc))

    @app.exception_handler(softphone.SimulatorUnavailable)
    async def _no_simulator(request: Request, exc: softphone.SimulatorUnavailable) -> Response:
        return JSONResponse({"error": {"code": "unavailable", "message": str(exc)}}, 503)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        message = f"{exc}: reload the page and try again (nothing was changed)"
        return await page(request, "error.html", status_code=403, message=message)


def _quote(path: str) -> str:
    return quote(path, safe="/")
