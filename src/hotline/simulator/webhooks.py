"""Signed HTTP requests to the application, the way Twilio makes them (spec §1.1, §4, §5).

One shared ``httpx.AsyncClient`` serves every call. Each request:

* strips the URL fragment and reads Twilio's connection overrides from it
  (``ct``, ``rt``, ``tt`` in ms, ``rc`` retries, ``rp`` retry policy; §5.2);
* sends the parameters form-encoded (POST) or appended after the URL's own query (GET);
* carries ``X-Twilio-Signature`` computed with twilio-python's ``RequestValidator`` over the
  exact URL requested (and the POST parameters);
* is limited to 15 s in all (real seconds, never scaled), follows up to 10 redirects,
  and sends back the cookies the application set earlier in the same call.

At most ``max_connections`` requests are in flight; others wait for a slot first (that
wait is the simulator's, so it counts neither toward the 15 s nor in ``Exchange.seconds``).

The outcome, success or failure, is an ``Exchange``: what was sent and what came back.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import certifi
import httpx
from twilio.request_validator import RequestValidator

TOTAL_LIMIT = 15.0  # seconds, Twilio's whole-response limit
CONNECTION_FAILURE = 11205
RETRIEVAL_FAILURE = 11200
TOO_MANY_REDIRECTS = 11215
BODY_LOG_LIMIT = 65536
_RANGES = {"ct": (100, 10000), "rt": (100, 15000), "tt": (100, 15000), "rc": (0, 5)}
_POLICIES = {"4xx", "5xx", "ct", "rt", "all"}


@dataclass
class Exchange:
    """One request and its response (``status`` None when no response came)."""

    purpose: str
    method: str
    url: str
    params: dict[str, str]
    status: int | None = None
    content: bytes = b""
    content_type: str = ""
    seconds: float = 0.0
    error: str | None = None
    error_code: int | None = None
    attempts: int = 1

    @property
    def body(self) -> str:
        text = self.content.decode("utf-8", errors="replace")
        return text if len(text) <= BODY_LOG_LIMIT else text[:BODY_LOG_LIMIT] + "…"

    def record(self) -> dict[str, Any]:
        """The call-log entry fields for this exchange."""
        entry: dict[str, Any] = {
            "purpose": self.purpose,
            "method": self.method,
            "url": self.url,
            "params": self.params,
            "status": self.status,
            "content_type": self.content_type,
            "body": self.body,
            "ms": round(self.seconds * 1000, 1),
        }
        if self.error:
            entry["error"] = self.error
            entry["error_code"] = self.error_code
        if self.attempts > 1:
            entry["attempts"] = self.attempts
        return entry


@dataclass(frozen=True)
class Overrides:
    """Connection overrides from a URL fragment (seconds; Twilio's defaults)."""

    connect: float = 5.0
    read: float = 15.0
    total: float = TOTAL_LIMIT
    retries: int = 1
    policy: frozenset[str] = field(default_factory=lambda: frozenset({"ct", "rt"}))

    @classmethod
    def parse(cls, fragment: str) -> Overrides:
        """Read ``ct=…&rt=…``; ``ValueError`` for a value out of range or unknown policy."""
        values: dict[str, Any] = {}
        for key, value in parse_qsl(fragment, keep_blank_values=True):
            if key in _RANGES:
                low, high = _RANGES[key]
                if not value.isdigit() or not low <= int(value) <= high:
                    raise ValueError(f"connection override {key}={value!r} is invalid")
                number = int(value)
                names = {"ct": "connect", "rt": "read", "tt": "total", "rc": "retries"}
                values[names[key]] = number if key == "rc" else number / 1000
            elif key == "rp":
                policy = frozenset(part.strip() for part in value.split(","))
                if not policy <= _POLICIES:
                    raise ValueError("HTTP retry policy is invalid")
                values["policy"] = policy
        return cls(**values)

    def retry(self, failure: str) -> bool:
        return "all" in self.policy or failure in self.policy


def split_fragment(url: str) -> tuple[str, str]:
    """``(url without #fragment, fragment)``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment="")), parts.fragment


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process (building one costs a tenth of a second)."""
    return ssl.create_default_context(cafile=certifi.where())


def private_cookie_jar() -> CookieJar:
    """A jar that keeps nothing: cookies are kept per call, never across calls."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class Webhooks:
    """The simulator's HTTP client towards applications; ``start`` before use."""

    def __init__(self, auth_token: str, *, max_connections: int = 16) -> None:
        self._validator = RequestValidator(auth_token)
        self._max_connections = max_connections
        # requests wait for a connection here, not in httpcore's pool (whose bookkeeping
        # costs grow with its queue and its size: few connections serve loopback best)
        # and not inside Twilio's time limit
        self._slots = asyncio.Semaphore(max_connections)
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        limits = httpx.Limits(
            max_connections=self._max_connections,
            max_keepalive_connections=self._max_connections,
        )
        self._client = httpx.AsyncClient(
            verify=tls_context(),
            limits=limits,
            follow_redirects=True,
            max_redirects=10,
            cookies=private_cookie_jar(),
            headers={"User-Agent": "TwilioProxy/1.1", "Accept": "*/*"},
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def sign(self, url: str, params: dict[str, str]) -> str:
        """``X-Twilio-Signature`` for a request to ``url`` with POST ``params``."""
        return str(self._validator.compute_signature(url, params))

    async def send(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        *,
        purpose: str,
        cookies: httpx.Cookies | None = None,
    ) -> Exchange:
        """Make the request (with retries per the overrides); never raises for HTTP."""
        if self._client is None:
            raise RuntimeError("the simulator is not started")
        method = method.upper()
        params = dict(sorted(params.items()))
        target, fragment = split_fragment(url)
        exchange = Exchange(purpose, method, target, params)
        try:
            overrides = Overrides.parse(fragment)
        except ValueError as error:
            exchange.error, exchange.error_code = str(error), RETRIEVAL_FAILURE
            return exchange
        async with self._slots:
            started = time.monotonic()
            try:
                async with asyncio.timeout(min(overrides.total, TOTAL_LIMIT)):
                    await self._attempts(exchange, overrides, cookies)
            except TimeoutError:
                exchange.error = "no complete response within the time limit"
                exchange.error_code = CONNECTION_FAILURE
            exchange.seconds = time.monotonic() - started
        return exchange

    async def _attempts(
        self, exchange: Exchange, overrides: Overrides, cookies: httpx.Cookies | None
    ) -> None:
        assert self._client is not None
        timeout = httpx.Timeout(
            connect=overrides.connect, read=overrides.read, write=overrides.read, pool=None
        )
        for attempt in range(overrides.retries + 1):
            exchange.attempts = attempt + 1
            request = self._request(exchange, timeout)
            if cookies is not None:
                cookies.set_cookie_header(request)
            try:
                response = await self._client.send(request)
            except httpx.ConnectError as error:
                failure, exchange.error = "ct", f"connection failed: {error}"
                exchange.error_code = CONNECTION_FAILURE
            except httpx.TimeoutException as error:
                failure, exchange.error = "rt", f"timed out: {type(error).__name__}"
                exchange.error_code = CONNECTION_FAILURE
            except httpx.TooManyRedirects:
                exchange.error, exchange.error_code = "too many redirects", TOO_MANY_REDIRECTS
                return
            except httpx.HTTPError as error:
                exchange.error = f"{type(error).__name__}: {error}"
                exchange.error_code = RETRIEVAL_FAILURE
                return
            else:
                if cookies is not None:
                    for hop in [*response.history, response]:
                        cookies.extract_cookies(hop)
                exchange.status = response.status_code
                exchange.content = response.content
                exchange.content_type = response.headers.get("content-type", "")
                exchange.error = exchange.error_code = None
                failure = f"{response.status_code // 100}xx"
                if response.status_code < 400:
                    return
            if not overrides.retry(failure):
                return

    def _request(self, exchange: Exchange, timeout: httpx.Timeout) -> httpx.Request:
        assert self._client is not None
        headers = {"I-Twilio-Idempotency-Token": str(uuid.uuid4())}
        if exchange.method == "GET":
            query = urlencode(exchange.params)
            url = exchange.url
            if query:
                separator = "&" if urlsplit(url).query else "" if url.endswith("?") else "?"
                url += separator + query
            request = self._client.build_request("GET", url, headers=headers, timeout=timeout)
            request.headers["X-Twilio-Signature"] = self.sign(str(request.url), {})
        else:
            request = self._client.build_request(
                exchange.method,
                exchange.url,
                data=exchange.params,
                headers=headers,
                timeout=timeout,
            )
            request.headers["X-Twilio-Signature"] = self.sign(str(request.url), exchange.params)
        return request
