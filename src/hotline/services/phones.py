"""Phone number normalisation to E.164 with ``phonenumbers``."""

from __future__ import annotations

import phonenumbers

from hotline.domain.errors import Invalid


def normalise(raw: str, region: str, field: str = "number") -> str:
    """Return ``raw`` as E.164; national numbers are read in ``region``.

    Raises :class:`Invalid` for text that is not a valid, dialable number.
    """
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Invalid(f"{raw!r} is not a phone number", field=field) from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid(f"{raw!r} is not a valid phone number", field=field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
