"""A live-call leg whose placing may have reached the carrier before a crash is adopted, not
placed twice (the same guarantee page-out gives its calls)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from hotline.ports import Job
from hotline.simulator import PhoneScript
from tests.scenario.conftest import HOTLINE_NUMBER
from tests.scenario.test_live_call import A1, CALLER, LIVE_CALL, agents, calls_to, live


async def test_a_leg_placed_before_a_crash_is_adopted_not_called_twice(database_url: str) -> None:
    async with live(database_url, live_call_ring_timeout=600) as h:
        await agents(h, A1)
        h.phone(A1, answer_after=1000)  # rings for the whole test
        caller = await h.simulator.inbound_call(
            CALLER, HOTLINE_NUMBER, PhoneScript(digits=[LIVE_CALL], hangup_after=400)
        )
        for _ in range(400):
            if calls_to(h, A1):
                break
            await asyncio.sleep(0.02)
        [placed] = calls_to(h, A1)
        async with h.container.engine.begin() as conn:
            token = (await conn.execute(text("SELECT token FROM live_calls"))).scalar_one()
            # The crash: the carrier took the call, but its id never reached the database.
            await conn.execute(text("UPDATE live_call_legs SET call_sid = NULL"))

        job = Job(1, "live_call_dial", {"hunt": token, "leg": 1}, 2, datetime.now(UTC))
        await h.container.live_call_legs.dial(job)

        assert [c["sid"] for c in calls_to(h, A1)] == [placed["sid"]]
        async with h.container.engine.begin() as conn:
            adopted = (await conn.execute(text("SELECT call_sid FROM live_call_legs"))).scalar_one()
        assert adopted == placed["sid"]
        h.simulator.phone(CALLER).hang_up()
        await h.simulator.wait_for_call_end(caller, timeout=30)
