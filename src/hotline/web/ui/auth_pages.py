"""Log in and log out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.bootstrap import Container
from hotline.web.ui import sessions
from hotline.web.ui.render import page

router = APIRouter(prefix="/ui", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a local dashboard path may follow a login (no open redirect)."""
    if not target:
        return "/ui/incidents"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/ui/") or "\\" in target:
        return "/ui/incidents"
    return target


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    return await page(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", dependencies=[Depends(sessions.check_csrf)])
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=2000)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    container: Container = request.app.state.container
    account = await container.accounts.authenticate(username.strip(), password)
    if account is None:
        return await page(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            error="Wrong username or password.",
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    sessions.start_session(request, response, account)
    sessions.new_csrf(request)  # a fresh token for the signed-in session
    sessions.set_cookies(request, response)
    return response


@router.post("/logout", dependencies=[Depends(sessions.check_csrf)])
async def logout(request: Request) -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    sessions.end_session(response)
    sessions.new_csrf(request)
    sessions.set_cookies(request, response)
    return response
