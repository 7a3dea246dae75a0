"""Signed, expiring links to recordings that Hotline serves itself.

The seed shortened public carrier media URLs and sent them out, so anyone holding a link
could hear the recording for ever (seed-behaviour B.22 item 4). Hotline instead hands out
``{public_url}/recordings/{recording_id}?expires=<unix seconds>&sig=<signature>``, where the
signature is the unpadded URL-safe base64 of HMAC-SHA256 over ``"{recording_id}:{expires}"``
keyed with a server secret. The web layer serves the recording only when :meth:`verify`
says yes.

Pure: the time is passed in, there is no clock and no I/O. Recording ids are restricted to
``[A-Za-z0-9_-]{1,64}`` so nothing can be injected into the path, the signed message or a
log line. The secret never appears in ``repr`` or in an error message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

DEFAULT_TTL = timedelta(days=7)
MIN_SECRET_BYTES = 16

_RECORDING_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Canonical decimal only (no sign, spaces, underscores, leading zeros or non-ASCII digits):
# the signature covers the exact string, so each instant has exactly one spelling.
_EXPIRES = re.compile(r"0|[1-9][0-9]{0,11}")
# Unpadded URL-safe base64 of a 32-byte digest. Compared as text, so the unused low bits
# of the last character cannot give a second valid spelling of the same digest.
_SIG = re.compile(r"[A-Za-z0-9_-]{43}")
_MAX_EXPIRES = 10**12 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def is_recording_id(value: str) -> bool:
    """True if ``value`` may name a recording: 1-64 characters of ``A-Z a-z 0-9 _ -``."""
    return _RECORDING_ID.fullmatch(value) is not None


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now


class RecordingLinks:
    """Makes and checks signed recording links. ``public_url`` is Hotline's own base URL
    (``HOTLINE_PUBLIC_URL``); a link is valid from when it is made until ``ttl`` later."""

    __slots__ = ("_base", "_secret", "_ttl_seconds")

    def __init__(self, secret: bytes, public_url: str, ttl: timedelta = DEFAULT_TTL) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the recording link secret must be at least {MIN_SECRET_BYTES} bytes")
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("public_url must be an http:// or https:// URL")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("public_url must not have a query, fragment or credentials")
        ttl_seconds = ttl // _SECOND
        if ttl_seconds < 1:
            raise ValueError("ttl must be at least one second")
        self._secret = secret
        self._base = public_url.rstrip("/")
        self._ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"RecordingLinks(public_url={self._base!r}, ttl={self.ttl!r})"

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self._ttl_seconds)

    def _sign(self, recording_id: str, expires: str) -> str:
        message = f"{recording_id}:{expires}".encode("ascii")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def url_for(self, recording_id: str, now: datetime) -> str:
        """The signed link to ``recording_id``, valid until ``now + ttl`` (whole seconds,
        rounded down). Raises ``ValueError`` for an unsafe id or a naive ``now``."""
        if not is_recording_id(recording_id):
            raise ValueError("recording id must be 1-64 characters of A-Z a-z 0-9 _ -")
        expires_at = (_aware(now) - _EPOCH) // _SECOND + self._ttl_seconds
        if not 0 <= expires_at <= _MAX_EXPIRES:
            raise ValueError("now is outside the range a recording link can express")
        expires = str(expires_at)
        sig = self._sign(recording_id, expires)
        return f"{self._base}/recordings/{recording_id}?expires={expires}&sig={sig}"

    def verify(self, recording_id: str, expires: str, sig: str, now: datetime) -> bool:
        """True only for an untampered link made with this secret whose expiry is after
        ``now``. Malformed parts are simply invalid; the comparison is constant-time."""
        now = _aware(now)
        if not (
            isinstance(recording_id, str)
            and isinstance(expires, str)
            and isinstance(sig, str)
            and is_recording_id(recording_id)
            and _EXPIRES.fullmatch(expires)
            and _SIG.fullmatch(sig)
        ):
            return False
        expected = self._sign(recording_id, expires)
        if not hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii")):
            return False
        return now < _EPOCH + timedelta(seconds=int(expires))
