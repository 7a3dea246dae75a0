"""Jinja2 rendering for the dashboard: one environment, autoescaped, templates in the package."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hotline.bootstrap import Container
from hotline.domain.incidents import SEVERITY_NAMES
from hotline.services.accounts import Role
from hotline.web.ui import sessions

HERE = Path(__file__).parent
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def age(then: datetime | None, now: datetime) -> str:
    """A short, human age: ``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    if then is None:
        return ""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def stamp(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""


def seconds(value: float | None) -> str:
    """A duration in seconds as ``1 min 5 s`` (empty for None)."""
    if value is None:
        return ""
    whole = round(value)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


_env.filters["stamp"] = stamp
_env.filters["seconds"] = seconds
_env.globals["SEVERITY_NAMES"] = SEVERITY_NAMES


# Everything is served from here: no inline script, no CDN, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


def fragment(name: str, **context: Any) -> str:
    """A template rendered on its own (for live updates)."""
    return _env.get_template(name).render(**context)


async def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A full page: adds the signed-in account, the CSRF token and the navigation."""
    container: Container = request.app.state.container
    account = await sessions.current_account(request)
    signer: sessions.Signer = request.state.signer
    now = container.clock.now()
    html = _env.get_template(name).render(
        request=request,
        account=account,
        can_act=account is not None and account.role.allows(Role.RESPONDER),
        csrf_token=signer.csrf_token(sessions.csrf_nonce(request)),
        softphone=container.settings.carrier == "simulator",
        now=now,
        age=lambda then: age(then, now),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    sessions.set_cookies(request, response)
    return response
