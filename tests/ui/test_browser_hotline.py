"""The call-in hotline in a real browser (Playwright driving Debian's Chromium, headless).

1. A known caller dials the hotline from the softphone, walks the menu on the keypad
   (incident, severity high), uploads a WAV of real speech (espeak-ng + sox) at the
   recording prompt and keeps it with 1. The hotline page lists the call; the incident's
   recording page plays Hotline's own copy of the audio (200, audio) and shows the transcript
   that the local engine (``HOTLINE_TRANSCRIBER=local``) made of it.
2. The hotline page shows a live call and a conference bridge as soon as they exist (server-
   sent events, no reload), each with its calls and timeline; the incident left as a message
   after the live call shows the hunt too.

Screenshots go to ``HOTLINE_UI_ARTIFACTS`` (default ``build/ui-artifacts``); no page may log a
JavaScript error.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from hotline.domain.hotline_config import Phrases, fill
from hotline.services.accounts import Role
from hotline.simulator import PhoneScript
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline, running_hotline
from tests.support.speech import speak, telephone
from tests.ui.browser import WAIT, Console, log_in, phone_card, press_when_asked, shot
from tests.ui.helpers import PASSWORD

P = Phrases()
CALLER, GUEST = "+12025550131", "+12025550132"
AGENT1, AGENT2 = "+12025550111", "+12025550112"
INCIDENT, HIGH, SEND = "2", "2", "1"  # the default menu: 1 alert, 2 incident
SENTENCE = "nobody can log in to the website"
KEY_WORDS = ("nobody", "can", "log", "website")


async def people(h: Hotline) -> None:
    await h.person("Carol Caller", CALLER)
    await h.person("Gus Guest", GUEST)
    await h.person("Agent One", AGENT1)
    await h.person("Agent Two", AGENT2)
    await h.group("agents", "Agent One", "Agent Two")
    await h.policy("default", "agents", ring_timeout=120)
    await h.container.accounts.create("alice", PASSWORD, Role.RESPONDER)


@pytest.fixture
async def transcribing(tmp_path: Path) -> AsyncIterator[Hotline]:
    # A fifth of real time, and prompts that listen 30 simulated seconds (6 real ones): time
    # for a browser to press keys while a prompt listens, even on a busy machine.
    async with running_hotline(
        f"sqlite:///{tmp_path / 'ui.db'}",
        simulator_time_scale=0.2,
        hotline_menu_timeout=30,
        hotline_transcriber="local",
    ) as h:
        await people(h)
        yield h


async def transcript_shown(page: Page, within: float = 60.0) -> str:
    """The recording page's transcript, reloading until the local engine's text is there."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        text = await page.locator("#transcript").inner_text()
        if "transcript pending" not in text and text != "No transcript.":
            return text
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no transcript after {within} s: {text!r}")
        await asyncio.sleep(1)
        await page.reload()


async def test_a_recording_made_in_the_softphone_plays_with_its_transcript(
    transcribing: Hotline, browser: Browser, tmp_path: Path
) -> None:
    h = transcribing
    wav = telephone(speak(SENTENCE))
    upload = tmp_path / "message.wav"
    upload.write_bytes(wav)
    console = Console()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await log_in(context, console, h.url, "alice")

    phone = console.watch(await context.new_page())
    await phone.goto(h.url + "/ui/softphone")
    await expect(phone.locator("#phones")).to_have_attribute("data-connected", "yes")
    await phone.get_by_label("Call from").fill(CALLER)
    await phone.get_by_role("button", name="Dial the hotline").click()
    card = phone_card(phone, CALLER)
    await press_when_asked(card, fill(P.option, label=P.incident.label, digit="2"), INCIDENT)
    await press_when_asked(card, P.severity_question, HIGH)
    await expect(card.locator(".heard")).to_contain_text(P.record, timeout=WAIT)
    await expect(card.locator(".phone-status")).to_contain_text("record", timeout=WAIT)
    await card.get_by_label("Recording (WAV)").set_input_files(upload)
    await press_when_asked(card, "To send this recording, press 1", SEND)
    done = fill(P.incident.done, severity="high", group="agents")
    await expect(card.locator(".heard")).to_contain_text(done, timeout=WAIT)
    # The call ends after the goodbye; the phone still shows it, and says the call ended.
    await expect(card.locator(".phone-status")).to_have_text("idle · call ended", timeout=WAIT)
    await expect(card.locator(".heard")).to_contain_text(done)
    await shot(phone, "10-softphone-hotline-call")
    assert await phone.locator("#softphone-error").is_hidden()

    await page.goto(h.url + "/ui/hotline")
    calls = page.locator("table.recent-calls")
    await expect(calls).to_contain_text("Carol Caller", timeout=WAIT)
    await expect(calls).to_contain_text(CALLER)
    raised = page.locator("table.hotline-incidents")
    await expect(raised).to_contain_text("Hotline call from Carol Caller", timeout=WAIT)
    await shot(page, "11-hotline-after-call")
    await raised.get_by_role("link").first.click()
    await expect(page).to_have_url(re.compile(r"/ui/incidents/\d+$"))
    await expect(page.locator("h1")).to_contain_text("Hotline call from Carol Caller")
    await expect(page.locator("#incident-status")).to_have_text(re.compile("paging|triggered"))
    await page.get_by_role("link", name=re.compile("Recording and transcript")).click()
    await expect(page.locator("h1")).to_contain_text("Recording")

    transcript = (await transcript_shown(page)).split()
    assert len([w for w in KEY_WORDS if w in transcript]) >= 2, transcript
    src = await page.locator("audio").get_attribute("src")
    assert src is not None
    audio = await page.request.get(h.url + src)  # with the session cookie; follows the link
    assert audio.status == 200
    assert audio.headers["content-type"].startswith("audio/")
    assert await audio.body() == wav
    assert "/recordings/" in audio.url  # Hotline's signed link, not the carrier's
    # The browser itself loads and decodes it: the player knows the message's length.
    seconds = await page.locator("audio").evaluate(
        """(a) => new Promise((ok, fail) => {
            a.addEventListener("loadedmetadata", () => ok(a.duration));
            a.addEventListener("error", () => fail(new Error("cannot load the audio")));
            a.preload = "auto";
            a.load();
        })"""
    )
    assert 1.0 < seconds < 10.0
    await shot(page, "12-recording-with-transcript")
    await context.close()
    assert console.errors == []


