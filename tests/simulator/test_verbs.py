"""The simple verbs, document flow and URL resolution (spec §2.1 to §2.4)."""

from __future__ import annotations

import httpx
from starlette.responses import Response

from hotline.simulator import Simulator

from .conftest import TwimlApp, kinds, run_call, said


async def test_say_play_pause_run_in_order_then_the_call_hangs_up(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route(
        "/voice",
        '<Response><Say loop="2">Hello</Say><Play>/music.mp3</Play>'
        '<Pause length="3"/><Play digits="12w"/></Response>',
    )
    call = await run_call(sim, api, Url=url)
    log = sim.call_log(call["sid"])
    assert call["status"] == "completed"
    assert said(log) == ["Hello"]
    assert kinds(log, "say")[0]["loop"] == 2
    assert [e.get("url") or e.get("digits") for e in kinds(log, "play")] == [
        twiml_app.url("/music.mp3"),
        "12w",
    ]
    assert kinds(log, "pause")[0]["seconds"] == 3
    # Say "Hello" twice (0.5 s each) + Play 1 s + Pause 3 s + tones 0.25+0.25+0.5 s
    assert call["duration"] == "6"
    assert twiml_app.to("/music.mp3") == []  # media is never fetched


async def test_redirect_relative_urls_and_empty_redirect_loops_on_the_current_url(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    twiml_app.route("/ivr/start", "<Response><Redirect>next</Redirect></Response>")
    twiml_app.route(
        "/ivr/next", '<Response><Redirect method="GET">../other?x=1</Redirect></Response>'
    )

    def loop(hit: object) -> str:
        if len(twiml_app.to("/other")) < 3:
            return "<Response><Redirect/></Response>"
        return "<Response><Say>done</Say></Response>"

    twiml_app.route("/other", loop)
    call = await run_call(sim, api, Url=twiml_app.url("/ivr/start"))
    assert said(sim.call_log(call["sid"])) == ["done"]
    other = twiml_app.to("/other")
    assert [h.method for h in other] == ["GET", "POST", "POST"]  # empty Redirect: POST
    assert other[0].query["x"] == "1" and other[0].query["CallStatus"] == "in-progress"
    assert all(h.params.get("CallSid") == call["sid"] for h in twiml_app.to("/ivr/next"))


async def test_fragment_is_stripped_and_get_appends_params_after_the_query(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    twiml_app.route("/v", "<Response><Hangup/><Say>unreachable</Say></Response>")
    call = await run_call(sim, api, Url=twiml_app.url("/v?mine=1#rc=0"), Method="GET")
    (hit,) = twiml_app.to("/v")
    assert hit.method == "GET"
    assert hit.url.startswith(twiml_app.url("/v?mine=1&"))
    assert "#" not in hit.url and hit.query["To"]
    assert said(sim.call_log(call["sid"])) == []
    assert kinds(sim.call_log(call["sid"]), "hangup")[0]["by"] == "application"


async def test_standard_parameters(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", "<Response/>")
    call = await run_call(sim, api, Url=url)
    (hit,) = twiml_app.to("/voice")
    params = hit.params
    assert params["CallSid"] == call["sid"]
    assert params["AccountSid"] == call["account_sid"]
    assert params["ApiVersion"] == "2010-04-01"
    assert params["Direction"] == "outbound-api"
    assert params["CallStatus"] == "in-progress"
    assert params["From"] == params["Caller"] == call["from"]
    assert params["To"] == params["Called"] == call["to"]
    for geo in ("FromCity", "ToZip", "CallerCountry", "CalledState"):
        assert params[geo] == ""
    assert "ParentCallSid" not in params and "AnsweredBy" not in params
    assert hit.headers["content-type"] == "application/x-www-form-urlencoded"
    assert hit.headers["user-agent"] == "TwilioProxy/1.1"


async def test_twiml_parameter_runs_and_relative_urls_in_it_are_errors(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    ok = await run_call(sim, api, Twiml="<Response><Say>inline</Say></Response>")
    assert said(sim.call_log(ok["sid"])) == ["inline"]
    bad = await run_call(sim, api, Twiml="<Response><Gather><Say>menu</Say></Gather></Response>")
    log = sim.call_log(bad["sid"])
    assert kinds(log, "error")[0]["code"] == 11100
    assert said(log)[-1].startswith("We are sorry, an application error has occurred")


async def test_url_wins_over_twiml_on_create(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", "<Response><Say>from url</Say></Response>")
    call = await run_call(sim, api, Url=url, Twiml="<Response><Say>inline</Say></Response>")
    assert said(sim.call_log(call["sid"])) == ["from url"]


async def test_audio_response_is_played_then_the_call_ends(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/song", Response(b"ID3", media_type="audio/mpeg"))
    call = await run_call(sim, api, Url=url)
    assert kinds(sim.call_log(call["sid"]), "play")[0]["url"] == url
    assert call["status"] == "completed"


async def test_plain_text_that_is_not_twiml_is_read_aloud(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/text", Response("Service closed today.", media_type="text/plain"))
    call = await run_call(sim, api, Url=url)
    assert said(sim.call_log(call["sid"])) == ["Service closed today."]


async def test_cookies_set_by_the_app_come_back_within_the_call_only(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    def first(hit: object) -> Response:
        response = Response("<Response><Redirect>/second</Redirect></Response>")
        response.headers["content-type"] = "text/xml"
        response.set_cookie("session", "abc")
        return response

    url = twiml_app.route("/first", first)
    twiml_app.route("/second", "<Response/>")
    await run_call(sim, api, Url=url)
    await run_call(sim, api, Url=twiml_app.url("/second"))
    with_cookie, fresh = twiml_app.to("/second")
    assert with_cookie.headers.get("cookie") == "session=abc"
    assert "cookie" not in fresh.headers
