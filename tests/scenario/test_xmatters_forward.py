"""A call-in event also goes to xMatters when ``XMATTERS_TRIGGER_URL`` is set: the real
server, the simulator and a fake xMatters inbound trigger, all over real HTTP.

Regression for seed B.11 step 2.3, which posted the whole request (settings, API keys and
all) to the trigger: only the whitelisted fields leave Hotline.
"""

from __future__ import annotations

import logging

import pytest

from hotline.services.xmatters_forward import FIELDS
from tests.conftest import API_TOKEN
from tests.scenario.callin import (
    CALLER,
    END,
    HIGH,
    INCIDENT,
    NETOPS,
    NETWORK,
    SEND,
    call,
    directory,
    incidents,
)
from tests.scenario.conftest import running_hotline
from tests.support.xmatters_server import API_KEY, FakeXMatters


async def test_an_incident_reaches_xmatters_whitelisted_after_a_failed_try(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hotline")
    with FakeXMatters() as xm:
        xm.fail_next(1, 503)
        async with running_hotline(database_url, xmatters_trigger_url=xm.trigger_url) as h:
            await directory(h)
            h.phone(NETOPS, digits=["5", "1"])  # Net Ops takes the page
            done = await call(
                h,
                CALLER,
                INCIDENT,
                NETWORK,
                HIGH,
                END,
                SEND,
                recording_duration=5,
                transcript="Fibre cut at the north site",
            )
            assert any("A high incident is open for network" in s for s in done.said), done.said
            requests = await xm.wait_for(2)
            [incident] = await incidents(h)
            secrets = (API_KEY, API_TOKEN, h.container.account.auth_token)
    assert [r.status for r in requests] == [503, 202]
    assert requests[0].body == requests[1].body  # the retry sends the same event
    [body] = xm.accepted
    assert tuple(body) == FIELDS
    assert body["recipient"] == "network"
    assert (body["what"], body["severity"]) == ("Incident", "2")
    assert (
        body["transcriptionText"] == "Hotline call from Carol Caller: Fibre cut at the north site"
    )
    assert body["shortDescription"] == body["transcriptionText"]
    assert body["shorturl"].startswith("http")  # the link the incident hands out, too
    assert f"Recording: {body['shorturl']}" in incident["description"]
    raw = requests[1].body.decode()
    assert not any(secret in raw for secret in secrets)
    assert CALLER not in raw  # the caller is named, their number stays in Hotline
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("hotline")]
    assert not any(API_KEY in text or "apiKey" in text for text in logged)
