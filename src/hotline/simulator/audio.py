"""WAV helpers: read a recording's duration, make silence of a given length."""

from __future__ import annotations

import io
import wave

SAMPLE_RATE = 8000  # telephone quality, mono, 16-bit


def wav_duration(data: bytes) -> float:
    """Length in seconds of a WAV file; ``ValueError`` if ``data`` is not a WAV file."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            return reader.getnframes() / float(reader.getframerate())
    except (wave.Error, EOFError) as error:
        raise ValueError(f"not a WAV file: {error}") from None


def silence(seconds: float) -> bytes:
    """A mono 16-bit 8 kHz WAV file of ``seconds`` of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(b"\x00\x00" * round(seconds * SAMPLE_RATE))
    return buffer.getvalue()


def join(parts: list[bytes]) -> bytes:
    """One WAV of ``parts`` played one after the other (the first one's format wins;
    parts in another format are left out)."""
    if len(parts) == 1:
        return parts[0]
    buffer = io.BytesIO()
    with wave.open(io.BytesIO(parts[0]), "rb") as first:
        params = first.getparams()
    with wave.open(buffer, "wb") as writer:
        writer.setparams(params)
        for part in parts:
            with wave.open(io.BytesIO(part), "rb") as reader:
                if reader.getparams()[:3] == params[:3]:
                    writer.writeframes(reader.readframes(reader.getnframes()))
    return buffer.getvalue()
