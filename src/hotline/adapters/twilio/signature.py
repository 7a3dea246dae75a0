"""``X-Twilio-Signature`` checks (spec section 4), with the official RequestValidator."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, remove_port


def public_request_url(public_url: str, path: str, raw_query: str) -> str:
    """The URL Twilio requested: our public origin, the path, the query exactly as sent."""
    return public_url.rstrip("/") + path + (f"?{raw_query}" if raw_query else "")


def is_signed(tokens: Sequence[str], url: str, params: Any, signature: str | None) -> bool:
    """True if ``signature`` matches ``url`` + ``params`` under any of ``tokens``.

    ``params`` is the whole form (a mapping with ``getlist`` for repeated keys), every field
    included. Like twilio-python, the URL is tried as given, without and with the default
    port; the comparison is constant-time.
    """
    if not signature or not tokens:
        return False
    parsed = urlparse(url)
    candidates = {url, remove_port(parsed), add_port(parsed)}
    matched = False
    for token in tokens:
        validator = RequestValidator(token)
        for candidate in candidates:
            computed = validator.compute_signature(candidate, params)
            matched |= hmac.compare_digest(computed.encode(), signature.encode())
    return matched
