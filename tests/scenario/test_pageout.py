"""Page-out through the real server and the simulator, in domain words."""

from __future__ import annotations

import asyncio

from twilio.request_validator import RequestValidator

from hotline.adapters.twilio.signature import public_request_url
from tests.scenario.conftest import Hotline, running_hotline
from tests.support.smtp_sink import SmtpSink

AGENT1, AGENT2, AGENT3 = "+12025550111", "+12025550112", "+12025550113"
BOSS1, BOSS2 = "+12025550121", "+12025550122"
ANY_KEY = "5"  # what an agent presses at the human check


async def directory(h: Hotline, rounds: int = 1, ring_timeout: int = 30) -> None:
    await h.person("Agent One", AGENT1)
    await h.person("Agent Two", AGENT2)
    await h.person("Agent Three", AGENT3)
    await h.person("Boss One", BOSS1)
    await h.person("Boss Two", BOSS2)
    await h.group("agents", "Agent One", "Agent Two", "Agent Three")
    await h.group("escalation", "Boss One", "Boss Two")
    await h.policy("default", "agents", "escalation", rounds=rounds, ring_timeout=ring_timeout)


def calls_to(h: Hotline, number: str) -> list[dict]:
    return [c for c in h.simulator.calls if c["to"] == number]


def token_of(h: Hotline, number: str) -> str:
    """The opaque attempt token in the URLs of the (first) call to ``number``."""
    log = h.simulator.call_log(calls_to(h, number)[0]["sid"])
    url = next(e["url"] for e in log if e["kind"] == "webhook" and "/voice/page/" in e["url"])
    return str(url.split("/voice/page/")[1].split("/")[0])


def outcomes(incident: dict) -> list[tuple[str, str | None]]:
    return [(a["name"], a["outcome"]) for a in incident["attempts"]]


