"""The signature check on every ``/voice`` route. Fails closed: no token, no entry."""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request

from hotline.adapters.twilio.signature import is_signed, public_request_url

log = logging.getLogger("hotline.voice")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def require_twilio_signature(request: Request) -> None:
    """403 unless ``X-Twilio-Signature`` matches under the primary or secondary auth token.

    The URL is rebuilt from ``HOTLINE_PUBLIC_URL`` (so it works behind a reverse proxy) with
    the raw query string; every form field counts. Runs before the route reads anything, so
    a rejected request changes no state. The log line names the path, never a token.
    """
    container = request.app.state.container
    url = public_request_url(container.settings.public_url, request.url.path, request.url.query)
    content_type = request.headers.get("content-type", "")
    form = await request.form() if content_type.startswith(FORM_TYPES) else {}
    signature = request.headers.get("x-twilio-signature")
    if not is_signed(container.webhook_tokens, url, form, signature):
        log.warning(
            "rejected voice webhook %s %s: %s signature",
            request.method,
            request.url.path,
            "missing" if not signature else "invalid",
        )
        raise HTTPException(403, "invalid or missing X-Twilio-Signature")
