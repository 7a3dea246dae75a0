"""ServiceNow: the :class:`hotline.ports.Tickets` port on the Table API, and the signature
check for the inbound business-rule webhook.

Outbound, one ``PATCH /api/now/table/incident/{sys_id}`` per update, carrying only the
fields that are set. Inbound, ``X-Hotline-Signature: sha256=<hex HMAC-SHA256 of the raw
body>`` keyed with ``SERVICENOW_WEBHOOK_SECRET`` (see ``integrations/servicenow/``).

Neither the password nor the request body (work notes name people) is ever logged or put in
an exception message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any

import httpx

from hotline.ports import TicketError, TicketUpdate

_log = logging.getLogger("hotline.servicenow")

_SYS_ID = re.compile(r"[0-9a-fA-F]{32}")
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
# Statuses worth retrying besides 5xx: request timeout, too early, rate limited.
_RETRYABLE_STATUS = {408, 425, 429}
_MAX_DETAIL = 200


def is_sys_id(value: str) -> bool:
    """True if ``value`` is a ServiceNow sys_id: exactly 32 hexadecimal characters."""
    return _SYS_ID.fullmatch(value) is not None


def verify_webhook_signature(secret: str, raw_body: bytes, header: str | None) -> bool:
    """Check ``X-Hotline-Signature: sha256=<hex>`` against an HMAC-SHA256 of ``raw_body``.

    ``raw_body`` must be the bytes exactly as received (before any JSON parsing). The hex
    digest may be upper or lower case. A missing or malformed header, or an empty secret,
    is never valid. The comparison is constant-time.
    """
    if not secret or not header:
        return False
    match = _SIGNATURE.fullmatch(header.strip())
    if match is None:
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), match.group(1).lower().encode())


class ServiceNowTickets:
    """Implements :class:`hotline.ports.Tickets` with the ServiceNow Table API.

    The integration user needs the ``itil`` role (write ``work_notes``, ``assigned_to`` and
    ``state`` on ``incident``). ``http`` belongs to the caller, who closes it.
    """

    def __init__(
        self,
        instance_url: str,
        username: str,
        password: str,
        http: httpx.AsyncClient,
        timeout: float = 10,
    ) -> None:
        self._base = instance_url.rstrip("/") + "/api/now/table/incident/"
        self._auth = httpx.BasicAuth(username, password)
        self._password = password
        self._http = http
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"ServiceNowTickets({self._base!r})"

    async def update(self, external_id: str, update: TicketUpdate) -> None:
        if not is_sys_id(external_id):
            raise TicketError(
                "ServiceNow update: the incident id is not a sys_id (32 hexadecimal characters)",
                retryable=False,
            )
        if update.assigned_to is not None and not is_sys_id(update.assigned_to):
            raise TicketError(
                "ServiceNow update: assigned_to is not a user sys_id (32 hexadecimal characters)",
                retryable=False,
            )
        body = _body(update)
        if not body:
            return
        sys_id = external_id.lower()
        try:
            response = await self._http.patch(
                self._base + sys_id,
                json=body,
                headers={"Accept": "application/json", "Content-Type": "application/json"},
                auth=self._auth,
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as error:
            raise TicketError(
                f"ServiceNow update of {sys_id}: timed out ({type(error).__name__})",
                retryable=True,
            ) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            raise TicketError(
                f"ServiceNow update of {sys_id}: bad instance URL ({self._redact(error)})",
                retryable=False,
            ) from None
        except httpx.TransportError as error:
            raise TicketError(
                f"ServiceNow update of {sys_id}: {type(error).__name__}: {self._redact(error)}",
                retryable=True,
            ) from None
        self._check(sys_id, response, body)

    def _check(self, sys_id: str, response: httpx.Response, body: dict[str, str]) -> None:
        status = response.status_code
        if 200 <= status < 300:
            result = _json(response).get("result")
            if not isinstance(result, dict):
                # E.g. a sleeping developer instance answers 200 with an HTML page.
                raise TicketError(
                    f"ServiceNow update of {sys_id}: HTTP {status} without a JSON result",
                    retryable=True,
                    status=status,
                )
            _warn_if_ignored(sys_id, body, result)
            return
        retryable = status >= 500 or status in _RETRYABLE_STATUS
        detail = _error_detail(response)
        message = f"ServiceNow update of {sys_id}: HTTP {status}"
        if detail:
            message += f": {self._redact(detail)}"
        raise TicketError(message, retryable=retryable, status=status)

    def _redact(self, value: object) -> str:
        text = str(value)
        if self._password:
            text = text.replace(self._password, "***")
        return text[:_MAX_DETAIL]


def _body(update: TicketUpdate) -> dict[str, str]:
    body: dict[str, str] = {}
    if update.work_note is not None:
        body["work_notes"] = update.work_note
    if update.assigned_to is not None:
        body["assigned_to"] = update.assigned_to.lower()
    if update.state is not None:
        body["state"] = update.state.value
    return body


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_detail(response: httpx.Response) -> str:
    """ServiceNow's ``{"error": {"message", "detail"}, "status": "failure"}``, as text."""
    error = _json(response).get("error")
    if not isinstance(error, dict):
        return ""
    parts = [str(error[key]) for key in ("message", "detail") if error.get(key)]
    return " - ".join(parts)


def _warn_if_ignored(sys_id: str, body: dict[str, str], result: dict[str, Any]) -> None:
    """ServiceNow answers 200 but silently drops fields the user may not write (ACLs)."""
    for field in ("state", "assigned_to"):
        if field not in body or field not in result:
            continue
        value = result[field]
        if isinstance(value, dict):  # a reference: {"link": ..., "value": sys_id}
            value = value.get("value")
        if str(value) != body[field]:
            _log.warning(
                "ServiceNow accepted the update of %s but did not change %s; "
                "check the integration user's roles and ACLs",
                sys_id,
                field,
            )
