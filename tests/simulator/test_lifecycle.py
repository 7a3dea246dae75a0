"""Call lifecycle and status callbacks (spec §1.3, §1.9, §1.10, §1.15)."""

from __future__ import annotations

import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from hotline.simulator import PhoneScript, Simulator

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLEE,
    CALLER,
    CALLS,
    NUMBER,
    TwimlApp,
    eventually,
    kinds,
    place_call,
    run_call,
    said,
)

LONG = '<Response><Say>Hi</Say><Pause length="600"/><Say>never</Say></Response>'


def call_uri(sid: str) -> str:
    return CALLS.replace(".json", f"/{sid}.json")


async def test_status_callbacks_only_for_requested_events_with_sequence_numbers(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", '<Response><Pause length="42"/></Response>')
    status = twiml_app.url("/status")
    call = await run_call(
        sim,
        api,
        Url=url,
        StatusCallback=status,
        StatusCallbackEvent=["initiated", "answered", "completed"],
    )
    hits = twiml_app.to("/status")
    assert [h.params["CallStatus"] for h in hits] == ["initiated", "in-progress", "completed"]
    assert [h.params["SequenceNumber"] for h in hits] == ["0", "1", "2"]
    for hit in hits:
        assert hit.params["CallbackSource"] == "call-progress-events"
        assert parsedate_to_datetime(hit.params["Timestamp"]).utcoffset() == timedelta(0)
        assert hit.params["CallSid"] == call["sid"]
    assert "CallDuration" not in hits[1].params
    assert hits[2].params["CallDuration"] == "42" == call["duration"]
    assert hits[2].params["Duration"] == "1"
    assert hits[2].params["SipResponseCode"] == "200"


async def test_default_is_the_completed_event_only(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", "<Response/>")
    await run_call(sim, api, Url=url, StatusCallback=twiml_app.url("/status"))
    (final,) = twiml_app.to("/status")
    assert final.params["CallStatus"] == "completed"
    assert final.params["SequenceNumber"] == "0"


@pytest.mark.parametrize(
    ("phone", "outcome", "events"),
    [
        (PhoneScript(mode="busy"), "busy", ["initiated", "busy"]),
        (PhoneScript(mode="fail"), "failed", ["initiated", "failed"]),
        (PhoneScript(mode="no-answer"), "no-answer", ["initiated", "ringing", "no-answer"]),
        (PhoneScript(answer_after=61), "no-answer", ["initiated", "ringing", "no-answer"]),
    ],
)
async def test_unanswered_calls_never_fetch_the_url(
    sim: Simulator,
    api: httpx.AsyncClient,
    twiml_app: TwimlApp,
    phone: PhoneScript,
    outcome: str,
    events: list[str],
) -> None:
    sim.set_script(CALLEE, phone)
    started = time.monotonic()
    call = await run_call(
        sim,
        api,
        Url=twiml_app.url("/voice"),
        StatusCallback=twiml_app.url("/status"),
        StatusCallbackEvent=["initiated", "ringing", "answered", "completed"],
    )
    assert time.monotonic() - started < 5  # a 60 s ring costs about 60 ms
    assert call["status"] == outcome and call["duration"] == "0"
    assert twiml_app.to("/voice") == []
    assert [h.params["CallStatus"] for h in twiml_app.to("/status")] == events


async def test_ring_timeout_comes_from_the_timeout_parameter(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(answer_after=20))
    call = await run_call(sim, api, Url=twiml_app.url("/voice"), Timeout="15")
    assert call["status"] == "no-answer"
    (final,) = kinds(sim.call_log(call["sid"]), "status")[-1:]
    assert final["t"] == pytest.approx(0.5 + 15, abs=0.01)  # queued 0.5 s, then 15 s


async def test_cancel_while_ringing(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(mode="no-answer"))
    created = await place_call(
        api, Url=twiml_app.url("/voice"), Timeout="600", StatusCallback=twiml_app.url("/s")
    )
    await eventually(lambda: sim.engine.calls[created["sid"]].status == "ringing")
    response = await api.post(call_uri(created["sid"]), data={"Status": "canceled"})
    assert response.status_code == 200
    call = await sim.wait_for_call_end(created["sid"])
    assert call["status"] == "canceled"
    assert [h.params["CallStatus"] for h in twiml_app.to("/s")] == ["canceled"]


async def test_cancel_while_queued_sends_no_callback_at_all(twiml_app: TwimlApp) -> None:
    async with Simulator(ACCOUNT_SID, AUTH_TOKEN, numbers=[NUMBER], time_scale=0.2) as sim:
        transport = httpx.ASGITransport(app=sim.asgi)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sim.test", auth=(ACCOUNT_SID, AUTH_TOKEN)
        ) as api:
            created = await place_call(
                api,
                Url=twiml_app.url("/voice"),
                StatusCallback=twiml_app.url("/s"),
                StatusCallbackEvent=["initiated", "completed"],
            )
            assert created["status"] == "queued"
            await api.post(call_uri(created["sid"]), data={"Status": "canceled"})
            call = await sim.wait_for_call_end(created["sid"])
    assert call["status"] == "canceled"
    assert twiml_app.to("/s") == [] and twiml_app.to("/voice") == []


async def test_rest_updates_of_a_live_call(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    created = await place_call(api, Url=twiml_app.route("/long", LONG))
    await eventually(lambda: kinds(sim.call_log(created["sid"]), "pause"))
    ignored = await api.post(call_uri(created["sid"]), data={"Status": "canceled"})
    assert ignored.json()["status"] == "in-progress"  # canceled only affects ringing calls
    twiml_app.route("/new", '<Response><Say>Moved</Say><Pause length="600"/></Response>')
    await api.post(call_uri(created["sid"]), data={"Url": twiml_app.url("/new")})
    await eventually(lambda: "Moved" in said(sim.call_log(created["sid"])))
    await api.post(
        call_uri(created["sid"]), data={"Twiml": "<Response><Say>Inline</Say></Response>"}
    )
    call = await sim.wait_for_call_end(created["sid"])
    assert said(sim.call_log(created["sid"])) == ["Hi", "Moved", "Inline"]
    assert call["status"] == "completed"
    refused = await api.post(call_uri(created["sid"]), data={"Url": twiml_app.url("/new")})
    assert refused.status_code == 400 and refused.json()["code"] == 21220


async def test_status_completed_hangs_up(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    created = await place_call(api, Url=twiml_app.route("/long", LONG))
    await eventually(lambda: kinds(sim.call_log(created["sid"]), "pause"))
    await api.post(call_uri(created["sid"]), data={"Status": "completed"})
    call = await sim.wait_for_call_end(created["sid"])
    assert call["status"] == "completed"
    assert "never" not in said(sim.call_log(created["sid"]))


@pytest.mark.parametrize(
    ("mode", "detection", "answered_by"),
    [
        ("answer", "Enable", "human"),
        ("machine", "Enable", "machine_start"),
        ("machine", "DetectMessageEnd", "machine_end_beep"),
    ],
)
async def test_answering_machine_detection(
    sim: Simulator,
    api: httpx.AsyncClient,
    twiml_app: TwimlApp,
    mode: str,
    detection: str,
    answered_by: str,
) -> None:
    sim.set_script(CALLEE, PhoneScript(mode=mode, digits=["1"]))  # type: ignore[arg-type]
    url = twiml_app.route("/voice", '<Response><Gather action="/got"/></Response>')
    call = await run_call(
        sim, api, Url=url, MachineDetection=detection, StatusCallback=twiml_app.url("/s")
    )
    assert call["answered_by"] == answered_by
    assert twiml_app.to("/voice")[0].params["AnsweredBy"] == answered_by
    assert twiml_app.to("/s")[0].params["AnsweredBy"] == answered_by
    assert len(twiml_app.to("/got")) == (1 if mode == "answer" else 0)  # machines never press


async def test_without_detection_a_machine_is_just_silent(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(mode="machine"))
    call = await run_call(sim, api, Url=twiml_app.route("/voice", "<Response/>"))
    assert call["answered_by"] is None
    assert "AnsweredBy" not in twiml_app.to("/voice")[0].params


async def test_callee_hangs_up_after_n_seconds(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(hangup_after=30))
    call = await run_call(sim, api, Url=twiml_app.route("/long", LONG))
    assert call["duration"] == "30"
    assert kinds(sim.call_log(call["sid"]), "status")[-1]["status"] == "completed"


async def test_inbound_call(sim: Simulator, twiml_app: TwimlApp) -> None:
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route(
            "/incoming", '<Response><Say>Welcome</Say><Pause length="9"/></Response>'
        ),
        status_callback=twiml_app.url("/number-status"),
    )
    sid = await sim.inbound_call(CALLER, NUMBER, PhoneScript(hangup_after=4))
    call = await sim.wait_for_call_end(sid)
    (first,) = twiml_app.to("/incoming")
    assert first.params["CallStatus"] == "ringing"
    assert first.params["Direction"] == "inbound"
    assert first.params["From"] == CALLER and first.params["To"] == NUMBER
    (final,) = twiml_app.to("/number-status")
    assert final.params["CallStatus"] == "completed"
    assert final.params["CallDuration"] == "4" == call["duration"]
    assert call["direction"] == "inbound"


@pytest.mark.parametrize(("reason", "status"), [("busy", "busy"), ("rejected", "no-answer")])
async def test_reject_as_first_verb_never_answers(
    sim: Simulator, twiml_app: TwimlApp, reason: str, status: str
) -> None:
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route("/incoming", f'<Response><Reject reason="{reason}"/></Response>'),
    )
    call = await sim.wait_for_call_end(await sim.inbound_call(CALLER, NUMBER))
    assert call["status"] == status
    assert call["start_time"] is None and call["duration"] == "0"


async def test_reject_after_answering_just_hangs_up(sim: Simulator, twiml_app: TwimlApp) -> None:
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route("/incoming", "<Response><Say>Hi</Say><Reject/></Response>"),
    )
    call = await sim.wait_for_call_end(await sim.inbound_call(CALLER, NUMBER))
    assert call["status"] == "completed"


async def test_a_first_pause_delays_the_answer(sim: Simulator, twiml_app: TwimlApp) -> None:
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route(
            "/incoming", '<Response><Pause length="5"/><Say>Hi</Say></Response>'
        ),
    )
    call = await sim.wait_for_call_end(await sim.inbound_call(CALLER, NUMBER))
    log = sim.call_log(call["sid"])
    in_progress = next(e for e in kinds(log, "status") if e["status"] == "in-progress")
    assert in_progress["t"] == pytest.approx(5, abs=0.5)  # + the real HTTP time
    assert call["duration"] == "1"  # "Hi" is half a second, rounded up


async def test_inbound_to_an_unknown_number_is_refused(sim: Simulator) -> None:
    with pytest.raises(LookupError):
        await sim.inbound_call(CALLER, "+15559999999")
