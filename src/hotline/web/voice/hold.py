"""Hotline's own hold audio, so holding never depends on a third-party site.

``GET /voice/hold.wav`` is a quiet, slow chime (8 kHz mono, 16-bit PCM, a few seconds),
computed once on first request. It is not signed: carriers fetch media with a plain GET,
and the audio holds nothing private.
"""

from __future__ import annotations

import io
import math
import wave
from functools import cache

from fastapi import APIRouter, Response

router = APIRouter(include_in_schema=False)

RATE = 8000
NOTES = (523.25, 659.25, 783.99, 659.25)  # C5 E5 G5 E5: a calm arpeggio
NOTE_SECONDS = 1.5


@cache
def hold_wav() -> bytes:
    """The hold audio as WAV bytes."""
    frames = bytearray()
    per_note = int(RATE * NOTE_SECONDS)
    for freq in NOTES:
        for n in range(per_note):
            t = n / RATE
            envelope = math.exp(-2.5 * t)  # a soft bell: strike, then fade
            sample = 0.2 * envelope * math.sin(2 * math.pi * freq * t)
            frames += int(sample * 32767).to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()


@router.get("/voice/hold.wav")
async def hold_audio() -> Response:
    return Response(
        hold_wav(), media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"}
    )
