"""<Record>: action parameters, Digits=hangup, empty recordings, media, transcription
(spec §1.5 to §1.7, §2.2)."""

from __future__ import annotations

import httpx

from hotline.simulator import PhoneScript, Simulator

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLEE,
    NUMBER,
    SCALE,
    TwimlApp,
    kinds,
    run_call,
    said,
    tone,
)

VOICEMAIL = (
    "<Response><Say>Leave a message after the beep</Say>"
    '<Record action="/saved" maxLength="30" transcribe="true" transcribeCallback="/text"'
    ' recordingStatusCallback="/rec-status"/><Say>unreachable</Say></Response>'
)


async def test_recording_ended_by_a_key(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    wav = tone(3.0)
    sim.set_script(CALLEE, PhoneScript(recording=wav, digits=["#"], transcript="Disk full"))
    twiml_app.route("/saved", "<Response><Say>Thanks</Say></Response>")
    call = await run_call(sim, api, Url=twiml_app.route("/vm", VOICEMAIL))
    await sim.idle(timeout=5)
    (action,) = twiml_app.to("/saved")
    params = action.params
    assert params["Digits"] == "#"
    assert params["RecordingDuration"] == "3"
    assert params["CallStatus"] == "in-progress"
    sid = params["RecordingSid"]
    assert (
        params["RecordingUrl"]
        == f"http://sim.test/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"
    )
    log = sim.call_log(call["sid"])
    assert said(log) == ["Leave a message after the beep", "Thanks"]
    assert kinds(log, "beep")
    assert sim.recording(sid) == wav
    (status,) = twiml_app.to("/rec-status")
    assert status.params["RecordingStatus"] == "completed"
    assert status.params["RecordingSid"] == sid and "From" not in status.params
    (text,) = twiml_app.to("/text")
    assert text.params["TranscriptionText"] == "Disk full"
    assert text.params["TranscriptionStatus"] == "completed"
    for path in (f"Recordings/{sid}", f"Recordings/{sid}.wav"):
        media = await api.get(f"/2010-04-01/Accounts/{ACCOUNT_SID}/{path}")
        assert media.headers["content-type"] == "audio/x-wav"
        assert media.content == wav
    meta = (await api.get(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.json")).json()
    assert meta["duration"] == "3" and meta["call_sid"] == call["sid"]
    transcription = (
        await api.get(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}/Transcriptions.json")
    ).json()["transcriptions"][0]
    assert transcription["transcription_text"] == "Disk full"
    fetched = await api.get(
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Transcriptions/{transcription['sid']}.json"
    )
    assert fetched.json()["status"] == "completed"


async def test_caller_hanging_up_ends_the_recording_with_digits_hangup(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(recording_duration=12, hangup_at_prompt=1))
    call = await run_call(sim, api, Url=twiml_app.route("/vm", VOICEMAIL))
    (action,) = twiml_app.to("/saved")
    assert action.params["Digits"] == "hangup"
    assert action.params["CallStatus"] == "completed"
    assert action.params["RecordingDuration"] == "12"
    assert call["status"] == "completed"
    assert "unreachable" not in said(sim.call_log(call["sid"]))


async def test_silence_ends_the_recording_and_max_length_caps_it(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    twiml_app.route(
        "/vm",
        '<Response><Record action="/a" playBeep="false"/>'
        '<Record action="/b" maxLength="4" timeout="0"/></Response>',
    )
    twiml_app.route("/a", "<Response><Redirect>/second</Redirect></Response>")
    twiml_app.route(
        "/second", '<Response><Record action="/b" maxLength="4" timeout="0"/></Response>'
    )
    sim.set_script(CALLEE, PhoneScript(recording_duration=7))
    call = await run_call(sim, api, Url=twiml_app.url("/vm"))
    (first,) = twiml_app.to("/a")
    (capped,) = twiml_app.to("/b")
    assert (first.params["Digits"], first.params["RecordingDuration"]) == ("", "7")
    assert (capped.params["Digits"], capped.params["RecordingDuration"]) == ("", "4")
    # 7 s spoken + 5 s of silence, then 4 s: beeps are 0.5 s (the first Record has none)
    assert call["duration"] == str(7 + 5 + 1 + 4)


async def test_an_empty_recording_falls_through_without_action(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    call = await run_call(sim, api, Url=twiml_app.route("/vm", VOICEMAIL))
    assert twiml_app.to("/saved") == []
    log = sim.call_log(call["sid"])
    assert said(log)[-1] == "unreachable"
    assert kinds(log, "timeout")[0]["empty"] is True


async def test_keep_empty_recordings_and_a_failed_transcription(twiml_app: TwimlApp) -> None:
    async def never(wav: bytes, hint: str | None) -> str | None:
        return None

    sim = Simulator(
        ACCOUNT_SID,
        AUTH_TOKEN,
        numbers=[NUMBER],
        time_scale=SCALE,
        keep_empty_recordings=True,
        transcriber=never,
    )
    async with sim:
        sim.set_script(CALLEE, PhoneScript(recording_duration=3))
        transport = httpx.ASGITransport(app=sim.asgi)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sim.test", auth=(ACCOUNT_SID, AUTH_TOKEN)
        ) as api:
            await run_call(sim, api, Url=twiml_app.route("/vm", VOICEMAIL))
            await sim.idle(timeout=5)
            (failed,) = twiml_app.to("/text")
            assert failed.params["TranscriptionStatus"] == "failed"
            assert failed.params["TranscriptionText"] == ""
            sim.set_script(CALLEE, PhoneScript())  # silent: an empty recording
            twiml_app.hits.clear()
            await run_call(sim, api, Url=twiml_app.url("/vm"))
            await sim.idle(timeout=5)
    (empty,) = twiml_app.to("/saved")
    assert empty.params["RecordingDuration"] == "0"
    assert twiml_app.to("/text") == []  # 0 s is too short to transcribe


async def test_default_action_is_the_current_document(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    def voicemail(hit: object) -> str:
        if len(twiml_app.to("/vm")) == 1:
            return "<Response><Record/></Response>"
        return "<Response><Say>Bye</Say></Response>"

    sim.set_script(CALLEE, PhoneScript(recording=tone(2.0), digits=["5"]))
    call = await run_call(sim, api, Url=twiml_app.route("/vm", voicemail))
    _, action = twiml_app.to("/vm")
    assert action.params["Digits"] == "5"
    assert said(sim.call_log(call["sid"])) == ["Bye"]
