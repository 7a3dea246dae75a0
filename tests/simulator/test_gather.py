"""<Gather>: input, fall-through, default action, finishOnKey, numDigits (spec §1.4, §2.2)."""

from __future__ import annotations

import httpx

from hotline.simulator import PhoneScript, Simulator

from .conftest import CALLEE, Hit, TwimlApp, kinds, run_call, said


def menu(hit: Hit) -> str:
    """The same URL serves the menu and, with Digits, the answer (default action)."""
    if "Digits" in hit.params:
        return f"<Response><Say>You chose {hit.params['Digits']}</Say></Response>"
    return (
        '<Response><Gather numDigits="1"><Say>Press 1 or 2</Say></Gather>'
        "<Say>We did not hear you</Say></Response>"
    )


async def test_digits_go_to_the_current_document_url_by_default(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(digits=["2"]))
    call = await run_call(sim, api, Url=twiml_app.route("/menu", menu))
    first, action = twiml_app.to("/menu")
    assert "Digits" not in first.params
    assert action.params["Digits"] == "2"
    assert action.params["FinishedOnKey"] == ""
    assert action.params["CallStatus"] == "in-progress"
    assert said(sim.call_log(call["sid"])) == ["Press 1 or 2", "You chose 2"]


async def test_no_input_falls_through_to_the_next_verb(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    call = await run_call(sim, api, Url=twiml_app.route("/menu", menu))
    assert len(twiml_app.to("/menu")) == 1  # no action request
    log = sim.call_log(call["sid"])
    assert said(log) == ["Press 1 or 2", "We did not hear you"]
    assert kinds(log, "timeout")[0]["prompt"] == "gather"


async def test_pressing_too_late_is_a_timeout(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(digits=["1"], think_time=6))
    call = await run_call(sim, api, Url=twiml_app.route("/menu", menu))
    assert said(sim.call_log(call["sid"]))[-1] == "We did not hear you"


async def test_finish_on_key_and_num_digits(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    gathers = ["", 'numDigits="2"', 'finishOnKey="*"', 'finishOnKey=""']
    for i, attributes in enumerate(gathers):
        twiml_app.route(f"/p{i}", f'<Response><Gather action="/p{i + 1}" {attributes}/></Response>')
    sim.set_script(CALLEE, PhoneScript(digits=["12#", "345", "9*", "77#"]))
    await run_call(sim, api, Url=twiml_app.url("/p0"))
    got = [(h.params["Digits"], h.params["FinishedOnKey"]) for h in twiml_app.hits[1:]]
    assert got == [("12", "#"), ("34", ""), ("9", "*"), ("77#", "")]


async def test_finish_key_alone_falls_through_unless_action_on_empty_result(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    twiml_app.route(
        "/start",
        '<Response><Gather action="/a"/><Gather action="/b" actionOnEmptyResult="true"/>'
        "</Response>",
    )
    sim.set_script(CALLEE, PhoneScript(digits=["#", None]))
    await run_call(sim, api, Url=twiml_app.url("/start"))
    assert twiml_app.to("/a") == []
    (empty,) = twiml_app.to("/b")
    assert empty.params["Digits"] == ""


async def test_a_bare_gather_without_input_ends_the_call(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    call = await run_call(sim, api, Url=twiml_app.route("/g", "<Response><Gather/></Response>"))
    assert call["status"] == "completed"
    assert call["duration"] == "5"  # the default timeout, in simulated seconds


async def test_each_prompt_consumes_one_script_entry_and_relative_actions_resolve(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    gather = (
        '<Response><Gather action="answer" numDigits="1"><Say>Q</Say></Gather>'
        "<Redirect>q1</Redirect></Response>"
    )
    twiml_app.route("/quiz/q1", gather)
    twiml_app.route(
        "/quiz/answer", lambda hit: "<Response/>" if hit.params["Digits"] == "3" else gather
    )
    sim.set_script(CALLEE, PhoneScript(digits=["1", None, "3"]))
    await run_call(sim, api, Url=twiml_app.url("/quiz/q1"))
    assert [h.params.get("Digits") for h in twiml_app.to("/quiz/answer")] == ["1", "3"]
    assert len(twiml_app.to("/quiz/q1")) == 2  # the silent prompt fell through to <Redirect>


async def test_hang_up_at_a_prompt_sends_no_action(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(digits=["1"], hangup_at_prompt=1))
    call = await run_call(sim, api, Url=twiml_app.route("/menu", menu))
    assert len(twiml_app.to("/menu")) == 1
    assert call["status"] == "completed"
    assert "We did not hear you" not in said(sim.call_log(call["sid"]))
