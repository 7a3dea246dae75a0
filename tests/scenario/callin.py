"""Call-in hotline scenarios in domain words: a directory, a caller, what they heard.

Shared by ``test_hotline_paths``, ``test_hotline_auth`` and ``test_hotline_property``. The
phrases come from :class:`hotline.domain.hotline_config.Phrases` (the defaults the server
speaks), so a reworded prompt does not break the scenarios.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from hotline.bootstrap import Container
from hotline.domain.hotline_config import Phrases
from hotline.services.inputs import GroupIn, PersonIn
from hotline.simulator import PhoneScript
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline

P = Phrases()
CALLER, STRANGER = "+12025550131", "+12025550199"
AGENT1, AGENT2, NETOPS = "+12025550111", "+12025550112", "+12025550141"
CALLER_PIN = "4711"
WITHHELD = "anonymous"  # what the carrier sends as From when caller ID is withheld
ALERT, INCIDENT = "1", "2"  # the default menu: alert, incident
AGENTS, EMPTY, NETWORK = "1", "2", "3"  # groups in name order
HIGH = "2"  # severity 2
SEND, AGAIN = "1", "5"  # at the confirmation: keep it, any other key records again
SILENT = None  # the caller says nothing at this prompt
END = "#"  # ends a recording


async def directory(where: Hotline | Container, *, pin: str | None = None) -> None:
    """Carol calls (with ``pin``, if given); "agents" (Agent One, Agent Two) and "network"
    (Net Ops) are on call; "empty" has nobody."""
    svc = where.directory if isinstance(where, Container) else where.container.directory

    def person(name: str, number: str, pin: str | None = None) -> PersonIn:
        email = f"{name.lower().replace(' ', '.')}@example.com"
        phones = [{"number": number, "voice": True, "sms": True}]
        return PersonIn(name=name, email=email, phones=phones, pin=pin)

    await svc.create_person(person("Carol Caller", CALLER, pin))
    await svc.create_person(person("Agent One", AGENT1))
    await svc.create_person(person("Agent Two", AGENT2))
    await svc.create_person(person("Net Ops", NETOPS))
    members = {"agents": ["Agent One", "Agent Two"], "network": ["Net Ops"], "empty": []}
    for group, people in members.items():
        await svc.create_group(GroupIn(name=group, members=[{"person": p} for p in people]))


@dataclass
class Call:
    """One finished call-in call: its CallSid and the simulator's log of it."""

    sid: str
    log: list[dict[str, Any]]

    @property
    def said(self) -> list[str]:
        """What the caller heard, in order."""
        return [e["text"] for e in self.log if e["kind"] == "say"]

    @property
    def recordings(self) -> list[str]:
        """The carrier's RecordingSids of the recordings the caller made, in order."""
        return [e["recording_sid"] for e in self.log if e["kind"] == "record"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Anything the carrier refused (bad TwiML, failed webhooks)."""
        return [e for e in self.log if e["kind"] == "error"]

    def heard(self, text: str) -> int:
        """How many times the caller heard a prompt containing ``text``."""
        return sum(text in said for said in self.said)


async def place(h: Hotline, from_: str, *keys: str | None, **script: Any) -> str:
    """Start a call from ``from_`` pressing ``keys``, one entry per prompt; its CallSid."""
    return await h.simulator.inbound_call(
        from_, HOTLINE_NUMBER, PhoneScript(digits=list(keys), **script)
    )


async def finish(h: Hotline, sid: str) -> Call:
    await h.simulator.wait_for_call_end(sid, timeout=30)
    return Call(sid, h.simulator.call_log(sid))


async def call(h: Hotline, from_: str, *keys: str | None, **script: Any) -> Call:
    """Call the hotline and hang on until the call ended."""
    return await finish(h, await place(h, from_, *keys, **script))


RECORDING_LINK = re.compile(r"Recording: (\S+)")


async def listen(h: Hotline, text: str) -> bytes:
    """The audio behind the one recording link in ``text`` (an incident, an SMS, an e-mail),
    fetched as anyone holding the link would."""
    [link] = RECORDING_LINK.findall(text)
    async with httpx.AsyncClient(timeout=10) as anyone:
        response = await anyone.get(link)
    assert response.status_code == 200, (link, response.text)
    return response.content


async def incidents(h: Hotline) -> list[dict[str, Any]]:
    listed = (await h.api.get("/api/v1/incidents")).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    return [await h.fetch(item["id"]) for item in items]


async def eventually(check: Any, within: float = 15.0) -> Any:
    """Poll the async ``check`` until it returns something truthy; that value."""
    deadline = asyncio.get_running_loop().time() + within
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still nothing after {within} s")
        await asyncio.sleep(0.05)
    return result


async def texts(h: Hotline, count: int) -> list[dict[str, Any]]:
    """The SMS the simulator carried, once there are at least ``count``."""

    async def enough() -> list[dict[str, Any]]:
        return h.simulator.messages if len(h.simulator.messages) >= count else []

    return list(await eventually(enough))


@dataclass
class Transcriber:
    """The carrier's transcription service, scripted by the caller's phone script.

    The script's ``transcript`` lists one answer per recording, separated by ``|``; an
    answer ``late:TEXT`` comes only after :meth:`release`; ``FAILED`` fails the transcription.
    Installed with :meth:`install` (the simulator's pluggable transcriber).
    """

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    turns: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def install(self, h: Hotline) -> Transcriber:
        h.simulator.engine.transcriber = self
        return self

    def release(self) -> None:
        self.gate.set()

    async def __call__(self, wav: bytes, transcript: str | None) -> str | None:
        if transcript is None:
            return None
        answers = transcript.split("|")
        turn = self.turns[transcript]
        self.turns[transcript] += 1
        answer = answers[min(turn, len(answers) - 1)]
        if answer.startswith("late:"):
            await self.gate.wait()
            answer = answer.removeprefix("late:")
        return None if answer == "FAILED" else answer
