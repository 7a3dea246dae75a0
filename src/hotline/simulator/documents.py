"""Fetching TwiML documents and the application-error path (spec §1.1, §1.13, §2.3, §5).

``load`` requests a document for a call, turns the response into verbs according to its
Content-Type, and on failure tries the call's fallback URL (with ``ErrorCode`` and
``ErrorUrl``). Anything that still fails raises ``AppError``; ``application_error`` is
what the caller then hears before the carrier hangs up. Every failure is logged with the
offending response body or document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from hotline.simulator.records import Call
from hotline.simulator.speech import say
from hotline.simulator.twiml import Node, TwiMLError, parse
from hotline.simulator.webhooks import RETRIEVAL_FAILURE, Exchange, split_fragment

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

APPLICATION_ERROR_TEXT = "We are sorry, an application error has occurred. Goodbye."
INVALID_URL = 11100
HTTP_ERROR_STATUS = 11217  # spec §5.1: "HTTP 4xx/5xx from your app"
INVALID_CONTENT_TYPE = 12300
_TWIML_TYPES = {"text/xml", "application/xml", "text/html"}


class AppError(Exception):
    """The application's TwiML cannot be used; ``code`` is Twilio's error code."""

    def __init__(self, code: int, message: str, *, url: str | None = None, body: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.url = url
        self.body = body
        self.logged = False


@dataclass(frozen=True)
class Document:
    """Verbs and the URL they came from (without fragment; None for REST ``Twiml``)."""

    url: str | None
    verbs: tuple[Node, ...]


def resolve(base: str | None, target: str) -> str:
    """``target`` made absolute against the document URL ``base`` (RFC 3986)."""
    target = target.strip()
    absolute = urljoin(base or "", target)
    if urlsplit(absolute).scheme not in ("http", "https") or not urlsplit(absolute).netloc:
        where = "a document without URL (REST Twiml)" if base is None else base
        raise AppError(INVALID_URL, f"URL {target!r} cannot be resolved against {where}")
    return absolute


def from_twiml(call: Call, text: str) -> Document:
    """The document of a REST ``Twiml`` parameter (a failure is logged on ``call``)."""
    try:
        return Document(None, parse(text))
    except TwiMLError as twiml_error:
        error = AppError(twiml_error.code, twiml_error.message, body=text)
        log_error(call, error)
        raise error from None


def document_of(exchange: Exchange) -> Document:
    """Interpret a response by status and Content-Type, or raise ``AppError``."""
    url = exchange.url
    if exchange.status is None:
        code = exchange.error_code or RETRIEVAL_FAILURE
        raise AppError(code, exchange.error or "no response", url=url)
    if exchange.status >= 400:
        message = f"HTTP {exchange.status} from the application"
        raise AppError(HTTP_ERROR_STATUS, message, url=url, body=exchange.body)
    kind = exchange.content_type.split(";")[0].strip().lower()
    if kind.startswith("audio/"):
        return Document(url, (Node("Play", {}, url),))
    if kind in _TWIML_TYPES or kind.endswith("+xml") or kind == "text/plain":
        try:
            return Document(url, parse(exchange.content))
        except TwiMLError as error:
            if kind == "text/plain":  # read aloud, then hang up
                return Document(url, (Node("Say", {}, exchange.body.strip()),))
            raise AppError(error.code, error.message, url=url, body=exchange.body) from None
    if not kind:
        raise AppError(RETRIEVAL_FAILURE, "no Content-Type", url=url, body=exchange.body)
    message = f"Content-Type {kind!r} is neither TwiML nor audio"
    raise AppError(INVALID_CONTENT_TYPE, message, url=url, body=exchange.body)


async def fetch(
    engine: Engine, call: Call, url: str, method: str, extra: dict[str, str], purpose: str
) -> Document:
    """One request for a document (no fallback); its HTTP time is unscaled."""
    params = {**engine.standard_params(call), **extra}
    exchange = await engine.webhooks.send(
        method, url, params, purpose=purpose, cookies=call.cookies
    )
    call.line.add_http(exchange.seconds)
    engine.log_exchange(call, exchange)
    document = document_of(exchange)
    return Document(split_fragment(url)[0], document.verbs)


async def load(
    engine: Engine,
    call: Call,
    url: str,
    method: str = "POST",
    extra: dict[str, str] | None = None,
    *,
    purpose: str,
) -> Document:
    """Fetch a document for ``call``; on failure its fallback URL, then ``AppError``."""
    extra = extra or {}
    try:
        return await fetch(engine, call, url, method, extra, purpose)
    except AppError as error:
        log_error(call, error)
        if not call.fallback_url or url == call.fallback_url:
            raise
        failed = {**extra, "ErrorCode": str(error.code), "ErrorUrl": url}
        try:
            return await fetch(
                engine, call, call.fallback_url, call.fallback_method, failed, "fallback"
            )
        except AppError as fallback_error:
            log_error(call, fallback_error)
            raise


def log_error(call: Call, error: AppError) -> None:
    """Put ``error`` in the call log, once."""
    if error.logged:
        return
    error.logged = True
    call.note(
        "error",
        code=error.code,
        message=error.message,
        url=error.url,
        document=error.body,
    )


async def application_error(call: Call) -> None:
    """What the caller hears when no usable TwiML is left (the call then ends)."""
    await say(call, APPLICATION_ERROR_TEXT, source="carrier")
