"""Checking recording links in what Hotline sends out: its own signed link, never the
carrier's URL, serving the audio the caller recorded.

For scenarios that used to look for the carrier's ``RecordingUrl`` in a message::

    assert await serves(h, incident["description"], done.recordings[-1])
"""

from __future__ import annotations

import re

import httpx

from tests.scenario.conftest import Hotline

LINK = re.compile(r"(https?://[^\s/]+/recordings/[A-Za-z0-9_-]+\?expires=\d+&sig=[\w-]+)")


def link_in(text: str) -> str:
    """The one Hotline recording link in ``text`` (asserts there is one)."""
    found = LINK.findall(text)
    assert len(set(found)) == 1, text
    return str(found[0])


async def get(url: str) -> httpx.Response:
    """Fetch ``url`` as whoever was sent the link would: no API token, no cookies."""
    async with httpx.AsyncClient() as anonymous:
        return await anonymous.get(url)


async def serves(h: Hotline, text: str, carrier_url: str) -> bool:
    """Whether ``text`` links (with Hotline's link, not ``carrier_url``) to the audio the
    simulator recorded at ``carrier_url``."""
    if carrier_url in text:
        return False
    response = await get(link_in(text))
    expected = h.simulator.recording(carrier_url.rpartition("/")[2])
    return response.status_code == 200 and response.content == expected
