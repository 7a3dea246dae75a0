"""Twilio's transcribeCallback form, read into a CarrierTranscript."""

from __future__ import annotations

from hotline.adapters.transcription.carrier import CarrierTranscript, parse_transcription_callback

REC = "RE" + "0" * 32
CALL = "CA" + "1" * 32


def form(**overrides: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {
        "TranscriptionSid": "TR" + "2" * 32,
        "TranscriptionText": "The database server is down.",
        "TranscriptionStatus": "completed",
        "TranscriptionUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Transcriptions/TR",
        "RecordingSid": REC,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE",
        "CallSid": CALL,
        "AccountSid": "AC" + "3" * 32,
        "From": "+15550001111",
        "To": "+15550002222",
        "CallStatus": "completed",
        "ApiVersion": "2010-04-01",
        "Direction": "inbound",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_completed() -> None:
    assert parse_transcription_callback(form()) == CarrierTranscript(
        REC, CALL, "completed", "The database server is down."
    )


def test_text_whitespace_and_control_characters_are_normalised() -> None:
    got = parse_transcription_callback(form(TranscriptionText="  one\n\ttwo\x00 three  "))
    assert got.status == "completed"
    assert got.text == "one two three"


def test_completed_with_empty_text_stays_completed() -> None:
    got = parse_transcription_callback(form(TranscriptionText=""))
    assert (got.status, got.text) == ("completed", "")


def test_failed_status() -> None:
    got = parse_transcription_callback(form(TranscriptionStatus="failed"))
    assert got == CarrierTranscript(REC, CALL, "failed", "")


def test_unknown_status_is_failed() -> None:
    assert parse_transcription_callback(form(TranscriptionStatus="in-progress")).status == "failed"


def test_status_is_case_insensitive() -> None:
    assert parse_transcription_callback(form(TranscriptionStatus=" Completed ")).status == (
        "completed"
    )


def test_empty_form_is_failed() -> None:
    assert parse_transcription_callback({}) == CarrierTranscript("", "", "failed", "")


def test_missing_fields_give_failed_and_keep_what_is_known() -> None:
    assert parse_transcription_callback(form(TranscriptionStatus=None)) == CarrierTranscript(
        REC, CALL, "failed", ""
    )
    assert parse_transcription_callback(form(TranscriptionText=None)).status == "failed"
    no_recording = parse_transcription_callback(form(RecordingSid=None))
    assert (no_recording.recording_sid, no_recording.status) == ("", "failed")
    no_call = parse_transcription_callback(form(CallSid=None))
    assert (no_call.call_sid, no_call.recording_sid, no_call.status) == ("", REC, "failed")


def test_malformed_sids_are_dropped() -> None:
    got = parse_transcription_callback(form(RecordingSid="RE../../etc", CallSid="x" * 65))
    assert got == CarrierTranscript("", "", "failed", "")


def test_overlong_text_is_failed() -> None:
    assert parse_transcription_callback(form(TranscriptionText="a" * 10_001)).status == "failed"
