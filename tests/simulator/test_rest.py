"""The REST subset over HTTP: shapes, errors, paging, numbers, messages (spec §3)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hotline.simulator import Simulator
from hotline.simulator.resources import API

from .conftest import ACCOUNT_SID, CALLEE, CALLS, NUMBER, TwimlApp, place_call

BASE = f"{API}/Accounts/{ACCOUNT_SID}"
META_KEYS = {
    "end",
    "first_page_uri",
    "next_page_uri",
    "last_page_uri",
    "page",
    "page_size",
    "previous_page_uri",
    "total",
    "num_pages",
    "start",
    "uri",
}


def legacy_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert (body["code"], body["status"]) == (code, status)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


async def test_authentication(sim: Simulator, api: httpx.AsyncClient) -> None:
    transport = httpx.ASGITransport(app=sim.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as anonymous:
        missing = await anonymous.get(CALLS)
        legacy_error(missing, 401, 20003)
        assert missing.headers["www-authenticate"].startswith("Basic")
        wrong = await anonymous.get(CALLS, auth=(ACCOUNT_SID, "wrong-token"))
        legacy_error(wrong, 401, 20003)
        legacy_error(await anonymous.get("/_sim/calls"), 401, 20003)
    assert (await api.get(CALLS)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/Calls/CA00000000000000000000000000000000.json",
        f"{BASE}/Calls",
        f"{BASE}/Nothing.json",
        f"{API}/Accounts/AC11111111111111111111111111111111/Calls.json",
        f"{BASE}/Recordings/RE00000000000000000000000000000000.wav",
        f"{BASE}/Messages/SM00000000000000000000000000000000.json",
    ],
)
async def test_unknown_resources(api: httpx.AsyncClient, path: str) -> None:
    legacy_error(await api.get(path), 404, 20404)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"From": NUMBER, "Url": "http://x.test/v"}, 21201),
        ({"To": CALLEE, "Url": "http://x.test/v"}, 21213),
        ({"To": CALLEE, "From": NUMBER}, 21205),
        ({"To": CALLEE, "From": NUMBER, "Url": "not a url"}, 21205),
        ({"To": "12345", "From": NUMBER, "Url": "http://x.test/v"}, 21211),
        ({"To": CALLEE, "From": "bob", "Url": "http://x.test/v"}, 21212),
        ({"To": CALLEE, "From": NUMBER, "Url": "http://x.test/v", "Timeout": "x"}, 20001),
        ({"To": CALLEE, "From": NUMBER, "Url": "http://x.test/v", "Method": "PUT"}, 20001),
        (
            {
                "To": CALLEE,
                "From": NUMBER,
                "Url": "http://x.test/v",
                "StatusCallbackEvent": "hung-up",
            },
            20001,
        ),
    ],
)
async def test_bad_call_requests(api: httpx.AsyncClient, fields: dict[str, str], code: int) -> None:
    legacy_error(await api.post(CALLS, data=fields), 400, code)


async def test_call_resource_shape(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    created = await place_call(api, Url=twiml_app.url("/voice"))
    assert created["status"] == "queued"
    assert created["direction"] == "outbound-api"
    assert created["sid"].startswith("CA") and len(created["sid"]) == 34
    assert created["uri"] == f"{BASE}/Calls/{created['sid']}.json"
    assert created["to_formatted"] == "(555) 700-0001"
    assert (
        created["subresource_uris"]["recordings"]
        == f"{BASE}/Calls/{created['sid']}/Recordings.json"
    )
    assert created["phone_number_sid"] == sim.engine.numbers[NUMBER].sid
    assert created["start_time"] is None and created["duration"] is None
    await sim.wait_for_call_end(created["sid"])
    fetched = (await api.get(f"{BASE}/Calls/{created['sid']}.json")).json()
    assert fetched["status"] == "completed"
    assert fetched["start_time"].endswith("+0000") and fetched["duration"] == "0"
    legacy_error(await api.put(f"{BASE}/Calls/{created['sid']}.json"), 405, 20004)


async def test_list_envelope_filters_and_paging(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    made = [await place_call(api, Url=twiml_app.url("/voice")) for _ in range(5)]
    await place_call(api, To="+15557000999", Url=twiml_app.url("/voice"))
    await sim.idle(timeout=5)
    page = (await api.get(CALLS, params={"To": CALLEE, "PageSize": "2"})).json()
    assert set(page) - META_KEYS == {"calls"}
    assert [c["sid"] for c in page["calls"]] == [made[4]["sid"], made[3]["sid"]]  # newest first
    assert page["page"] == 0 and page["page_size"] == 2 and page["previous_page_uri"] is None
    sids = [c["sid"] for c in page["calls"]]
    while page["next_page_uri"]:
        assert page["next_page_uri"].startswith(f"{BASE}/Calls.json?")
        assert parse_qs(urlsplit(page["next_page_uri"]).query)["To"] == [CALLEE]
        page = (await api.get(page["next_page_uri"])).json()
        sids += [c["sid"] for c in page["calls"]]
    assert sids == [c["sid"] for c in reversed(made)]
    completed = (await api.get(CALLS, params={"Status": "completed", "From": NUMBER})).json()
    assert len(completed["calls"]) == 6


async def test_delete_only_ended_calls(
    sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp
) -> None:
    twiml_app.route("/voice", '<Response><Pause length="600"/></Response>')
    live = await place_call(api, Url=twiml_app.url("/voice"))
    legacy_error(await api.delete(f"{BASE}/Calls/{live['sid']}.json"), 400, 21220)
    await api.post(f"{BASE}/Calls/{live['sid']}.json", data={"Status": "completed"})
    await sim.wait_for_call_end(live["sid"])
    assert (await api.delete(f"{BASE}/Calls/{live['sid']}.json")).status_code == 204
    legacy_error(await api.get(f"{BASE}/Calls/{live['sid']}.json"), 404, 20404)
    assert (await api.get(CALLS)).json()["calls"] == []


async def test_messages(sim: Simulator, api: httpx.AsyncClient, twiml_app: TwimlApp) -> None:
    response = await api.post(
        f"{BASE}/Messages.json",
        data={
            "To": CALLEE,
            "From": NUMBER,
            "Body": "Incident 42 accepted",
            "StatusCallback": twiml_app.url("/sms-status"),
        },
    )
    assert response.status_code == 201
    message = response.json()
    assert message["status"] == "queued" and message["sid"].startswith("SM")
    assert message["body"] == "Incident 42 accepted" and message["num_segments"] == "1"
    await sim.idle(timeout=5)
    assert sim.messages[0]["status"] == "delivered"
    statuses = [h.params["MessageStatus"] for h in twiml_app.to("/sms-status")]
    assert statuses == ["sent", "delivered"]
    listed = (await api.get(f"{BASE}/Messages.json", params={"To": CALLEE})).json()
    assert set(listed) - META_KEYS == {"messages"} and len(listed["messages"]) == 1
    assert (await api.get(f"{BASE}/Messages.json", params={"To": NUMBER})).json()["messages"] == []
    fetched = (await api.get(f"{BASE}/Messages/{message['sid']}.json")).json()
    assert fetched["status"] == "delivered" and fetched["date_sent"] is not None
    for fields, code in [
        ({"From": NUMBER, "Body": "x"}, 21604),
        ({"To": CALLEE, "Body": "x"}, 21603),
        ({"To": CALLEE, "From": NUMBER}, 21602),
    ]:
        legacy_error(await api.post(f"{BASE}/Messages.json", data=fields), 400, code)


async def test_incoming_phone_numbers(sim: Simulator, api: httpx.AsyncClient) -> None:
    sim.configure_number("+15550000002")
    listed = (
        await api.get(f"{BASE}/IncomingPhoneNumbers.json", params={"PhoneNumber": NUMBER})
    ).json()
    assert set(listed) - META_KEYS == {"incoming_phone_numbers"}
    (number,) = listed["incoming_phone_numbers"]
    assert number["phone_number"] == NUMBER and number["sid"].startswith("PN")
    assert number["capabilities"]["voice"] is True
    uri = f"{BASE}/IncomingPhoneNumbers/{number['sid']}.json"
    updated = await api.post(
        uri,
        data={
            "VoiceUrl": "http://app.test/voice/incoming",
            "VoiceMethod": "GET",
            "StatusCallback": "http://app.test/status",
            "VoiceFallbackUrl": "http://app.test/fb",
        },
    )
    assert updated.status_code == 200
    assert updated.json()["voice_url"] == "http://app.test/voice/incoming"
    owned = sim.engine.numbers[NUMBER]
    assert (owned.voice_url, owned.voice_method) == ("http://app.test/voice/incoming", "GET")
    assert owned.status_callback == "http://app.test/status"
    assert owned.voice_fallback_url == "http://app.test/fb"
    assert (await api.post(uri, data={"VoiceUrl": ""})).json()["voice_url"] == ""
    assert (await api.get(uri)).json()["voice_url"] == ""
    everything = (await api.get(f"{BASE}/IncomingPhoneNumbers.json")).json()
    assert len(everything["incoming_phone_numbers"]) == 2
