"""One JSON error shape for every failure: ``{"error": {"code", "message", ...}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from hotline.adapters.twilio.twiml import render
from hotline.domain.errors import Conflict, DomainError, Invalid, NotFound
from hotline.domain.voice import Hangup, Say

log = logging.getLogger("hotline.web")

SORRY = "Sorry, something went wrong on our side. Please try again in a moment. Goodbye."

_STATUS = {NotFound: (404, "not_found"), Conflict: (409, "conflict"), Invalid: (422, "invalid")}
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
    422: "invalid",
    503: "unavailable",
}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if request.url.path.startswith("/voice/"):
            log.error("voice webhook %s failed: %s", request.url.path, exc)
            return Response(render([Say(SORRY), Hangup()]), media_type="text/xml")
        status, code = next(
            (v for k, v in _STATUS.items() if isinstance(exc, k)), (400, "bad_request")
        )
        extra = {"field": exc.field} if isinstance(exc, Invalid) and exc.field else {}
        return JSONResponse(error_body(code, str(exc), **extra), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Inputs are not echoed back: they may hold a PIN or a token.
        details = [
            {"loc": list(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "message": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        message = f"{where}: {first['message']}" if where else str(first["message"])
        return JSONResponse(error_body("invalid", message, details=details), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if request.url.path.startswith("/voice/"):
            # A caller never hears "application error": apologise and end the call politely.
            return Response(render([Say(SORRY), Hangup()]), media_type="text/xml")
        return JSONResponse(error_body("internal", "internal error"), status_code=500)
