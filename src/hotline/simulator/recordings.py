"""Recordings made by ``<Record>``: storage, recording status callbacks, transcription.

Spec §1.5 to §1.7: ``recordingStatusCallback`` gets the recording parameters (no From/To);
``transcribeCallback`` is always a POST, only for recordings of 2 to 120 seconds, and is
answered by the simulator's pluggable transcriber (text, or None for a failed
transcription).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotline.simulator.formats import rfc2822
from hotline.simulator.records import Call, Recording, Transcription

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

TRANSCRIBABLE_SECONDS = (2, 120)


def media_url(engine: Engine, recording_sid: str) -> str:
    """``RecordingUrl``: the media URL without extension (WAV)."""
    return engine.resource_url(f"Recordings/{recording_sid}")


def store(engine: Engine, call: Call, recording: Recording) -> None:
    engine.recordings[recording.sid] = recording
    call.note(
        "record",
        recording_sid=recording.sid,
        duration=recording.duration,
        url=media_url(engine, recording.sid),
    )


def status_callback(
    engine: Engine, call: Call, url: str, method: str, recording: Recording, status: str
) -> None:
    """Send a ``recordingStatusCallback`` event in the background."""
    params = {
        "AccountSid": engine.account_sid,
        "CallSid": call.sid,
        "ErrorCode": "0",
        "RecordingChannels": "1",
        "RecordingDuration": str(recording.duration),
        "RecordingSid": recording.sid,
        "RecordingSource": recording.source,
        "RecordingStartTime": rfc2822(recording.start_time) or "",
        "RecordingStatus": status,
        "RecordingUrl": media_url(engine, recording.sid),
    }
    engine.spawn(engine.notify(call, url, method, params, "recording-status-callback"), call)


async def transcribe(
    engine: Engine, call: Call, recording: Recording, callback: str | None
) -> None:
    """Transcribe ``recording`` and send ``transcribeCallback`` (if any)."""
    low, high = TRANSCRIBABLE_SECONDS
    if not low <= recording.duration <= high:
        message = f"recordings of {low}-{high} s are transcribed, not {recording.duration} s"
        call.note("warning", message=message)
        return
    try:
        text = await engine.transcriber(recording.wav, call.phone.script.transcript)
    except Exception as error:  # a broken transcriber fails the transcription only
        call.note("warning", message=f"transcriber failed: {error!r}")
        text = None
    status = "failed" if text is None else "completed"
    transcription = Transcription(
        engine.account_sid, recording.sid, text or "", status, recording.duration
    )
    engine.transcriptions[transcription.sid] = transcription
    call.note(
        "transcription",
        transcription_sid=transcription.sid,
        status=status,
        text=transcription.text,
    )
    if callback is None:
        return
    params = {
        "AccountSid": engine.account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call.sid,
        "CallStatus": call.status,
        "Direction": call.direction,
        "From": call.from_,
        "RecordingSid": recording.sid,
        "RecordingUrl": media_url(engine, recording.sid),
        "To": call.to,
        "TranscriptionSid": transcription.sid,
        "TranscriptionStatus": status,
        "TranscriptionText": transcription.text,
        "TranscriptionUrl": engine.resource_url(f"Transcriptions/{transcription.sid}.json"),
    }
    await engine.notify(call, callback, "POST", params, "transcribe-callback")
