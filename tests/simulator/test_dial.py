"""<Dial> of numbers: child legs, timeout default 30, screening, results (spec §1.8, §1.15)."""

from __future__ import annotations

import httpx
import pytest

from hotline.simulator import PhoneScript, Simulator

from .conftest import CALLEE, CALLER, NUMBER, TwimlApp, kinds, run_call, said

AGENT = "+15556000001"
AGENT2 = "+15556000002"


def dial(inner: str, **attributes: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f"<Response><Dial{attrs}>{inner}</Dial><Say>after dial</Say></Response>"


async def test_bridge_then_the_action_gets_the_dial_result(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(AGENT, PhoneScript(answer_after=3, hangup_after=20))
    url = twiml_app.route("/voice", dial(AGENT, action="/dialed", callerId="+15550009999"))
    twiml_app.route("/dialed", "<Response><Say>Bye</Say></Response>")
    call = await run_call(sim, api, Url=url)
    (action,) = twiml_app.to("/dialed")
    child = next(c for c in sim.calls if c["parent_call_sid"] == call["sid"])
    assert action.params["DialCallStatus"] == "completed"
    assert action.params["DialCallSid"] == child["sid"]
    assert action.params["DialCallDuration"] == "20" == child["duration"]
    assert action.params["DialBridged"] == "true"
    assert action.params["CallStatus"] == "in-progress"
    assert action.params["CallSid"] == call["sid"]
    assert child["direction"] == "outbound-dial"
    assert child["from"] == "+15550009999" and child["to"] == AGENT
    assert said(sim.call_log(call["sid"])) == ["Bye"]  # the action took over
    legs = {entry["leg"] for entry in sim.call_log(call["sid"])}
    assert legs == {call["sid"], child["sid"]}


async def test_dial_timeout_defaults_to_30_unlike_the_rest_timeout_of_60(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    slow = PhoneScript(answer_after=45)
    sim.set_script(AGENT, slow)
    sim.set_script(CALLEE, slow)
    url = twiml_app.route("/voice", dial(AGENT, action="/dialed"))
    call = await run_call(sim, api, Url=url)  # the API call rings 60 s: answered at 45
    assert call["status"] == "completed"
    (action,) = twiml_app.to("/dialed")  # the Dial rings 30 s: no answer
    assert action.params["DialCallStatus"] == "no-answer"
    assert action.params["DialBridged"] == "false"
    assert "DialCallDuration" not in action.params
    child = sim.engine.calls[action.params["DialCallSid"]]
    assert child.status == "no-answer"
    dialed = kinds(sim.call_log(call["sid"]), "dial")[0]
    result = kinds(sim.call_log(call["sid"]), "dial-result")[0]
    assert result["t"] - dialed["t"] == pytest.approx(30, abs=0.2)


async def test_without_action_the_next_verb_runs(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(AGENT, PhoneScript(mode="busy"))
    call = await run_call(sim, api, Url=twiml_app.route("/voice", dial(AGENT)))
    log = sim.call_log(call["sid"])
    assert said(log) == ["after dial"]
    assert kinds(log, "dial-result")[0]["DialCallStatus"] == "busy"


async def test_screening_url_runs_on_the_callee_and_can_refuse_the_bridge(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    twiml_app.route(
        "/screen",
        '<Response><Gather action="/screened" numDigits="1"><Say>Press 1 to accept</Say>'
        "</Gather><Hangup/></Response>",
    )
    twiml_app.route(
        "/screened",
        lambda hit: (
            "<Response/>" if hit.params["Digits"] == "1" else "<Response><Hangup/></Response>"
        ),
    )
    number = '<Number url="screen">' + AGENT + "</Number>"
    url = twiml_app.route("/calls/voice", dial(number, action="/dialed"))
    twiml_app.route("/calls/screen", twiml_app.replies["/screen"])
    sim.set_script(AGENT, PhoneScript(digits=["1"], hangup_after=10))
    await run_call(sim, api, Url=url)
    sim.set_script(AGENT, PhoneScript(digits=["2"]))
    await run_call(sim, api, Url=url)
    accepted, refused = twiml_app.to("/dialed")
    assert accepted.params["DialBridged"] == "true"
    assert (refused.params["DialCallStatus"], refused.params["DialBridged"]) == (
        "completed",
        "false",
    )
    screen = twiml_app.to("/calls/screen")[0].params
    assert screen["Direction"] == "outbound-dial"
    assert screen["ParentCallSid"] == accepted.params["CallSid"]
    assert screen["CallSid"] == accepted.params["DialCallSid"]
    assert screen["To"] == AGENT


async def test_caller_hanging_up_ends_the_child_leg(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", dial(AGENT, action="/dialed"))
    sim.set_script(CALLEE, PhoneScript(hangup_after=10))
    sim.set_script(AGENT, PhoneScript(answer_after=20))  # still ringing at 10 s
    ringing = await run_call(sim, api, Url=url)
    sim.set_script(AGENT, PhoneScript(answer_after=2))  # bridged at 10 s
    bridged = await run_call(sim, api, Url=url)
    await sim.idle(timeout=5)
    children = {c["parent_call_sid"]: c for c in sim.calls if c["parent_call_sid"]}
    assert children[ringing["sid"]]["status"] == "canceled"
    assert children[bridged["sid"]]["status"] == "completed"
    assert children[bridged["sid"]]["duration"] == "8"
    assert twiml_app.to("/dialed") == []  # the session is over


async def test_numbers_are_dialled_at_once_and_the_first_to_answer_wins(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(AGENT, PhoneScript(answer_after=8))
    sim.set_script(AGENT2, PhoneScript(answer_after=3, hangup_after=5))
    nouns = (
        f'<Number statusCallback="/child" statusCallbackEvent="ringing answered completed">'
        f"{AGENT}</Number><Number>{AGENT2}</Number>"
    )
    url = twiml_app.route("/voice", dial(nouns, action="/dialed"))
    call = await run_call(sim, api, Url=url)
    await sim.idle(timeout=5)
    (action,) = twiml_app.to("/dialed")
    children = {c["to"]: c for c in sim.calls if c["parent_call_sid"] == call["sid"]}
    assert action.params["DialCallSid"] == children[AGENT2]["sid"]
    assert children[AGENT]["status"] == "canceled"
    assert [h.params["CallStatus"] for h in twiml_app.to("/child")] == ["ringing", "canceled"]
    assert all(h.params["ParentCallSid"] == call["sid"] for h in twiml_app.to("/child"))


async def test_time_limit_ends_the_bridge(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", dial(AGENT, action="/dialed", timeLimit="90"))
    await run_call(sim, api, Url=url)
    (action,) = twiml_app.to("/dialed")
    assert action.params["DialCallDuration"] == "90"


async def test_inbound_caller_dials_an_agent(sim: Simulator, twiml_app: TwimlApp) -> None:
    sim.configure_number(
        NUMBER, voice_url=twiml_app.route("/in", dial(f"<Number>{AGENT}</Number>"))
    )
    sim.set_script(AGENT, PhoneScript(hangup_after=5))
    call = await sim.wait_for_call_end(await sim.inbound_call(CALLER, NUMBER))
    child = next(c for c in sim.calls if c["parent_call_sid"] == call["sid"])
    assert child["from"] == CALLER  # the caller's own caller ID by default
    assert said(sim.call_log(call["sid"])) == ["after dial"]
