"""xMatters: POST a call-in event to an inbound HTTP trigger (the "Initiate by Phone"
workflow, or any flow reading the same fields).

The trigger URL authenticates the request itself (xMatters puts an ``apiKey`` in its query),
so the URL is a secret: it is never logged, never put in an exception message and never
shown by ``repr``. The request body is built by
:mod:`hotline.services.xmatters_forward` from a whitelist; this module sends it as given.

Errors are :class:`XMattersError`: retryable on network errors, timeouts, HTTP 5xx, 408, 425
and 429; anything else (a 4xx: wrong key, deleted trigger, rejected payload; or a redirect)
would fail the same way again, so it is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

_RETRYABLE_STATUS = {408, 425, 429}


class XMattersError(Exception):
    """The trigger did not accept the event; ``retryable`` tells the job worker whether
    trying again later may help. The message never contains the trigger URL."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class XMattersTrigger:
    """One xMatters inbound HTTP trigger. ``http`` belongs to the caller, who closes it."""

    def __init__(self, url: str, http: httpx.AsyncClient, timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the xMatters trigger URL must be an http(s) URL")
        self._url = url
        self._http = http
        self._timeout = timeout

    def __repr__(self) -> str:
        return "XMattersTrigger(<trigger URL hidden>)"

    async def send(self, payload: Mapping[str, Any]) -> str:
        """POST ``payload`` as JSON; xMatters' ``requestId`` ("" when it gave none).

        Raises :class:`XMattersError` when the trigger does not answer 2xx.
        """
        try:
            response = await self._http.post(
                self._url,
                json=dict(payload),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as error:
            # Only the exception's type: its text may quote the URL, and with it the key.
            raise XMattersError(
                f"xMatters trigger: timed out ({type(error).__name__})", retryable=True
            ) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            raise XMattersError(
                f"xMatters trigger: unusable URL ({type(error).__name__})", retryable=False
            ) from None
        except httpx.TransportError as error:
            raise XMattersError(
                f"xMatters trigger: connection failed ({type(error).__name__})", retryable=True
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return _request_id(response)
        retryable = status >= 500 or status in _RETRYABLE_STATUS
        raise XMattersError(f"xMatters trigger: HTTP {status}", retryable=retryable, status=status)


def _request_id(response: httpx.Response) -> str:
    """``{"requestId": "..."}`` from a 2xx answer; "" if the body is anything else."""
    try:
        body = response.json()
    except ValueError:
        return ""
    value = body.get("requestId") if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""
