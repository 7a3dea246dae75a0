"""The dashboard in a real browser: Playwright driving Debian's Chromium (headless).

One end-to-end story on the real server with its in-process simulator: log in, raise an
incident, answer as agent 1 in the softphone and pass (2), answer as agent 2 and accept (1),
watch the incident page turn "accepted by Agent Two" live, open the recording page, and check
that a viewer cannot resolve. Every page is screenshotted (``HOTLINE_UI_ARTIFACTS``, default
``build/ui-artifacts``) and no page may log a JavaScript error.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from hotline.services.accounts import Role
from tests.scenario.conftest import Hotline, running_hotline
from tests.ui.browser import WAIT, Console, log_in, phone_card, press_when_asked, shot
from tests.ui.helpers import PASSWORD

AGENT1, AGENT2 = "+12025550111", "+12025550112"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Hotline]:
    # The simulator runs at a fifth of real time: fast, yet slow enough for a browser to
    # answer a ringing phone and press keys while a prompt listens.
    async with running_hotline(
        f"sqlite:///{tmp_path / 'ui.db'}", simulator_time_scale=0.2, page_menu_timeout=60
    ) as h:
        await h.person("Agent One", AGENT1)
        await h.person("Agent Two", AGENT2)
        await h.group("agents", "Agent One", "Agent Two")
        await h.policy("default", "agents", ring_timeout=120)
        await h.container.accounts.create("alice", PASSWORD, Role.RESPONDER)
        await h.container.accounts.create("victor", PASSWORD, Role.VIEWER)
        yield h


async def answer_and_press(phone: Page, number: str, choice: str) -> None:
    """Answer the ringing phone, pass the human check with 5, then press ``choice``."""
    card = phone_card(phone, number)
    await expect(card.locator(".phone-status")).to_contain_text("ringing", timeout=WAIT)
    await card.get_by_role("button", name="Answer").click()
    await press_when_asked(card, "Press any key", "5")
    await press_when_asked(card, "Press 2 to pass", choice)


async def test_page_out_answered_in_the_softphone(server: Hotline, browser: Browser) -> None:
    console = Console()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    login = console.watch(await context.new_page())
    await login.goto(server.url + "/ui/login")
    await shot(login, "01-login")
    await login.close()

    page = await log_in(context, console, server.url, "alice")
    # The softphone first: opening it makes the directory's phones ring in the browser.
    phone = console.watch(await context.new_page())
    await phone.goto(server.url + "/ui/softphone")
    await expect(phone.locator("#phones")).to_have_attribute("data-connected", "yes")

    await page.get_by_label("Title").fill("Database down")
    await page.get_by_label("Severity").select_option("1")
    await page.get_by_role("button", name="Create and page").click()
    await expect(page).to_have_url(re.compile(r"/ui/incidents/\d+$"))
    incident_url = page.url
    await expect(page.locator("#incident-status")).to_have_text("paging", timeout=WAIT)

    await answer_and_press(phone, AGENT1, "2")
    await answer_and_press(phone, AGENT2, "1")
    await shot(phone, "04-softphone")

    # The incident page was never reloaded: the change arrives by server-sent events.
    await expect(page.locator("#incident-assignee")).to_have_text(
        "accepted by Agent Two", timeout=WAIT
    )
    await expect(page.locator("table.attempts")).to_contain_text("passed")
    await shot(page, "03-incident")

    await page.goto(server.url + "/ui/incidents")
    await expect(page.locator("#incident-rows")).to_contain_text("Agent Two")
    await shot(page, "02-incidents")
    await page.goto(incident_url + "/recording")
    await expect(page.locator("h1")).to_contain_text("Recording")
    await shot(page, "05-recording")
    for name, path in (("06-directory", "/ui/directory"), ("07-hotline", "/ui/hotline")):
        await page.goto(server.url + path)
        await shot(page, name)
    await page.goto(server.url + "/ui/metrics?days=1")
    await expect(page.locator("#m-incidents")).to_have_text("1")
    await shot(page, "08-metrics")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(incident_url)
    await shot(page, "09-incident-phone-width")

    # A viewer sees the incident but has no resolve button, and the server refuses anyway.
    viewer_context = await browser.new_context()
    viewer = await log_in(viewer_context, console, server.url, "victor")
    await viewer.goto(incident_url)
    await expect(viewer.locator("#incident-status")).to_have_text("accepted")
    assert await viewer.get_by_role("button", name="Resolve").count() == 0
    assert console.errors == []  # every page so far, before the deliberate refusal below
    status = await viewer.evaluate(
        """async (url) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const headers = {"X-CSRF-Token": token};
            const r = await fetch(url + "/resolve", {method: "POST", headers: headers});
            return r.status;
        }""",
        incident_url,
    )
    assert status == 403
    await expect(viewer.locator("#incident-status")).to_have_text("accepted")

    await viewer_context.close()
    await context.close()
    assert len(console.errors) == 1 and "status of 403" in console.errors[0]
    incident = await server.fetch(int(incident_url.rsplit("/", 1)[1]))
    assert incident["status"] == "accepted"
    assert incident["assignee"] == "Agent Two"
