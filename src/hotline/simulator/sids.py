"""Twilio-style identifiers and demo credentials.

A SID is a two-letter resource prefix followed by 32 lower-case hex digits (``CA…`` calls,
``RE…`` recordings, …). Every SID made here is random. The demo credentials are what the
standalone simulator uses when ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN`` are unset.
"""

from __future__ import annotations

import secrets


def new_sid(prefix: str) -> str:
    """A fresh SID with the given two-letter prefix, e.g. ``new_sid("CA")``."""
    if len(prefix) != 2 or not prefix.isalpha() or not prefix.isupper():
        raise ValueError(f"a SID prefix is two upper-case letters, not {prefix!r}")
    return prefix + secrets.token_hex(16)


DEMO_ACCOUNT_SID = "AC" + "de300000" * 4
DEMO_AUTH_TOKEN = "demo-auth-token-0123456789abcdef"  # noqa: S105 - a published demo value


def demo_credentials() -> tuple[str, str]:
    """The fixed demo account SID (``AC`` + 32 hex) and 32-character auth token."""
    return DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
