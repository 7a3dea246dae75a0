"""The carrier's own transcription: Twilio's ``transcribeCallback`` parameters, read.

Pure: the web layer checks the signature and hands the form here; nothing else of Twilio's
vocabulary leaves this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

_MAX_SID = 64
_MAX_TEXT = 10_000


@dataclass(frozen=True, slots=True)
class CarrierTranscript:
    recording_sid: str
    call_sid: str
    status: Literal["completed", "failed"]
    text: str
    """Whitespace-normalised transcription; "" whenever ``status`` is ``failed``."""


def parse_transcription_callback(form: Mapping[str, str]) -> CarrierTranscript:
    """Read a ``transcribeCallback`` form. Anything missing or malformed gives ``failed``:
    the caller then treats the message as untranscribed rather than losing it."""
    recording_sid = _sid(form.get("RecordingSid"))
    call_sid = _sid(form.get("CallSid"))
    status = (form.get("TranscriptionStatus") or "").strip().lower()
    raw_text = form.get("TranscriptionText")
    if (
        status != "completed"
        or not recording_sid
        or not call_sid
        or raw_text is None
        or len(raw_text) > _MAX_TEXT
    ):
        return CarrierTranscript(recording_sid, call_sid, "failed", "")
    text = " ".join("".join(c if c.isprintable() else " " for c in raw_text).split())
    return CarrierTranscript(recording_sid, call_sid, "completed", text)


def _sid(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > _MAX_SID or not value.isascii() or not value.isalnum():
        return ""
    return value
