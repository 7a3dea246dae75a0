"""Bitly: the :class:`hotline.ports.Shortener` port on Bitly's v4 API, and a no-op one.

``POST {api_url}`` with ``Authorization: Bearer {token}`` and ``{"long_url": url}``; Bitly
answers 200 (link already existed) or 201 (created) with ``{"link": "https://bit.ly/..."}``.

Shortening is a nicety, never a reason to lose a message: on any failure (network,
timeout, non-2xx, bad JSON, a missing or non-https ``link``) the long URL is returned and
a warning logged. The warning carries neither the token nor the long URL (a signed
recording link is itself a credential), only what went wrong.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

_log = logging.getLogger("hotline.bitly")

BITLY_API_URL = "https://api-ssl.bitly.com/v4/shorten"
_MAX_LINK = 2048


def _short_link(body: Any) -> str | None:
    """The ``link`` of a Bitly answer, if it is a plausible https URL."""
    if not isinstance(body, dict):
        return None
    link = body.get("link")
    if not isinstance(link, str) or not link or len(link) > _MAX_LINK:
        return None
    if not link.isascii() or not link.isprintable() or " " in link:
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None
    return link


class BitlyShortener:
    """Implements :class:`hotline.ports.Shortener` with Bitly. ``http`` belongs to the
    caller, who closes it. ``timeout`` bounds the whole request, in seconds."""

    def __init__(
        self,
        token: str,
        http: httpx.AsyncClient,
        api_url: str = BITLY_API_URL,
        timeout: float = 3.0,
    ) -> None:
        if not token:
            raise ValueError("the Bitly token is empty")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._token = token
        self._http = http
        self._api_url = api_url
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"BitlyShortener({self._api_url!r})"

    async def shorten(self, url: str) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.post(
                    self._api_url,
                    json={"long_url": url},
                    headers={
                        "Authorization": f"Bearer {self._token}",
                        "Accept": "application/json",
                    },
                    timeout=self._timeout,
                )
        except (TimeoutError, httpx.TimeoutException):
            _log.warning("Bitly did not answer within %ss; using the long URL", self._timeout)
            return url
        except httpx.HTTPError as error:
            # The type only: an httpx message may quote the request.
            _log.warning("Bitly request failed (%s); using the long URL", type(error).__name__)
            return url
        except Exception as error:
            _log.warning("Bitly request failed (%s); using the long URL", type(error).__name__)
            return url
        if not response.is_success:
            _log.warning("Bitly answered HTTP %d; using the long URL", response.status_code)
            return url
        try:
            body = response.json()
        except ValueError:
            _log.warning("Bitly answered with invalid JSON; using the long URL")
            return url
        link = _short_link(body)
        if link is None:
            _log.warning("Bitly's answer has no usable https link; using the long URL")
            return url
        return link


class NoShortener:
    """Implements :class:`hotline.ports.Shortener` by not shortening at all."""

    def __repr__(self) -> str:
        return "NoShortener()"

    async def shorten(self, url: str) -> str:
        return url