# --- live calls and bridges ------------------------------------------------------------------

LIVE_CALL, CONFERENCE = "1", "2"  # hotline_actions below
MESSAGE, ANY_KEY = "3", "5"


@pytest.fixture
async def calls_server(tmp_path: Path) -> AsyncIterator[Hotline]:
    async with running_hotline(
        f"sqlite:///{tmp_path / 'calls.db'}",
        hotline_actions=["live-call", "conference"],
        transcript_wait=0,
    ) as h:
        await people(h)
        yield h


async def scripted_call(h: Hotline, caller: str, **script: Any) -> None:
    sid = await h.simulator.inbound_call(caller, HOTLINE_NUMBER, PhoneScript(**script))
    await h.simulator.wait_for_call_end(sid, timeout=60)
    await h.simulator.idle(timeout=30)


async def test_live_calls_and_bridges_appear_on_the_hotline_page(
    calls_server: Hotline, browser: Browser
) -> None:
    h = calls_server
    console = Console()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await log_in(context, console, h.url, "alice")
    await page.goto(h.url + "/ui/hotline")
    await expect(page.locator("#hotline-live")).to_contain_text("No live calls yet.")

    # Nobody takes Carol's live call; she leaves a message, which opens an incident.
    h.phone(AGENT1, mode="busy")
    h.phone(AGENT2, mode="busy")
    await scripted_call(
        h,
        CALLER,
        digits=[LIVE_CALL, MESSAGE, HIGH, "#", SEND],
        recording_duration=5,
        transcript="The VPN is down for everyone",
    )
    hunt = page.locator(".live-call").first  # arrives by server-sent events: no reload
    await expect(hunt).to_contain_text("Carol Caller → agents", timeout=WAIT)
    await expect(hunt).to_contain_text("message")
    legs = hunt.locator("table.legs")
    await expect(legs).to_contain_text("Agent One")
    await expect(legs).to_contain_text("Agent Two")
    await expect(legs).to_contain_text("busy")
    await expect(hunt.locator(".timeline")).to_contain_text("called Agent One")

    # Gus opens a bridge; Agent One joins it, Agent Two is busy.
    h.phone(AGENT1, digits=[ANY_KEY], hangup_after=40)
    await scripted_call(
        h,
        GUEST,
        digits=[CONFERENCE, "#", SEND],
        recording_duration=4,
        transcript="The payroll run failed",
        hangup_after=200,
    )
    bridge = page.locator(".bridge").first
    await expect(bridge).to_contain_text("Gus Guest with agents", timeout=WAIT)
    await expect(bridge).to_contain_text("The payroll run failed")
    invites = bridge.locator("table.invites")
    await expect(invites).to_contain_text("joined")
    await expect(invites).to_contain_text("busy")
    await expect(bridge.locator(".timeline li").first).to_be_visible()
    recent = page.locator("table.recent-calls")
    await expect(recent).to_contain_text("Gus Guest", timeout=WAIT)
    await expect(recent).to_contain_text("Carol Caller")
    await shot(page, "13-hotline-live-calls-and-bridges")

    # The incident from Carol's message shows the hunt that came before it.
    await hunt.get_by_role("link", name=re.compile(r"incident #\d+")).click()
    await expect(page).to_have_url(re.compile(r"/ui/incidents/\d+$"))
    before = page.locator(".live-call")
    await expect(before).to_contain_text("Carol Caller → agents")
    await expect(page.locator("ol.timeline").first).to_contain_text("live_call")
    await shot(page, "14-incident-from-live-call")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(h.url + "/ui/hotline")
    await shot(page, "15-hotline-phone-width")
    await context.close()
    assert console.errors == []
