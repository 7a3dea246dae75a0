"""Application errors: HTTP errors, bad TwiML, timeouts, fallback URLs (spec §1.13, §5)."""

from __future__ import annotations

import socket

import httpx
import pytest
from starlette.responses import RedirectResponse, Response

from hotline.simulator import PhoneScript, Simulator
from hotline.simulator.documents import APPLICATION_ERROR_TEXT

from .conftest import CALLEE, CALLER, NUMBER, TwimlApp, kinds, run_call, said


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("reply", "code", "body"),
    [
        (Response("boom", status_code=500), 11217, "boom"),
        (
            Response("<Response><Say>unclosed</Response>", media_type="text/xml"),
            12100,
            "<Response><Say>unclosed</Response>",
        ),
        (
            Response("<Response><Dance/></Response>", media_type="text/xml"),
            12200,
            "<Response><Dance/></Response>",
        ),
        (Response('{"not": "twiml"}', media_type="application/json"), 12300, '{"not": "twiml"}'),
    ],
)
async def test_a_bad_document_plays_the_error_and_is_logged(
    sim: Simulator,
    api: httpx.AsyncClient,
    twiml_app: TwimlApp,
    reply: Response,
    code: int,
    body: str,
) -> None:
    call = await run_call(sim, api, Url=twiml_app.route("/voice", reply))
    log = sim.call_log(call["sid"])
    (error,) = kinds(log, "error")
    assert error["code"] == code
    assert error["document"] == body
    assert error["url"] == twiml_app.url("/voice")
    assert said(log) == [APPLICATION_ERROR_TEXT]
    assert call["status"] == "completed"


async def test_unreachable_app_and_connection_override_timeouts(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    refused = await run_call(sim, api, Url=f"http://127.0.0.1:{closed_port()}/voice#rc=0")
    assert kinds(sim.call_log(refused["sid"]), "error")[0]["code"] == 11205
    twiml_app.delay["/slow"] = 1.0
    slow = await run_call(sim, api, Url=twiml_app.url("/slow#rt=200&rc=0"))
    (error,) = kinds(sim.call_log(slow["sid"]), "error")
    assert error["code"] == 11205
    (exchange,) = kinds(sim.call_log(slow["sid"]), "webhook")
    assert exchange["ms"] < 900  # gave up after about 200 ms


async def test_connection_failures_are_retried_per_the_overrides(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    call = await run_call(sim, api, Url=f"http://127.0.0.1:{closed_port()}/voice#rc=2")
    (exchange,) = kinds(sim.call_log(call["sid"]), "webhook")
    assert exchange["attempts"] == 3
    bad = await run_call(sim, api, Url=twiml_app.url("/voice#rc=9"))
    assert "invalid" in kinds(sim.call_log(bad["sid"]), "error")[0]["message"]


async def test_too_many_redirects(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/loop", RedirectResponse("/loop", status_code=307))
    call = await run_call(sim, api, Url=url)
    assert kinds(sim.call_log(call["sid"]), "error")[0]["code"] == 11215


async def test_fallback_url_gets_the_error_and_takes_over(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", Response("down", status_code=503))
    fallback = twiml_app.route("/fallback", "<Response><Say>Backup line</Say></Response>")
    call = await run_call(sim, api, Url=url, FallbackUrl=fallback)
    (hit,) = twiml_app.to("/fallback")
    assert hit.params["ErrorCode"] == "11217"
    assert hit.params["ErrorUrl"] == url
    assert hit.params["CallSid"] == call["sid"]
    assert said(sim.call_log(call["sid"])) == ["Backup line"]


async def test_a_failing_fallback_ends_with_the_error_prompt(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", Response("down", status_code=500))
    fallback = twiml_app.route("/fallback", "<Response><Nope/></Response>")
    call = await run_call(sim, api, Url=url, FallbackUrl=fallback)
    log = sim.call_log(call["sid"])
    assert [e["code"] for e in kinds(log, "error")] == [11217, 12200]
    assert said(log) == [APPLICATION_ERROR_TEXT]


async def test_an_action_that_fails_mid_call(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.set_script(CALLEE, PhoneScript(digits=["1"]))
    twiml_app.route("/broken", Response("oops", status_code=404))
    url = twiml_app.route(
        "/voice", '<Response><Gather action="/broken"><Say>Menu</Say></Gather></Response>'
    )
    call = await run_call(sim, api, Url=url)
    assert said(sim.call_log(call["sid"])) == ["Menu", APPLICATION_ERROR_TEXT]


async def test_inbound_number_fallback_and_an_answer_before_the_error(
    sim: Simulator, twiml_app: TwimlApp
) -> None:
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route("/in", Response("no", status_code=500)),
        voice_fallback_url=twiml_app.route("/in-fallback", "<Response><Say>Sorry</Say></Response>"),
    )
    call = await sim.wait_for_call_end(await sim.inbound_call(CALLER, NUMBER))
    assert said(sim.call_log(call["sid"])) == ["Sorry"]
    sim.configure_number(NUMBER, voice_url=twiml_app.url("/in"))
    failed = await sim.wait_for_call_end(await sim.inbound_call(CALLER, NUMBER))
    assert failed["status"] == "completed" and failed["start_time"] is not None
    assert said(sim.call_log(failed["sid"])) == [APPLICATION_ERROR_TEXT]
