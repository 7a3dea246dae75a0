"""An inbound call can carry the carrier's STIR/SHAKEN verdict (``StirVerstat``), from the
Python API and from ``POST /_sim/inbound``; without one, the parameter is not sent at all."""

from __future__ import annotations

import httpx

from hotline.simulator import PhoneScript, Simulator

from .conftest import CALLER, NUMBER, TwimlApp

TWIML = '<Response><Gather timeout="1"><Say>Hi</Say></Gather><Redirect>/next</Redirect></Response>'


async def test_the_verdict_is_sent_with_every_request_of_the_call(
    sim: Simulator, twiml_app: TwimlApp
) -> None:
    sim.configure_number(NUMBER, voice_url=twiml_app.route("/in", TWIML))
    twiml_app.route("/next", "<Response><Hangup/></Response>")
    sid = await sim.inbound_call(
        CALLER, NUMBER, PhoneScript(), stir_verstat="TN-Validation-Passed-A"
    )
    await sim.wait_for_call_end(sid)
    hits = twiml_app.to("/in") + twiml_app.to("/next")
    assert len(hits) == 2
    assert all(hit.params["StirVerstat"] == "TN-Validation-Passed-A" for hit in hits)


async def test_an_unsigned_call_has_no_verdict(sim: Simulator, twiml_app: TwimlApp) -> None:
    sim.configure_number(NUMBER, voice_url=twiml_app.route("/in", "<Response><Hangup/></Response>"))
    await sim.wait_for_call_end(await sim.inbound_call(CALLER, NUMBER, PhoneScript()))
    [hit] = twiml_app.to("/in")
    assert "StirVerstat" not in hit.params


async def test_the_test_api_takes_the_verdict(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    sim.configure_number(NUMBER, voice_url=twiml_app.route("/in", "<Response><Hangup/></Response>"))
    made = await api.post(
        "/_sim/inbound",
        json={"from": CALLER, "to": NUMBER, "stir_verstat": "TN-Validation-Failed-B"},
    )
    assert made.status_code == 201
    await sim.wait_for_call_end(made.json()["call_sid"])
    [hit] = twiml_app.to("/in")
    assert hit.params["StirVerstat"] == "TN-Validation-Failed-B"
