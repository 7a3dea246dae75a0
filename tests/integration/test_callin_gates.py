"""The call-in gates through the real app: signed ``/voice/incoming`` webhooks on SQLite and
PostgreSQL, a fake clock for the rate-limit window.

STIR/SHAKEN (``HOTLINE_REQUIRE_STIR_SHAKEN``): only attestation A or B gets the menu. Rate
limit (``HOTLINE_CALLER_RATE_LIMIT`` per ``HOTLINE_CALLER_RATE_WINDOW``): counted in the
database, so a second replica on the same database sees the same count.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from hotline.adapters.clock import FixedClock
from hotline.adapters.db import migrate
from hotline.bootstrap import build
from hotline.domain.hotline_config import Phrases
from hotline.services.inputs import GroupIn, PersonIn
from hotline.settings import load_settings
from hotline.web.app import create_app
from tests.conftest import NOW

PUBLIC = "https://hotline.example.com"
TOKEN = "c" * 32
P = Phrases()
CALLER, AGENT = "+12025550131", "+12025550111"
PASSED_A, PASSED_B = "TN-Validation-Passed-A", "TN-Validation-Passed-B"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"CA{next(_sids):032x}"


@dataclass
class Line:
    """The hotline number as the carrier sees it: it signs and posts inbound-call webhooks."""

    client: httpx.AsyncClient
    clock: FixedClock

    async def dial(self, from_: str, verstat: str | None = None, sid: str | None = None) -> str:
        """A call from ``from_`` (``StirVerstat`` = ``verstat``, absent when None); the
        TwiML Hotline answers with."""
        form = {"CallSid": sid or new_sid(), "From": from_, "To": "+12025550100"}
        form |= {"CallStatus": "ringing", "Direction": "inbound"}
        if verstat is not None:
            form["StirVerstat"] = verstat
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/voice/incoming", form)
        response = await self.client.post(
            "/voice/incoming", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text
        return response.text


def got_in(twiml: str) -> bool:
    return P.menu_intro in twiml and P.refused not in twiml and P.rate_limited not in twiml


def refused(twiml: str) -> bool:
    return P.refused in twiml and "<Hangup" in twiml and P.menu_intro not in twiml


def rate_limited(twiml: str) -> bool:
    return P.rate_limited in twiml and "<Hangup" in twiml and P.menu_intro not in twiml


@contextlib.asynccontextmanager
async def hotline_line(
    database_url: str, clock: FixedClock, *, setup: bool = True, **overrides: Any
) -> AsyncIterator[Line]:
    """The real app (worker off) on ``database_url``; ``setup`` migrates it and adds Carol
    Caller and an "agents" group with Agent One."""
    settings = load_settings(
        database_url=database_url,
        public_url=PUBLIC,
        carrier="twilio",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TOKEN,
        twilio_phone_number="+12025550100",
        **overrides,
    )
    container = build(settings, clock=clock)
    container.run_worker = False
    if setup:
        await migrate.upgrade(container.engine)
        for name, number in (("Carol Caller", CALLER), ("Agent One", AGENT)):
            await container.directory.create_person(
                PersonIn(name=name, phones=[{"number": number, "voice": True}])
            )
        await container.directory.create_group(
            GroupIn(name="agents", members=[{"person": "Agent One"}])
        )
    app = create_app(container=container)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
                yield Line(client, clock)
    finally:
        await container.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


# --- STIR/SHAKEN ---------------------------------------------------------------------------


async def test_the_stir_shaken_gate_is_off_by_default(database_url: str, clock: FixedClock) -> None:
    async with hotline_line(database_url, clock) as line:
        assert got_in(await line.dial(CALLER))
        assert got_in(await line.dial(CALLER, "TN-Validation-Failed-A"))


async def test_with_the_gate_on_only_attestation_a_or_b_gets_the_menu(
    database_url: str, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hotline")
    async with hotline_line(database_url, clock, hotline_require_stir_shaken=True) as line:
        assert got_in(await line.dial(CALLER, PASSED_A))
        assert got_in(await line.dial(CALLER, PASSED_B))
        for verstat in (
            "TN-Validation-Passed-C",
            "TN-Validation-Failed-A",
            "TN-Validation-Failed-B",
            "No-TN-Validation",
            None,  # an unsigned call: Twilio sends no StirVerstat at all
        ):
            assert refused(await line.dial(CALLER, verstat)), verstat
        # The gate comes before the directory: attestation does not let a stranger in.
        assert refused(await line.dial("+12025550199", PASSED_A))
    gate_logs = [r.getMessage() for r in caplog.records if "not attested" in r.getMessage()]
    assert len(gate_logs) == 5
    assert all(CALLER in text for text in gate_logs)
    assert any("TN-Validation-Passed-C" in text for text in gate_logs)
    assert any("StirVerstat absent" in text for text in gate_logs)
    reasons = [r.getMessage() for r in caplog.records if "unattested-caller-id" in r.getMessage()]
    assert len(reasons) == 5  # each refused call is also logged with its CallSid and reason


# --- rate limit ----------------------------------------------------------------------------


async def test_a_caller_over_the_limit_is_refused_until_the_window_has_passed(
    database_url: str, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hotline")
    overrides: dict[str, Any] = {"hotline_caller_rate_limit": 2, "hotline_caller_rate_window": 600}
    async with hotline_line(database_url, clock, **overrides) as line:
        first = new_sid()
        assert got_in(await line.dial(CALLER, sid=first))
        assert got_in(await line.dial(CALLER, sid=first))  # a retried webhook is not a call
        clock.advance(60)
        assert got_in(await line.dial(CALLER))
        assert rate_limited(await line.dial(CALLER))
        assert got_in(await line.dial(AGENT))  # the limit is per caller
        clock.advance(540)  # the first call is 600 s old: still inside the window
        assert rate_limited(await line.dial(CALLER))
        clock.advance(601)  # every earlier call, the refused ones too, is out of the window
        assert got_in(await line.dial(CALLER))
    limited = [r.getMessage() for r in caplog.records if "rate limit" in r.getMessage()]
    assert len(limited) == 2 and all(CALLER in text for text in limited)


async def test_withheld_callers_share_one_count(database_url: str, clock: FixedClock) -> None:
    overrides: dict[str, Any] = {"hotline_caller_rate_limit": 2, "hotline_withheld_callers": "ask"}
    async with hotline_line(database_url, clock, **overrides) as line:
        assert P.ask_number in await line.dial("anonymous")
        assert P.ask_number in await line.dial("restricted")
        assert rate_limited(await line.dial("private"))
        assert got_in(await line.dial(CALLER))


async def test_the_count_is_shared_by_replicas_on_one_database(
    database_url: str, clock: FixedClock
) -> None:
    overrides: dict[str, Any] = {"hotline_caller_rate_limit": 2}
    async with (
        hotline_line(database_url, clock, **overrides) as one,
        hotline_line(database_url, clock, setup=False, **overrides) as two,
    ):
        assert got_in(await one.dial(CALLER))
        assert got_in(await two.dial(CALLER))
        assert rate_limited(await one.dial(CALLER))
        assert rate_limited(await two.dial(CALLER))


async def test_a_limit_of_zero_turns_the_limit_off(database_url: str, clock: FixedClock) -> None:
    async with hotline_line(database_url, clock, hotline_caller_rate_limit=0) as line:
        for _ in range(12):
            assert got_in(await line.dial(CALLER))


async def test_the_default_limit_is_ten_calls_in_ten_minutes(
    database_url: str, clock: FixedClock
) -> None:
    async with hotline_line(database_url, clock) as line:
        for _ in range(10):
            assert got_in(await line.dial(CALLER))
            clock.advance(59)
        assert rate_limited(await line.dial(CALLER))
        clock.advance(600 - 59 * 9 + 1)  # the first two calls leave the window
        assert got_in(await line.dial(CALLER))
