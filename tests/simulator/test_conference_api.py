"""The Conference REST resource: fetch, list, announce to the room, end (spec §3.5)."""

from __future__ import annotations

from typing import Any

import httpx

from hotline.simulator import PhoneScript, Simulator

from .conftest import ACCOUNT_SID, CALLER, NUMBER, TwimlApp, eventually, kinds, said

SECOND_CALLER = "+15558000002"
ROOM = (
    '<Response><Dial action="/conf-done"><Conference statusCallback="/conf"'
    ' statusCallbackEvent="start end join leave">standup</Conference></Dial></Response>'
)
CONFERENCES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences"


async def two_in_the_room(
    sim: Simulator, twiml_app: TwimlApp, seconds: int = 2000
) -> tuple[str, str, str]:
    """Two callers bridged in ``standup``: their CallSids and the ConferenceSid."""
    sim.configure_number(NUMBER, voice_url=twiml_app.route("/in", ROOM))
    first = await sim.inbound_call(CALLER, NUMBER, PhoneScript(hangup_after=seconds))
    second = await sim.inbound_call(SECOND_CALLER, NUMBER, PhoneScript(hangup_after=seconds))
    await eventually(lambda: kinds(sim.call_log(second), "bridge"))
    sid = kinds(sim.call_log(first), "conference")[0]["conference_sid"]
    return first, second, str(sid)


async def test_an_announcement_is_fetched_once_and_heard_by_everyone(
    sim: Simulator, twiml_app: TwimlApp, api: httpx.AsyncClient
) -> None:
    first, second, sid = await two_in_the_room(sim, twiml_app)
    twiml_app.route("/announce", '<Response><Redirect method="GET">/more</Redirect></Response>')
    twiml_app.route("/more", "<Response><Say>Agent One joined.</Say><Pause/></Response>")
    response = await api.post(
        f"{CONFERENCES}/{sid}.json", data={"AnnounceUrl": twiml_app.url("/announce")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "in-progress"
    assert response.json()["friendly_name"] == "standup"
    await eventually(lambda: "Agent One joined." in said(sim.call_log(second)))
    await eventually(lambda: "Agent One joined." in said(sim.call_log(first)))
    [fetch] = twiml_app.to("/announce")
    assert fetch.method == "POST" and fetch.params["ConferenceSid"] == sid
    assert fetch.params["FriendlyName"] == "standup"
    assert [h.method for h in twiml_app.to("/more")] == ["GET"]
    log = sim.call_log(first)
    joined = next(i for i, e in enumerate(log) if e["kind"] == "bridge")
    heard = next(i for i, e in enumerate(log) if e.get("text") == "Agent One joined.")
    assert joined < heard  # heard while bridged in the room


async def test_a_bad_announcement_is_logged_and_nobody_hears_it(
    sim: Simulator, twiml_app: TwimlApp, api: httpx.AsyncClient
) -> None:
    first, _, sid = await two_in_the_room(sim, twiml_app)
    twiml_app.route("/announce", "<Response><Gather/></Response>")
    url = twiml_app.url("/announce")
    response = await api.post(f"{CONFERENCES}/{sid}.json", data={"AnnounceUrl": url})
    assert response.status_code == 200
    await eventually(lambda: kinds(sim.call_log(first), "error"))
    assert kinds(sim.call_log(first), "error")[0]["code"] == 12200
    assert kinds(sim.call_log(first), "say") == []


async def test_bad_requests_and_unknown_or_ended_conferences(
    sim: Simulator, twiml_app: TwimlApp, api: httpx.AsyncClient
) -> None:
    unknown = await api.post(f"{CONFERENCES}/CF{'0' * 32}.json", data={"AnnounceUrl": "http://x/"})
    assert unknown.status_code == 404 and unknown.json()["code"] == 20404
    first, second, sid = await two_in_the_room(sim, twiml_app, seconds=20)
    empty = await api.post(f"{CONFERENCES}/{sid}.json", data={})
    assert empty.status_code == 400
    wrong = await api.post(f"{CONFERENCES}/{sid}.json", data={"Status": "in-progress"})
    assert wrong.status_code == 400
    await sim.wait_for_call_end(first)
    await sim.wait_for_call_end(second)
    url = twiml_app.url("/announce")
    ended = await api.post(f"{CONFERENCES}/{sid}.json", data={"AnnounceUrl": url})
    assert ended.status_code == 404
    fetched = await api.get(f"{CONFERENCES}/{sid}.json")
    assert fetched.status_code == 200
    body: dict[str, Any] = fetched.json()
    assert body["status"] == "completed"
    assert body["reason_conference_ended"] == "last-participant-left"
    listed = await api.get(f"{CONFERENCES}.json", params={"FriendlyName": "standup"})
    assert [c["sid"] for c in listed.json()["conferences"]] == [sid]
    assert twiml_app.to("/announce") == []


async def test_status_completed_ends_the_room(
    sim: Simulator, twiml_app: TwimlApp, api: httpx.AsyncClient
) -> None:
    twiml_app.route("/conf-done", "<Response><Say>The meeting ended</Say></Response>")
    first, second, sid = await two_in_the_room(sim, twiml_app)
    response = await api.post(f"{CONFERENCES}/{sid}.json", data={"Status": "completed"})
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["reason_conference_ended"] == "conference-ended-via-api"
    for leg in (first, second):
        await sim.wait_for_call_end(leg)
        assert said(sim.call_log(leg)) == ["The meeting ended"]
    await sim.idle(timeout=5)
    [end] = [
        h.params
        for h in twiml_app.to("/conf")
        if h.params["StatusCallbackEvent"] == "conference-end"
    ]
    assert end["ReasonConferenceEnded"] == "conference-ended-via-api"
    assert "CallSidEndingConference" not in end
