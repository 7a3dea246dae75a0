"""The call-in gates through the real server and the simulator: the carrier's STIR/SHAKEN
verdict (``StirVerstat``) and the per-caller rate limit, in domain words."""

from __future__ import annotations

import asyncio
from typing import Any

from hotline.simulator import PhoneScript
from tests.scenario.callin import (
    ALERT,
    CALLER,
    END,
    NETOPS,
    NETWORK,
    SEND,
    Call,
    P,
    directory,
    finish,
    texts,
)
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline, running_hotline

ALERT_NETWORK = (ALERT, NETWORK, END, SEND)
RECORDING: dict[str, Any] = {"recording_duration": 4, "transcript": "Fibre cut"}


async def dial(
    h: Hotline, keys: tuple[str, ...], verstat: str | None = None, **script: Any
) -> Call:
    """Call from Carol's phone, signed with ``verstat`` (None: an unsigned call)."""
    phone = PhoneScript(digits=list(keys), **script)
    sid = await h.simulator.inbound_call(CALLER, HOTLINE_NUMBER, phone, stir_verstat=verstat)
    return await finish(h, sid)


async def test_with_the_gate_on_only_an_attested_caller_raises_an_alert(
    database_url: str,
) -> None:
    async with running_hotline(database_url, hotline_require_stir_shaken=True) as h:
        await directory(h)
        unsigned, partial, failed, full = await asyncio.gather(
            dial(h, ALERT_NETWORK, None, **RECORDING),
            dial(h, ALERT_NETWORK, "TN-Validation-Passed-C", **RECORDING),
            dial(h, ALERT_NETWORK, "TN-Validation-Failed-A", **RECORDING),
            dial(h, ALERT_NETWORK, "TN-Validation-Passed-A", **RECORDING),
        )
        for refused in (unsigned, partial, failed):
            assert refused.said == [P.refused] and refused.errors == []
        assert full.said[0].startswith(P.menu_intro)
        assert any("network has been alerted" in s for s in full.said), full.said
        [text] = await texts(h, 1)
        assert text["to"] == NETOPS and "Fibre cut" in text["body"]


async def test_a_caller_over_the_rate_limit_hears_why_and_others_still_get_through(
    database_url: str,
) -> None:
    async with running_hotline(database_url, hotline_caller_rate_limit=2) as h:
        await directory(h)
        first = await dial(h, (), hangup_at_prompt=1)
        second = await dial(h, (), hangup_at_prompt=1)
        third = await dial(h, ALERT_NETWORK, **RECORDING)
        for through in (first, second):
            assert through.said[0].startswith(P.menu_intro) and through.errors == []
        assert third.said == [P.rate_limited] and third.errors == []
        assert h.simulator.messages == []
