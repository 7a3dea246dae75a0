"""The call-in hotline through the real server and the simulator, in domain words."""

from __future__ import annotations

import asyncio

from hotline.simulator import PhoneScript
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline
from tests.scenario.recording_links import get, link_in

CALLER, STRANGER = "+12025550131", "+12025550199"
AGENT1, AGENT2, NETOPS = "+12025550111", "+12025550112", "+12025550141"
ANY_KEY = "5"
INCIDENT, ALERT = "2", "1"  # the default menu: alert, incident
AGENTS, NETWORK = "1", "2"  # groups in name order


async def directory(h: Hotline) -> None:
    await h.person("Carol Caller", CALLER)
    await h.person("Agent One", AGENT1)
    await h.person("Agent Two", AGENT2)
    await h.person("Net Ops", NETOPS)
    await h.group("agents", "Agent One", "Agent Two")
    await h.group("network", "Net Ops")


async def call(h: Hotline, from_: str, *digits: str | None, **script: object) -> list[str]:
    """Call the hotline from ``from_``; what the caller heard, in order."""
    sid = await h.simulator.inbound_call(
        from_,
        HOTLINE_NUMBER,
        PhoneScript(digits=list(digits), **script),  # type: ignore[arg-type]
    )
    await h.simulator.wait_for_call_end(sid, timeout=30)
    await h.simulator.idle(timeout=30)
    return [e["text"] for e in h.simulator.call_log(sid) if e["kind"] == "say"]


async def test_known_caller_opens_an_incident_and_the_group_is_paged(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    h.phone(AGENT1, digits=[ANY_KEY, "1"])
    said = await call(
        h,
        CALLER,
        INCIDENT,
        AGENTS,
        "2",  # high
        "#",  # ends the recording
        "1",  # keep it
        recording_duration=5,
        transcript="The payroll database is down",
    )
    assert any("A high incident is open for agents" in s for s in said), said
    incidents = (await h.api.get("/api/v1/incidents")).json()
    items = incidents["items"] if isinstance(incidents, dict) else incidents
    assert len(items) == 1
    incident = await h.settled(items[0]["id"])
    assert incident["severity"] == 2
    assert "The payroll database is down" in incident["description"]
    assert "Carol Caller" in incident["description"]
    listened = await get(link_in(incident["description"]))  # Hotline's own signed link
    assert listened.status_code == 200 and listened.content[:4] == b"RIFF"
    assert incident["status"] == "accepted"
    assert incident["assignee"] == "Agent One"


async def test_alert_texts_the_groups_on_call_people(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    said = await call(
        h, CALLER, ALERT, NETWORK, "#", "1", recording_duration=4, transcript="Fibre cut"
    )
    assert any("network has been alerted" in s for s in said), said
    for _ in range(100):
        if h.simulator.messages:
            break
        await asyncio.sleep(0.05)
    messages = h.simulator.messages
    assert [m["to"] for m in messages] == [NETOPS]
    assert "Fibre cut" in messages[0]["body"]
    listed = (await h.api.get("/api/v1/incidents")).json()
    assert (listed["items"] if isinstance(listed, dict) else listed) == []  # no incident


async def test_unknown_caller_is_refused_politely(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    said = await call(h, STRANGER, INCIDENT)
    assert len(said) == 1
    assert "cannot take your call" in said[0]
    assert not h.simulator.messages


async def test_star_returns_to_the_main_menu_and_three_invalid_keys_end_the_call(
    hotline: Hotline,
) -> None:
    h = hotline
    await directory(h)
    said = await call(h, CALLER, INCIDENT, "*", "9", "9", "9", "9")
    assert "Main menu." in said
    assert said.count("That key is not on the menu.") == 3
    assert said[-1].startswith("I did not get a usable answer")
    assert [c["to"] for c in h.simulator.calls] == [HOTLINE_NUMBER]
