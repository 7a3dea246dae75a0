"""Live call through the real server and the simulator, in domain words: a caller asks to
talk to a group's on-call person now; Hotline calls them one after another while the caller
holds, and connects the first one who presses a key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from hotline.adapters.twilio.signature import public_request_url
from hotline.services.inputs import AbsenceIn, GroupIn
from hotline.services.live_call_views import LivePhrases
from hotline.simulator import PhoneScript
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline, running_hotline
from tests.support.smtp_sink import SmtpSink

P = LivePhrases()
CALLER = "+12025550131"
A1, A2, A3, A4 = "+12025550111", "+12025550112", "+12025550113", "+12025550114"
LEAD, SUB = "+12025550121", "+12025550122"
LIVE_CALL = "1"  # the only menu action in these tests
ALERT, MENU, MESSAGE = "1", "2", "3"
ANY_KEY = "5"


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as running:
        yield running


def live(database_url: str, sink: SmtpSink | None = None, **overrides: Any) -> Any:
    """The server with the live-call action only (and e-mail into ``sink``)."""
    settings: dict[str, Any] = {"hotline_actions": ["live-call"], **overrides}
    if sink is not None:
        settings |= {"smtp_host": sink.host, "smtp_port": sink.port}
    return running_hotline(database_url, **settings)


async def agents(h: Hotline, *numbers: str) -> None:
    """Carol calls; the only group, "agents", has Agent One, Two, ... in that order."""
    await h.person("Carol Caller", CALLER)
    names = ["Agent One", "Agent Two", "Agent Three", "Agent Four"][: len(numbers)]
    for name, number in zip(names, numbers, strict=True):
        await h.person(name, number)
    await h.group("agents", *names)


async def call(h: Hotline, *keys: str | None, **script: Any) -> tuple[str, list[str]]:
    """Call the hotline as Carol; the CallSid and what she heard, once the call ended."""
    sid = await h.simulator.inbound_call(
        CALLER, HOTLINE_NUMBER, PhoneScript(digits=list(keys), **script)
    )
    await h.simulator.wait_for_call_end(sid, timeout=60)
    await h.simulator.idle(timeout=30)
    return sid, said(h, sid)


def said(h: Hotline, sid: str) -> list[str]:
    return [e["text"] for e in h.simulator.call_log(sid) if e["kind"] == "say"]


def calls_to(h: Hotline, number: str) -> list[dict[str, Any]]:
    return [c for c in h.simulator.calls if c["to"] == number]


async def only_hunt(h: Hotline) -> dict[str, Any]:
    listed = (await h.api.get("/api/v1/live-calls")).json()
    assert len(listed) == 1, listed
    response = await h.api.get(f"/api/v1/live-calls/{listed[0]['id']}")
    assert response.status_code == 200
    return dict(response.json())


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still nothing after {within} s")
        await asyncio.sleep(0.02)
    return result


async def test_no_answer_busy_silent_then_a_key_connects_the_fourth(database_url: str) -> None:
    async with live(database_url, live_call_max_people=4) as h:
        await agents(h, A1, A2, A3, A4)
        h.phone(A1, mode="no-answer")
        h.phone(A2, mode="busy")
        h.phone(A3, digits=[None])
        h.phone(A4, digits=[ANY_KEY], hangup_after=60)
        _, heard = await call(h, LIVE_CALL)
        hunt = await only_hunt(h)
    announced = [s for s in heard if s.startswith("Now calling")]
    assert announced == [f"Now calling Agent {n}." for n in ("One", "Two", "Three", "Four")]
    assert "You are now connected with Agent Four." in heard
    assert heard[-1] == P.talk_over
    assert [leg["outcome"] for leg in hunt["legs"]] == ["no-answer", "busy", "no-key", "talked"]
    assert hunt["connected"] == "Agent Four"
    assert hunt["status"] == "ended" and hunt["end_reason"] == "talked"
    assert hunt["legs"][3]["talk_seconds"] is not None
    assert all(leg["duration"] is not None for leg in hunt["legs"])


async def test_the_caller_hanging_up_cancels_the_ringing_call_and_stops(
    database_url: str,
) -> None:
    async with live(database_url, live_call_ring_timeout=600) as h:
        await agents(h, A1, A2, A3)
        h.phone(A1, mode="busy")
        h.phone(A2, mode="no-answer")
        h.phone(A3, digits=[ANY_KEY], hangup_after=30)
        sid = await h.simulator.inbound_call(
            CALLER, HOTLINE_NUMBER, PhoneScript(digits=[LIVE_CALL])
        )

        async def second_rings() -> bool:
            return any(c["status"] == "ringing" for c in calls_to(h, A2))

        await eventually(second_rings)
        h.simulator.phone(CALLER).hang_up()
        await h.simulator.wait_for_call_end(sid, timeout=30)

        async def over() -> dict[str, Any] | None:
            hunt = await only_hunt(h)
            return hunt if hunt["legs"][-1]["duration"] is not None else None

        hunt = await eventually(over)
        await h.simulator.idle(timeout=30)
        assert [c["status"] for c in calls_to(h, A2)] == ["canceled"]
        assert calls_to(h, A3) == []
    assert hunt["end_reason"] == "caller-hung-up"
    assert [leg["outcome"] for leg in hunt["legs"]] == ["busy", "caller-gone"]


async def test_nobody_reached_sends_the_missed_call_alert(
    database_url: str, sink: SmtpSink
) -> None:
    async with live(database_url, sink) as h:
        await agents(h, A1, A2, A3)
        h.phone(A1, mode="busy")
        h.phone(A2, mode="fail")
        h.phone(A3, hangup_after=1)  # answers, then hangs up at once: declined
        _, heard = await call(h, LIVE_CALL, ALERT)
        await sink.wait_for(1)
        [mail] = sink.received
        await eventually(lambda: _enough(h.simulator.messages, 3))
        texts = h.simulator.messages
        hunt = await only_hunt(h)
    assert "I tried Agent One, Agent Two and Agent Three, but nobody could take your call." in heard
    assert any(s.startswith("Done. Agent One, Agent Two and Agent Three") for s in heard)
    assert sorted(m["to"] for m in texts) == [A1, A2, A3]
    assert all("Carol Caller" in m["body"] and CALLER in m["body"] for m in texts)
    assert set(mail.rcpt_tos) == {f"agent.{n}@example.com" for n in ("one", "two", "three")}
    assert "Carol Caller" in mail.message.get_content()
    assert [leg["outcome"] for leg in hunt["legs"]] == ["busy", "failed", "hung-up"]
    assert hunt["end_reason"] == "alerted"


async def _enough(items: list[Any], count: int) -> bool:
    return len(items) >= count


async def test_a_message_after_nobody_answered_becomes_an_incident(database_url: str) -> None:
    async with live(database_url) as h:
        await agents(h, A1)
        h.phone(A1, mode="busy")
        _, heard = await call(
            h,
            LIVE_CALL,
            MESSAGE,
            "2",  # severity high
            "#",  # ends the recording
            "1",  # keep it
            recording_duration=5,
            transcript="The VPN is down for everyone",
        )
        hunt = await only_hunt(h)
        assert hunt["incident_id"] is not None
        incident = (await h.api.get(f"/api/v1/incidents/{hunt['incident_id']}")).json()
    assert any("incident is open for agents" in s for s in heard), heard
    assert incident["severity"] == 2
    kinds = [e["kind"] for e in incident["timeline"]]
    assert "live_call_attempt" in kinds and "live_call" in kinds
    attempt = next(e for e in incident["timeline"] if e["kind"] == "live_call_attempt")
    assert "Agent One" in attempt["detail"] and "busy" in attempt["detail"]


async def test_nested_groups_and_absences_decide_who_is_called(database_url: str) -> None:
    async with live(database_url) as h:
        await h.person("Carol Caller", CALLER)
        for name, number in (("Lead", LEAD), ("Sub", SUB), ("Agent One", A1)):
            await h.person(name, number, mode="busy")
        await h.person("Agent Two", A2, mode="busy")
        await h.person("Agent Three", A3, mode="busy")
        await h.group("agents", "Agent One", "Agent Two", "Agent Three")
        d = h.container.directory
        await d.create_group(GroupIn(name="ops", members=[{"person": "Lead"}, {"group": "agents"}]))
        now = datetime.now(UTC)
        away = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1)}
        await d.create_absence(AbsenceIn(person="Agent One", replacement="Sub", **away))
        await d.create_absence(AbsenceIn(person="Agent Two", **away))
        # Groups in name order: 1 agents, 2 ops. Then main menu, where Carol hangs up.
        _, heard = await call(h, LIVE_CALL, "2", MENU, hangup_at_prompt=4)
        hunt = await only_hunt(h)
    assert [leg["name"] for leg in hunt["legs"]] == ["Lead", "Sub", "Agent Three"]
    assert hunt["end_reason"] == "menu"
    assert "Main menu." in heard


async def test_duplicate_and_late_status_callbacks_change_nothing(database_url: str) -> None:
    async with live(database_url) as h:
        await agents(h, A1, A2)
        h.phone(A1, mode="busy")
        h.phone(A2, mode="busy")
        await call(h, LIVE_CALL, MENU, hangup_at_prompt=3)
        before = await only_hunt(h)
        async with h.container.paging.unit_of_work(read_only=True) as uow:
            record = await uow.live_calls.get(before["id"])
        assert record is not None
        for leg, status in ((1, "busy"), (1, "completed"), (2, "no-answer"), (1, "busy")):
            path = f"/voice/live-call/{record.token}/{leg}/status"
            form = {"CallSid": record.leg_calls[leg], "CallStatus": status, "CallDuration": "9"}
            signature = RequestValidator(h.container.account.auth_token).compute_signature(
                public_request_url(h.url, path, ""), form
            )
            reply = await h.api.post(path, data=form, headers={"X-Twilio-Signature": signature})
            assert reply.status_code == 204
        unsigned = await h.api.post(path, data=form)
        assert unsigned.status_code == 403
        after = await only_hunt(h)
        assert calls_to(h, A1) and len(h.simulator.calls) == 3  # the caller and two agents
    assert after == before
    assert [leg["outcome"] for leg in after["legs"]] == ["busy", "busy"]


async def test_a_callee_answering_after_the_caller_left_hears_why(database_url: str) -> None:
    async with live(database_url, live_call_check_timeout=60) as h:
        await agents(h, A1)
        h.phone(A1, answer_after=5, digits=[None])
        sid = await h.simulator.inbound_call(
            CALLER, HOTLINE_NUMBER, PhoneScript(digits=[LIVE_CALL])
        )

        async def checking() -> bool:
            listed = (await h.api.get("/api/v1/live-calls")).json()
            return bool(listed and listed[0]["legs"] and listed[0]["legs"][0]["answered_at"])

        await eventually(checking)
        h.simulator.phone(CALLER).hang_up()
        await h.simulator.wait_for_call_end(sid, timeout=30)
        [leg] = calls_to(h, A1)
        await h.simulator.wait_for_call_end(leg["sid"], timeout=30)
        await h.simulator.idle(timeout=30)
        heard = said(h, leg["sid"])
        hunt = await only_hunt(h)
    assert P.caller_gone in heard
    assert hunt["legs"][0]["outcome"] == "caller-gone"
