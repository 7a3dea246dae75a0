"""An httpx transport for the official twilio SDK, so Hotline has one async HTTP stack."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

_log = logging.getLogger("hotline.twilio.http")


class HttpxTwilioClient(AsyncHttpClient):  # type: ignore[misc]
    """``twilio.http.AsyncHttpClient`` on a shared ``httpx.AsyncClient``.

    Requests and responses are not logged: form bodies can carry message text and numbers.
    """

    def __init__(self, client: httpx.AsyncClient, timeout: float = 10.0) -> None:
        super().__init__(_log, is_async=True, timeout=timeout)
        self._client = client

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK passes it)
        allow_redirects: bool = False,
    ) -> Response:
        response = await self._client.request(
            method.upper(),
            uri,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            follow_redirects=allow_redirects,
        )
        return Response(response.status_code, response.text, response.headers)

    async def download(self, uri: str, auth: tuple[str, str], limit: int) -> tuple[int, str, bytes]:
        """GET binary media (the SDK's responses are text): status, content type and at
        most ``limit + 1`` bytes of body. Redirects are followed; httpx drops the
        credentials when a redirect leaves the host."""
        async with self._client.stream(
            "GET", uri, auth=auth, timeout=self.timeout, follow_redirects=True
        ) as response:
            body = bytearray()
            if response.is_success:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        break
            return response.status_code, response.headers.get("content-type", ""), bytes(body)

    async def close(self) -> None:
        """The shared httpx client belongs to the composition root, which closes it."""
