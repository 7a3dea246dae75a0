"""The simulator's ASGI application: REST API + test API behind HTTP Basic auth.

Routes are relative, so the app works mounted under any prefix. Errors use Twilio's
legacy JSON shape ``{code, message, more_info, status}`` (spec §3.6): 401/20003 for bad or
missing credentials, 404/20404 for unknown resources, 405/20004 for unsupported methods.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine


class TwilioError(Exception):
    """An API error to answer with Twilio's JSON error body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


class BasicAuth:
    """Refuses requests without the account SID and auth token; remembers the base URL
    requests arrive at (for recording URLs when no public URL was configured)."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self._expected = f"{engine.account_sid}:{engine.auth_token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not self._authorized(request.headers.get("authorization", "")):
            message = "Authentication Error - invalid username or password"
            await error_response(401, 20003, message)(scope, receive, send)
            return
        if self.engine.seen_base_url is None:
            root = scope.get("root_path", "")
            self.engine.seen_base_url = f"{request.url.scheme}://{request.url.netloc}{root}"
        await self.app(scope, receive, send)

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except binascii.Error:
            return False
        return hmac.compare_digest(given, self._expected)


async def _twilio_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TwilioError)
    return error_response(exc.status, exc.code, exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(405, 20004, "Method not allowed")
    message = f"The requested resource {request.url.path} was not found"
    return error_response(exc.status_code, 20404 if exc.status_code == 404 else 20001, message)


def build_app(engine: Engine, routes: Iterable[BaseRoute]) -> ASGIApp:
    app = Starlette(
        routes=list(routes),
        exception_handlers={TwilioError: _twilio_error, HTTPException: _http_error},
    )
    return BasicAuth(app, engine)
