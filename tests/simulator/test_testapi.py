"""The /_sim test API and interactive phones (answer, press, hang up, upload)."""

from __future__ import annotations

import httpx

from hotline.simulator import PhoneScript, Simulator

from .conftest import CALLEE, CALLER, NUMBER, TwimlApp, eventually, kinds, place_call, said, tone

INTERACTIVE = {"mode": "interactive"}


async def test_inbound_call_log_and_wait(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    configured = await api.put(
        f"/_sim/numbers/{NUMBER}",
        json={"voice_url": twiml_app.route("/in", "<Response><Say>Hotline</Say></Response>")},
    )
    assert configured.json()["voice_url"] == twiml_app.url("/in")
    made = await api.post(
        "/_sim/inbound", json={"from": CALLER, "to": NUMBER, "script": {"hangup_after": 30}}
    )
    assert made.status_code == 201
    sid = made.json()["call_sid"]
    ended = (await api.get(f"/_sim/calls/{sid}/wait", params={"timeout": 5})).json()
    assert ended["status"] == "completed" and ended["direction"] == "inbound"
    log = (await api.get(f"/_sim/calls/{sid}/log")).json()
    assert log["call_sid"] == sid
    assert said(log["entries"]) == ["Hotline"]
    webhook = kinds(log["entries"], "webhook")[0]
    assert webhook["params"]["CallStatus"] == "ringing" and webhook["status"] == 200
    assert webhook["body"] == "<Response><Say>Hotline</Say></Response>"
    assert [c["sid"] for c in (await api.get("/_sim/calls")).json()["calls"]] == [sid]
    assert (await api.get(f"/_sim/calls/{sid}")).json()["sid"] == sid
    unknown = await api.post("/_sim/inbound", json={"from": CALLER, "to": "+15559990000"})
    assert unknown.status_code == 404
    bad = await api.post("/_sim/inbound", json={"from": CALLER, "to": NUMBER, "script": {"x": 1}})
    assert bad.status_code == 400 and "unknown phone script setting" in bad.json()["message"]
    assert (await api.get("/_sim/calls/CA123/log")).status_code == 404


async def test_phone_scripts_over_the_api(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    put = await api.put(f"/_sim/phones/{CALLEE}", json={"mode": "busy"})
    assert put.json()["script"] == {"mode": "busy"}
    created = await place_call(api, Url=twiml_app.url("/voice"))
    assert (await sim.wait_for_call_end(created["sid"]))["status"] == "busy"
    assert (await api.put(f"/_sim/phones/{CALLEE}", json={"mode": "nope"})).status_code == 400


async def test_interactive_callee_answers_presses_and_hangs_up(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    await api.put(f"/_sim/phones/{CALLEE}", json=INTERACTIVE)
    twiml_app.route(
        "/voice",
        '<Response><Gather action="/menu" numDigits="1" timeout="600">'
        "<Say>Incident 42. Press 1 to accept.</Say></Gather></Response>",
    )
    twiml_app.route("/menu", '<Response><Say>Accepted</Say><Pause length="900"/></Response>')
    created = await place_call(api, Url=twiml_app.url("/voice"), Timeout="600")
    phone = f"/_sim/phones/{CALLEE}"
    await eventually(lambda: sim.phone(CALLEE).state().get("ringing"))
    assert (await api.get(phone)).json()["status"] == "ringing"
    assert (await api.post(f"{phone}/answer")).json()["ok"] is True
    await eventually(lambda: sim.phone(CALLEE).state().get("listening") == "gather")
    state = (await api.get(phone)).json()
    assert state["prompt"] == "Incident 42. Press 1 to accept."
    assert state["call_sid"] == created["sid"]
    pressed = await api.post(f"{phone}/press", json={"digits": "1"})
    assert pressed.json()["ok"] is True
    await eventually(lambda: "Accepted" in said(sim.call_log(created["sid"])))
    assert twiml_app.to("/menu")[0].params["Digits"] == "1"
    assert (await api.post(f"{phone}/press", json={"digits": "x"})).status_code == 400
    await api.post(f"{phone}/hangup")
    call = await sim.wait_for_call_end(created["sid"])
    assert call["status"] == "completed"
    idle = (await api.get(phone)).json()
    # The phone shows what its last call said after the last prompt, after it ended.
    assert idle["status"] == "idle" and idle["last_prompt"] == "Accepted"
    assert (await api.post(f"{phone}/hangup")).status_code == 409


async def test_interactive_decline_is_busy(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(mode="interactive"))
    created = await place_call(api, Url=twiml_app.url("/voice"), Timeout="600")
    await eventually(lambda: sim.phone(CALLEE).state().get("ringing"))
    assert sim.phone(CALLEE).decline() is True
    assert (await sim.wait_for_call_end(created["sid"]))["status"] == "busy"
    assert sim.phone(CALLEE).state() == {
        "number": CALLEE,
        "call_sid": None,
        "status": "idle",
        "last_prompt": "",
    }


async def test_interactive_barge_in_and_recording_upload(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route(
            "/in",
            '<Response><Gather action="/choice" timeout="600"><Say loop="0">Menu</Say></Gather>'
            "</Response>",
        ),
    )
    twiml_app.route(
        "/choice",
        '<Response><Say>Record after the beep</Say><Record action="/saved" timeout="600"/>'
        "</Response>",
    )
    sid = await sim.inbound_call(CALLER, NUMBER, PhoneScript(mode="interactive"))
    handset = sim.phone(CALLER)
    await eventually(lambda: handset.state().get("listening") == "gather")
    assert handset.press("2#")  # during the endless prompt: barge-in
    await eventually(lambda: handset.state().get("listening") == "record")
    assert handset.state()["prompt"] == "Record after the beep"
    wav = tone(4.0)
    uploaded = await api.post(
        f"/_sim/phones/{CALLER}/recording", params={"finish_key": "#"}, content=wav
    )
    assert uploaded.json()["ok"] is True
    await eventually(lambda: twiml_app.to("/saved"))
    saved = twiml_app.to("/saved")[0].params
    assert (saved["Digits"], saved["RecordingDuration"]) == ("#", "4")
    assert sim.recording(saved["RecordingSid"]) == wav
    assert twiml_app.to("/choice")[0].params["Digits"] == "2"
    await sim.wait_for_call_end(sid)
    bad = await api.post(f"/_sim/phones/{CALLER}/recording", content=b"not a wav")
    assert bad.status_code == 400


async def test_hangup_on_star_and_messages_list(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    agent = "+15556000001"
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route(
            "/in", f'<Response><Dial hangupOnStar="true" action="/after">{agent}</Dial></Response>'
        ),
    )
    sid = await sim.inbound_call(CALLER, NUMBER, PhoneScript(mode="interactive"))
    await eventually(lambda: any(e["kind"] == "bridge" for e in sim.call_log(sid)))
    assert sim.phone(CALLER).press("*")
    await eventually(lambda: twiml_app.to("/after"))
    after = twiml_app.to("/after")[0].params
    assert (after["DialCallStatus"], after["DialBridged"]) == ("completed", "true")
    assert sim.engine.calls[after["DialCallSid"]].status == "completed"
    await sim.wait_for_call_end(sid)
    await api.post(
        "/2010-04-01/Accounts/" + sim.account_sid + "/Messages.json",
        data={"To": CALLEE, "From": NUMBER, "Body": "hi"},
    )
    (message,) = (await api.get("/_sim/messages")).json()["messages"]
    assert message["body"] == "hi" and message["status_callbacks"] == []
