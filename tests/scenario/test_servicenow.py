"""ServiceNow in and out: a business rule posts an incident, Hotline pages and writes back."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import pytest

from tests.scenario.conftest import Hotline, running_hotline
from tests.scenario.test_pageout import AGENT1, AGENT2, AGENT3, ANY_KEY, directory
from tests.support.servicenow_server import FakeServiceNow

SECRET = "webhook-secret-0123456789abcdef"
SYS_ID = "9d385017c611228701d22104cc95c371"
BOSS_SN_USER = "46d44a23a9fe19810012d100cca80666"


@pytest.fixture
async def servicenow() -> AsyncIterator[FakeServiceNow]:
    async with FakeServiceNow() as sn:
        sn.add_incident(SYS_ID, "INC0010042")
        yield sn


@pytest.fixture
async def hotline_sn(database_url: str, servicenow: FakeServiceNow) -> AsyncIterator[Hotline]:
    async with running_hotline(
        database_url,
        servicenow_instance_url=servicenow.url,
        servicenow_username=servicenow.username,
        servicenow_password=servicenow.password,
        servicenow_webhook_secret=SECRET,
    ) as running:
        yield running


def business_rule_body(**fields: object) -> bytes:
    payload = {
        "sys_id": SYS_ID,
        "number": "INC0010042",
        "short_description": "Payments API returns 500 & times out",
        "description": "Since 09:00; customers cannot pay.",
        "urgency": "1",
        "priority": "1",
        "assignment_group": "Payments",
        **fields,
    }
    return json.dumps(payload).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hotline-Signature": f"sha256={mac}", "Content-Type": "application/json"}


async def post(h: Hotline, body: bytes, headers: dict[str, str]):
    return await h.api.post("/integrations/servicenow/incidents", content=body, headers=headers)


async def wait_for_notes(sn: FakeServiceNow, count: int, within: float = 20) -> list[str]:
    for _ in range(int(within / 0.05)):
        notes = sn.notes(SYS_ID)
        if len(notes) >= count:
            return notes
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {sn.notes(SYS_ID)}")


async def test_work_notes_for_every_attempt_in_order_and_assignment(
    hotline_sn: Hotline, servicenow: FakeServiceNow
) -> None:
    h = hotline_sn
    await directory(h)
    await h.container.directory.put_person(
        "Agent Three",
        __import__("hotline.services.inputs", fromlist=["PersonIn"]).PersonIn(
            name="Agent Three",
            servicenow_user_id=BOSS_SN_USER,
            phones=[{"number": AGENT3, "sms": True}],
        ),
    )
    h.phone(AGENT1, mode="no-answer")
    h.phone(AGENT2, digits=[ANY_KEY, "2"])
    h.phone(AGENT3, digits=[ANY_KEY, "1"])
    body = business_rule_body()
    response = await post(h, body, signed(body))
    assert response.status_code == 201, response.text
    incident = await h.settled(response.json()["id"])
    assert incident["status"] == "accepted"
    assert incident["source"] == "servicenow"
    assert incident["external_number"] == "INC0010042"
    notes = await wait_for_notes(servicenow, 4)
    assert len(notes) == 4
    assert "Agent One" in notes[0] and "did not answer" in notes[0]
    assert "Agent Two" in notes[1] and "passed to the next person (pressed 2)" in notes[1]
    assert "Agent Three" in notes[2] and "accepted (pressed 1)" in notes[2]
    assert "accepted by Agent Three" in notes[3]
    fields = servicenow.incidents[SYS_ID]
    assert fields["assigned_to"] == BOSS_SN_USER
    assert fields["state"] == "2"

    # The business rule fires again for the same incident: nobody is paged twice.
    calls_before = len(h.simulator.calls)
    again = await post(h, body, signed(body))
    assert again.status_code == 200
    assert again.json() == {"id": incident["id"], "status": "accepted", "created": False}
    await asyncio.sleep(0.2)
    assert len(h.simulator.calls) == calls_before


async def test_servicenow_down_for_a_while_delays_notes_but_never_calls(
    hotline_sn: Hotline, servicenow: FakeServiceNow
) -> None:
    h = hotline_sn
    await directory(h)
    h.phone(AGENT1, mode="busy")
    h.phone(AGENT2, digits=[ANY_KEY, "1"])
    servicenow.fail_next(3, status=500)
    body = business_rule_body()
    response = await post(h, body, signed(body))
    incident = await h.settled(response.json()["id"])
    assert incident["status"] == "accepted"  # the ladder never waited for ServiceNow
    notes = await wait_for_notes(servicenow, 3, within=30)
    assert "was busy" in notes[0]
    assert "accepted (pressed 1)" in notes[1]
    assert "accepted by Agent Two" in notes[2]
    assert len(servicenow.requests) == 3 + 3  # three refused, then each note once


async def test_forged_or_malformed_business_rule_posts_are_refused(
    hotline_sn: Hotline,
) -> None:
    h = hotline_sn
    await directory(h)
    body = business_rule_body()
    unsigned = await post(h, body, {"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "unauthorized"
    wrong = await post(h, body, signed(body, secret="another-secret-0123456789"))
    assert wrong.status_code == 401
    tampered = await post(h, body.replace(b"Payments", b"Paymentz"), signed(body))
    assert tampered.status_code == 401
    bad = business_rule_body(sys_id="not-a-sys-id")
    invalid = await post(h, bad, signed(bad))
    assert invalid.status_code == 422
    assert "sys_id" in invalid.json()["error"]["message"]
    assert (await h.api.get("/api/v1/incidents")).json() == []
    assert h.simulator.calls == []


async def test_a_write_back_that_can_never_succeed_shows_in_the_timeline(
    hotline_sn: Hotline, servicenow: FakeServiceNow
) -> None:
    """ServiceNow answers 404 (the incident is gone): the job gives up at once, says so in
    the timeline, and the calls go on regardless."""
    h = hotline_sn
    await directory(h)
    h.phone(AGENT1, digits=[ANY_KEY, "1"])
    gone = "0123456789abcdef0123456789abcdef"
    body = business_rule_body(sys_id=gone, number="INC0099999")
    response = await post(h, body, signed(body))
    incident = await h.settled(response.json()["id"])
    assert incident["status"] == "accepted"
    for _ in range(200):
        failed = [
            e for e in (await h.fetch(incident["id"]))["timeline"] if e["kind"] == "job_failed"
        ]
        if len(failed) >= 2:
            break
        await asyncio.sleep(0.05)
    assert failed and "ticket update" in failed[0]["detail"]
    assert "404" in failed[0]["detail"]


async def test_a_stale_group_mapping_falls_back_to_the_default_policy(
    database_url: str, servicenow: FakeServiceNow
) -> None:
    async with running_hotline(
        database_url,
        servicenow_instance_url=servicenow.url,
        servicenow_username=servicenow.username,
        servicenow_password=servicenow.password,
        servicenow_webhook_secret=SECRET,
        servicenow_policies={"Payments": "deleted-policy"},
    ) as h:
        await directory(h)
        h.phone(AGENT1, digits=[ANY_KEY, "1"])
        body = business_rule_body()
        response = await post(h, body, signed(body))
        assert response.status_code == 201, response.text
        incident = await h.settled(response.json()["id"])
        assert incident["policy"] == "default"
        assert incident["status"] == "accepted"


async def test_simultaneous_deliveries_of_one_incident_page_once(
    hotline_sn: Hotline,
) -> None:
    """The business rule fires twice at the same moment: one incident, one ladder."""
    h = hotline_sn
    await directory(h)
    h.phone(AGENT1, digits=[ANY_KEY, "1"])
    body = business_rule_body()
    responses = await asyncio.gather(*(post(h, body, signed(body)) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    await h.settled(responses[0].json()["id"])
    assert len(h.simulator.calls) == 1
