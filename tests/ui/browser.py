"""Shared parts of the real-browser tests (the ``browser`` fixture is in conftest): a console
watcher that collects JavaScript errors, screenshots, logging in through the form, and the
softphone's keypad."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.async_api import BrowserContext, Locator, Page, expect

from tests.ui.helpers import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("HOTLINE_UI_ARTIFACTS", "build/ui-artifacts"))
WAIT = 30_000  # ms


class Console:
    """Collects JavaScript errors of every page it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on(
            "console",
            lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return page


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (cheap, test only)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def log_in(context: BrowserContext, console: Console, url: str, user: str) -> Page:
    page = console.watch(await context.new_page())
    await page.goto(url + "/ui/incidents")
    await expect(page).to_have_url(re.compile(r"/ui/login\?next="))
    await page.get_by_label("Username").fill(user)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/ui/incidents$"))
    return page


def phone_card(softphone: Page, number: str) -> Locator:
    return softphone.locator(f'.phone[data-number="{number}"]')


async def press_when_asked(card: Locator, prompt: str, key: str) -> None:
    """Wait until the phone hears ``prompt`` and listens for keys, then press ``key``."""
    await expect(card.locator(".heard")).to_contain_text(prompt, timeout=WAIT)
    await expect(card.locator(".phone-status")).to_contain_text("listening", timeout=WAIT)
    await card.get_by_role("button", name=f"key {key}", exact=True).click()
