"""The official twilio-python client works against the simulator unchanged (spec §3.7),
served over real HTTP, at the root and mounted under a prefix inside another app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from hotline.simulator import PhoneScript, Simulator

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLEE,
    NUMBER,
    TwimlApp,
    eventually,
    kinds,
    serve,
    stop,
    tone,
)


@pytest.fixture(params=["root", "mounted"])
async def client(request: pytest.FixtureRequest, sim: Simulator) -> AsyncIterator[Client]:
    """A twilio Client whose ``api.base_url`` points at the served simulator."""
    if request.param == "root":
        server, task, base = await serve(sim.asgi)
    else:
        server, task, base = await serve(Starlette(routes=[Mount("/simulator", app=sim.asgi)]))
        base += "/simulator"
    twilio = Client(ACCOUNT_SID, AUTH_TOKEN)
    twilio.api.base_url = base
    try:
        yield twilio
    finally:
        await stop(server, task)


async def test_calls_create_fetch_list_update(
    sim: Simulator, client: Client, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", "<Response><Say>Hello</Say></Response>")
    call = await asyncio.to_thread(
        client.calls.create,
        to=CALLEE,
        from_=NUMBER,
        url=url,
        status_callback=twiml_app.url("/status"),
        status_callback_event=["initiated", "answered", "completed"],
        machine_detection="Enable",
        timeout=20,
    )
    assert call.status == "queued" and call.direction == "outbound-api"
    await sim.wait_for_call_end(call.sid)
    fetched = await asyncio.to_thread(client.calls(call.sid).fetch)
    assert fetched.status == "completed"
    assert fetched.answered_by == "human"
    assert fetched.start_time is not None and fetched.end_time >= fetched.start_time
    assert [h.params["CallStatus"] for h in twiml_app.to("/status")] == [
        "initiated",
        "in-progress",
        "completed",
    ]
    for _ in range(3):
        made = await asyncio.to_thread(client.calls.create, to=CALLEE, from_=NUMBER, url=url)
        await sim.wait_for_call_end(made.sid)
    listed = await asyncio.to_thread(client.calls.list, to=CALLEE, page_size=2)
    assert len(listed) == 4  # followed next_page_uri across two pages
    assert len(await asyncio.to_thread(client.calls.list, status="completed", limit=3)) == 3


async def test_update_redirects_and_hangs_up_a_live_call(
    sim: Simulator, client: Client, twiml_app: TwimlApp
) -> None:
    url = twiml_app.route("/voice", '<Response><Pause length="600"/></Response>')
    call = await asyncio.to_thread(client.calls.create, to=CALLEE, from_=NUMBER, url=url)
    await eventually(lambda: kinds(sim.call_log(call.sid), "pause"))
    moved = twiml_app.route("/moved", '<Response><Say>Moved</Say><Pause length="600"/></Response>')
    await asyncio.to_thread(client.calls(call.sid).update, url=moved, method="POST")
    await eventually(lambda: twiml_app.to("/moved"))
    ended = await asyncio.to_thread(client.calls(call.sid).update, status="completed")
    assert ended.sid == call.sid
    final = await sim.wait_for_call_end(call.sid)
    assert final["status"] == "completed"
    assert await asyncio.to_thread(client.calls(call.sid).delete) is True


async def test_messages_recordings_and_numbers(
    sim: Simulator, client: Client, twiml_app: TwimlApp
) -> None:
    message = await asyncio.to_thread(
        client.messages.create, to=CALLEE, from_=NUMBER, body="Paged: disk full"
    )
    assert message.status == "queued"
    await sim.idle(timeout=5)
    (listed,) = await asyncio.to_thread(client.messages.list, to=CALLEE)
    assert listed.status == "delivered" and listed.body == "Paged: disk full"

    sim.set_script(CALLEE, PhoneScript(recording=tone(3.0), digits=["#"]))
    url = twiml_app.route("/voice", '<Response><Record action="/saved"/></Response>')
    call = await asyncio.to_thread(client.calls.create, to=CALLEE, from_=NUMBER, url=url)
    await sim.wait_for_call_end(call.sid)
    (saved,) = twiml_app.to("/saved")
    recording = await asyncio.to_thread(client.recordings(saved.params["RecordingSid"]).fetch)
    assert recording.duration == "3" and recording.call_sid == call.sid
    assert saved.params["RecordingUrl"].startswith(client.api.base_url)

    (number,) = await asyncio.to_thread(client.incoming_phone_numbers.list, phone_number=NUMBER)
    updated = await asyncio.to_thread(number.update, voice_url="http://app.test/voice/incoming")
    assert updated.voice_url == "http://app.test/voice/incoming"
    assert sim.engine.numbers[NUMBER].voice_url == "http://app.test/voice/incoming"


async def test_errors_raise_twilio_rest_exceptions(sim: Simulator, client: Client) -> None:
    with pytest.raises(TwilioRestException) as missing_to:
        await asyncio.to_thread(client.calls.create, to="", from_=NUMBER, url="http://x.test/v")
    assert (missing_to.value.status, missing_to.value.code) == (400, 21201)
    with pytest.raises(TwilioRestException) as missing_url:
        await asyncio.to_thread(client.calls.create, to=CALLEE, from_=NUMBER)
    assert missing_url.value.code == 21205
    with pytest.raises(TwilioRestException) as unknown:
        await asyncio.to_thread(client.calls("CA" + "0" * 32).fetch)
    assert (unknown.value.status, unknown.value.code) == (404, 20404)
    intruder = Client(ACCOUNT_SID, "not-the-token")
    intruder.api.base_url = client.api.base_url
    with pytest.raises(TwilioRestException) as denied:
        await asyncio.to_thread(intruder.calls.create, to=CALLEE, from_=NUMBER, url="http://x.test")
    assert (denied.value.status, denied.value.code) == (401, 20003)
