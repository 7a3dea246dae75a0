"""Conference bridges from the call-in hotline, through the real server and the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hotline.simulator import PhoneScript
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline, running_hotline

CALLER, GUEST = "+12025550131", "+12025550132"
AGENT1, AGENT2 = "+12025550111", "+12025550112"
CONFERENCE, JOIN = "1", "2"  # hotline_actions below
ANY_KEY = "5"


@pytest.fixture
async def hotline(database_url: str) -> AsyncIterator[Hotline]:
    async with running_hotline(
        database_url, hotline_actions=["conference", "join-bridge"], transcript_wait=0
    ) as running:
        await running.person("Carol Caller", CALLER)
        await running.person("Gus Guest", GUEST)
        await running.person("Agent One", AGENT1)
        await running.person("Agent Two", AGENT2)
        await running.group("agents", "Agent One", "Agent Two")
        yield running


def said(h: Hotline, sid: str) -> list[str]:
    return [e["text"] for e in h.simulator.call_log(sid) if e["kind"] == "say"]


def calls_to(h: Hotline, number: str) -> list[str]:
    return [sid for sid, c in h.simulator.engine.calls.items() if c.to == number]


async def open_bridge(h: Hotline, **script: Any) -> str:
    """Carol opens a bridge with the agents; her CallSid (the call keeps going)."""
    return await h.simulator.inbound_call(
        CALLER,
        HOTLINE_NUMBER,
        PhoneScript(
            digits=[CONFERENCE, "#", "1"],  # one group: no group menu; end recording; keep
            recording_duration=4,
            transcript="The VPN is down for everyone",
            **script,
        ),
    )


async def bridges(h: Hotline) -> list[dict[str, Any]]:
    response = await h.api.get("/api/v1/bridges")
    assert response.status_code == 200, response.text
    return list(response.json())


async def until(check: Any, within: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition never met")
        await asyncio.sleep(0.05)


async def test_the_group_is_invited_and_the_caller_hears_who_joined(hotline: Hotline) -> None:
    h = hotline
    h.phone(AGENT1, mode="busy")
    h.phone(AGENT2, digits=[ANY_KEY], hangup_after=40)
    sid = await open_bridge(h, hangup_after=200)
    await h.simulator.wait_for_call_end(sid, timeout=30)
    await h.simulator.idle(timeout=30)

    heard = said(h, sid)
    assert any("Your bridge code is" in s for s in heard), heard
    assert any("Agent Two joined the bridge" in s for s in heard), heard
    [bridge] = await bridges(h)
    assert bridge["group"] == "agents" and bridge["host"] == "Carol Caller"
    assert bridge["transcript"] == "The VPN is down for everyone"
    states = {i["name"]: i["state"] for i in bridge["invites"]}
    assert states == {"Agent One": "busy", "Agent Two": "joined"}
    [agent_call] = calls_to(h, AGENT2)
    agent_heard = said(h, agent_call)
    assert any("Carol Caller has opened a conference bridge" in s for s in agent_heard)
    assert any("The VPN is down for everyone" in s for s in agent_heard)
    assert bridge["status"] == "closed"  # the room ended when the last one left
    assert h.simulator.messages == []  # somebody joined: no "nobody joined" notice


async def test_everyone_in_the_room_hears_who_joined_later(database_url: str) -> None:
    async with running_hotline(
        database_url, hotline_actions=["conference"], transcript_wait=0, bridge_ring_timeout=120
    ) as h:
        await h.person("Carol Caller", CALLER)
        await h.person("Agent One", AGENT1)
        await h.person("Agent Two", AGENT2)
        await h.group("agents", "Agent One", "Agent Two")
        await _one_joins_after_the_caller_is_in_the_room(h)


async def _one_joins_after_the_caller_is_in_the_room(h: Hotline) -> None:
    # Agent Two joins within seconds and Carol is put into the room; Agent One answers
    # 80 simulated seconds later, well after that (webhooks take real time).
    h.phone(AGENT2, digits=[ANY_KEY], hangup_after=300)
    h.phone(AGENT1, answer_after=80, digits=[ANY_KEY], hangup_after=100)
    sid = await open_bridge(h, hangup_after=400)
    await h.simulator.wait_for_call_end(sid, timeout=30)
    await h.simulator.idle(timeout=30)

    heard = said(h, sid)
    assert "Agent Two joined the bridge. Connecting you now." in heard, heard
    assert "Agent Two joined the bridge." not in heard  # told once, before the room
    log = h.simulator.call_log(sid)
    entered = next(i for i, e in enumerate(log) if e["kind"] == "conference")
    later = [i for i, e in enumerate(log) if e.get("text") == "Agent One joined the bridge."]
    assert len(later) == 1 and later[0] > entered, log  # said to her in the room
    [agent_two] = calls_to(h, AGENT2)
    assert "Agent One joined the bridge." in said(h, agent_two)  # the whole room hears it
    [bridge] = await bridges(h)
    assert {i["name"]: i["state"] for i in bridge["invites"]} == {
        "Agent One": "joined",
        "Agent Two": "joined",
    }


async def test_nobody_joins_the_caller_is_told_and_the_group_gets_the_code(
    hotline: Hotline,
) -> None:
    h = hotline
    h.phone(AGENT1, mode="no-answer")
    h.phone(AGENT2, mode="busy")
    sid = await open_bridge(h, hangup_after=120)
    await h.simulator.wait_for_call_end(sid, timeout=30)
    await h.simulator.idle(timeout=30)

    assert any("Nobody from agents has joined yet" in s for s in said(h, sid))
    [bridge] = await bridges(h)
    code = bridge["code"]
    texts = await until(lambda: _texts(h, code))
    assert {m["to"] for m in texts} == {AGENT1, AGENT2}
    assert all(HOTLINE_NUMBER in m["body"] for m in texts)
    kinds = [e["kind"] for e in bridge["timeline"]]
    assert "notice" in kinds


async def _texts(h: Hotline, code: str) -> list[dict[str, Any]]:
    return [m for m in h.simulator.messages if code in m["body"]]


async def test_another_caller_joins_an_open_bridge_with_its_code(hotline: Hotline) -> None:
    h = hotline
    h.phone(AGENT1, mode="no-answer")
    h.phone(AGENT2, mode="no-answer")
    host = await open_bridge(h, hangup_after=300)
    [bridge] = await until(lambda: bridges(h))
    guest = await h.simulator.inbound_call(
        GUEST,
        HOTLINE_NUMBER,
        PhoneScript(digits=[JOIN, "999999#", bridge["code"] + "#"], hangup_after=60),
    )
    await h.simulator.wait_for_call_end(guest, timeout=30)
    heard = said(h, guest)
    assert any("No open bridge has that code" in s for s in heard), heard
    assert any("Connecting you to the bridge" in s for s in heard), heard
    await h.simulator.wait_for_call_end(host, timeout=30)
    await h.simulator.idle(timeout=30)
    [bridge] = await bridges(h)
    details = [e["detail"] for e in bridge["timeline"]]
    assert any("Gus Guest" in d and "code" in d for d in details), details
    assert any("Gus Guest entered the room" in d or "a caller entered" in d for d in details)


async def test_a_caller_who_hangs_up_while_holding_closes_the_bridge(database_url: str) -> None:
    async with running_hotline(
        database_url,
        hotline_actions=["conference"],
        transcript_wait=0,
        bridge_ring_timeout=120,
        simulator_time_scale=0.1,  # webhooks take real time: keep the ringing long enough
    ) as h:
        await h.person("Carol Caller", CALLER)
        await h.person("Agent One", AGENT1, answer_after=100)
        await h.person("Agent Two", AGENT2, answer_after=100)
        await h.group("agents", "Agent One", "Agent Two")
        await _hang_up_while_holding(h)


async def _hang_up_while_holding(h: Hotline) -> None:
    # The menu, recording and confirmation take about 42 simulated seconds (more on a busy
    # machine: webhooks count in real time); the invitations ring for 120 from then on.
    # Carol hangs up in between, while holding.
    sid = await open_bridge(h, hangup_after=65)
    await h.simulator.wait_for_call_end(sid, timeout=30)
    await h.simulator.idle(timeout=30)
    [bridge] = await bridges(h)
    assert bridge["status"] == "closed"
    assert {i["state"] for i in bridge["invites"]} == {"canceled"}
    for number in (AGENT1, AGENT2):
        [leg] = calls_to(h, number)
        assert h.simulator.engine.calls[leg].status in ("canceled", "completed")
    assert not any(e["kind"] == "joined" for e in bridge["timeline"])


async def test_the_hold_audio_is_served_by_hotline(hotline: Hotline) -> None:
    response = await hotline.api.get("/voice/hold.wav")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and len(response.content) > 40_000


async def test_configured_phrases_and_voice_are_what_callers_hear(database_url: str) -> None:
    async with running_hotline(
        database_url,
        hotline_actions=["join-bridge"],
        hotline_phrases={"menu_intro": "Ops line.", "ask_bridge_code": "Bridge code please."},
        tts_voice="Polly.Brian",
        tts_language="en-GB",
        hotline_menu_timeout=12,
    ) as h:
        await h.person("Carol Caller", CALLER)
        sid = await h.simulator.inbound_call(
            CALLER, HOTLINE_NUMBER, PhoneScript(digits=["1", "*"], hangup_after=30)
        )
        await h.simulator.wait_for_call_end(sid, timeout=30)
        says = [e for e in h.simulator.call_log(sid) if e["kind"] == "say"]
        assert says[0]["text"].startswith("Ops line. For joining an open bridge, press 1.")
        assert says[1]["text"] == "Bridge code please."
        assert {(e["voice"], e["language"]) for e in says} == {("Polly.Brian", "en-GB")}
        answer = next(e for e in h.simulator.call_log(sid) if e["kind"] == "webhook")
        assert 'timeout="12"' in answer["body"]  # HOTLINE_MENU_TIMEOUT