async def test_pass_busy_then_boss_accepts(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    h.phone(AGENT1, mode="no-answer")
    h.phone(AGENT2, digits=[ANY_KEY, "2"])
    h.phone(AGENT3, mode="busy")
    h.phone(BOSS1, digits=[ANY_KEY, "1"])
    created = await h.incident(title="Database down", severity=1)
    incident = await h.settled(created["id"])
    assert incident["status"] == "accepted"
    assert incident["assignee"] == "Boss One"
    assert outcomes(incident) == [
        ("Agent One", "no-answer"),
        ("Agent Two", "passed"),
        ("Agent Three", "busy"),
        ("Boss One", "accepted"),
    ]
    assert incident["attempts"][1]["digit"] == "2"
    assert not calls_to(h, BOSS2)  # nobody is called after the accept


async def test_escalate_goes_to_first_person_of_next_tier(hotline: Hotline) -> None:
    """Seed bug A.4: escalation dialled escalation_list[agent index]."""
    h = hotline
    await directory(h)
    h.phone(AGENT1, digits=[ANY_KEY, "2"])
    h.phone(AGENT2, digits=[ANY_KEY, "3"])
    h.phone(BOSS1, digits=[ANY_KEY, "1"])
    incident = await h.settled((await h.incident(title="Disk full"))["id"])
    assert outcomes(incident) == [
        ("Agent One", "passed"),
        ("Agent Two", "escalated"),
        ("Boss One", "accepted"),
    ]
    assert [c["to"] for c in h.simulator.calls] == [AGENT1, AGENT2, BOSS1]


async def test_nobody_accepts_two_rounds_then_everyone_tried_gets_sms(hotline: Hotline) -> None:
    h = hotline
    await directory(h, rounds=2)
    for number in (AGENT1, AGENT2, AGENT3, BOSS1, BOSS2):
        h.phone(number, mode="no-answer")
    incident = await h.settled((await h.incident(title="Nobody home"))["id"])
    assert incident["status"] == "unanswered"
    assert len(incident["attempts"]) == 10
    assert {a["round"] for a in incident["attempts"]} == {1, 2}
    kinds = [e["kind"] for e in incident["timeline"]]
    assert {"waiting", "unanswered", "notified"} <= set(kinds)
    await asyncio.sleep(0.3)
    texted = sorted(m["to"] for m in h.simulator.messages)
    assert texted == sorted([AGENT1, AGENT2, AGENT3, BOSS1, BOSS2])


async def test_voicemail_and_wrong_keys_move_on(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    h.phone(AGENT1, mode="machine")  # never presses anything at the human check
    h.phone(AGENT2, digits=[ANY_KEY, "7", "8", "0", "6"])  # three re-prompts, then no response
    h.phone(AGENT3, digits=[ANY_KEY, "9", "1"])  # 9 repeats, then accepts
    incident = await h.settled((await h.incident(title="Flaky"))["id"])
    assert outcomes(incident) == [
        ("Agent One", "no-response"),
        ("Agent Two", "no-response"),
        ("Agent Three", "accepted"),
    ]


async def test_acknowledge_through_the_api_stops_a_ringing_call(hotline: Hotline) -> None:
    h = hotline
    await directory(h, ring_timeout=600)  # 6 s of real time at the test's time scale
    h.phone(AGENT1, answer_after=1000)  # rings until the call is canceled
    created = await h.incident(title="Ack me")
    for _ in range(200):
        calls = calls_to(h, AGENT1)
        if calls and calls[0]["status"] == "ringing":
            break
        await asyncio.sleep(0.02)
    response = await h.api.post(
        f"/api/v1/incidents/{created['id']}/acknowledge", json={"by": "Ops lead"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    incident = await h.settled(created["id"])
    assert incident["assignee"] == "Ops lead"
    assert outcomes(incident) == [("Agent One", "stopped")]
    assert [c["status"] for c in calls_to(h, AGENT1)] == ["canceled"]


async def test_acknowledge_while_the_call_is_being_placed_ends_it(hotline: Hotline) -> None:
    """The first try of place_call asks the carrier without reading the incident again:
    an acknowledge that lands meanwhile ends the call as soon as its id is stored."""
    h = hotline
    await directory(h, ring_timeout=600)
    h.phone(AGENT1, answer_after=1000)  # would ring for the whole test
    await h.container.worker.stop()  # jobs wait until drained below, in a known order
    created = await h.incident(title="Ack while placing")
    response = await h.api.post(
        f"/api/v1/incidents/{created['id']}/acknowledge", json={"by": "Ops lead"}
    )
    assert response.status_code == 200, response.text
    assert calls_to(h, AGENT1) == []
    await h.container.worker.drain()  # place_call rings the phone, then its call is ended
    for _ in range(500):
        calls = calls_to(h, AGENT1)
        if calls and calls[0]["status"] in ("canceled", "completed"):
            break
        await asyncio.sleep(0.02)
    assert [c["status"] for c in calls_to(h, AGENT1)] == ["canceled"]
    incident = await h.fetch(created["id"])
    assert incident["status"] == "accepted" and incident["assignee"] == "Ops lead"
    assert outcomes(incident) == [("Agent One", "stopped")]


async def test_forged_and_duplicate_webhooks_change_nothing(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    h.phone(AGENT1, mode="busy")
    h.phone(AGENT2, digits=[ANY_KEY, "1"])
    created = await h.incident(title="Replay")
    incident = await h.settled(created["id"])
    first = incident["attempts"][0]
    path = f"/voice/page/{token_of(h, AGENT1)}/status"
    form = {"CallSid": "CA" + "0" * 32, "CallStatus": "no-answer", "SequenceNumber": "9"}
    forged = await h.api.post(path, data=form, headers={"X-Twilio-Signature": "bogus"})
    assert forged.status_code == 403
    unsigned = await h.api.post(path, data=form)
    assert unsigned.status_code == 403
    signature = RequestValidator(h.container.account.auth_token).compute_signature(
        public_request_url(h.url, path, ""), form
    )
    replay = await h.api.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert replay.status_code == 204
    again = await h.fetch(created["id"])
    assert again["attempts"] == incident["attempts"]
    assert again["timeline"] == incident["timeline"]
    assert first["outcome"] == "busy"


async def test_a_late_accept_is_told_it_is_stale(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    h.phone(AGENT1, digits=[ANY_KEY, "1"])
    created = await h.incident(title="Stale")
    incident = await h.settled(created["id"])
    resolved = await h.api.post(f"/api/v1/incidents/{created['id']}/resolve", json={})
    assert resolved.json()["status"] == "resolved"
    sid = calls_to(h, AGENT1)[0]["sid"]
    path = f"/voice/page/{token_of(h, AGENT1)}/choice"
    form = {"CallSid": sid, "Digits": "1", "CallStatus": "in-progress"}
    signature = RequestValidator(h.container.account.auth_token).compute_signature(
        public_request_url(h.url, path, ""), form
    )
    reply = await h.api.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert reply.status_code == 200
    assert "does not need you" in reply.text
    after = await h.fetch(created["id"])
    assert after["status"] == "resolved"
    assert after["attempts"] == incident["attempts"]


async def test_shuffled_late_callbacks_change_nothing(hotline: Hotline) -> None:
    """Callbacks arrive in any order; after an attempt ended, none of them moves it."""
    h = hotline
    await directory(h)
    h.phone(AGENT1, mode="no-answer")
    h.phone(AGENT2, digits=[ANY_KEY, "1"])
    created = await h.incident(title="Shuffle")
    incident = await h.settled(created["id"])
    sid = calls_to(h, AGENT1)[0]["sid"]
    path = f"/voice/page/{token_of(h, AGENT1)}/status"
    validator = RequestValidator(h.container.account.auth_token)
    for number, status in enumerate(["in-progress", "ringing", "busy", "initiated", "completed"]):
        form = {
            "CallSid": sid,
            "CallStatus": status,
            "SequenceNumber": str(9 - number),
            "AnsweredBy": "machine_start",
        }
        signature = validator.compute_signature(public_request_url(h.url, path, ""), form)
        reply = await h.api.post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert reply.status_code == 204
    after = await h.fetch(created["id"])
    assert after["attempts"] == incident["attempts"]
    assert after["timeline"] == incident["timeline"]


async def test_two_incidents_page_the_same_agent_at_once(hotline: Hotline) -> None:
    """Seed A.10.8: concurrent incidents paging the same first agent collided."""
    h = hotline
    await directory(h)
    h.phone(AGENT1, digits=[ANY_KEY, "1"])
    first, second = await asyncio.gather(h.incident(title="Outage A"), h.incident(title="Outage B"))
    done = await asyncio.gather(h.settled(first["id"]), h.settled(second["id"]))
    assert [i["assignee"] for i in done] == ["Agent One", "Agent One"]
    assert len(calls_to(h, AGENT1)) == 2


async def test_unanswered_incident_emails_everyone_tried(database_url: str) -> None:
    """Nobody accepts: the people called get an e-mail at a real SMTP server."""
    async with (
        SmtpSink() as sink,
        running_hotline(
            database_url, smtp_host=sink.host, smtp_port=sink.port, smtp_from="hotline@example.com"
        ) as h,
    ):
        await directory(h)
        for number in (AGENT1, AGENT2, AGENT3, BOSS1, BOSS2):
            h.phone(number, mode="busy")
        incident = await h.settled((await h.incident(title="Mail me", severity=2))["id"])
        assert incident["status"] == "unanswered"
        await sink.wait_for(1, timeout=20)
        message = sink.messages[0]
        assert message["From"] == "hotline@example.com"
        assert "Nobody accepted incident" in message["Subject"]
        recipients = sorted(a.strip() for a in message["To"].split(","))
        assert recipients == sorted(
            f"{n.lower().replace(' ', '.')}@example.com"
            for n in ("Agent One", "Agent Two", "Agent Three", "Boss One", "Boss Two")
        )
        body = message.get_content()
        assert "Mail me" in body and "Agent One (1 call)" in body
