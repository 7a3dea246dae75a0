"""Wire formats shared by the REST API and the webhooks: dates and phone numbers."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import format_datetime

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
NANP = re.compile(r"^\+1([2-9][0-9]{2})([0-9]{3})([0-9]{4})$")


def utcnow() -> datetime:
    """The current aware UTC instant."""
    return datetime.now(UTC)


def rfc2822(moment: datetime | None) -> str | None:
    """``Fri, 20 Aug 2010 01:13:42 +0000`` (UTC), or None for None."""
    if moment is None:
        return None
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def is_address(value: str) -> bool:
    """An address a call can go to or come from: E.164, ``client:x`` or ``sip:…``."""
    return bool(E164.match(value)) or value.startswith(("client:", "sip:"))


def formatted(number: str) -> str:
    """How Twilio shows a number: ``(415) 867-5309`` for North America, else unchanged."""
    match = NANP.match(number)
    if match is None:
        return number
    area, exchange, line = match.groups()
    return f"({area}) {exchange}-{line}"


def whole_seconds(seconds: float) -> int:
    """Simulated seconds as Twilio reports them: whole seconds, rounded half up."""
    return max(0, math.floor(seconds + 0.5))


def billed_minutes(seconds: int) -> int:
    """The ``Duration`` of a status callback: started minutes (49 s → 1)."""
    return math.ceil(seconds / 60)
