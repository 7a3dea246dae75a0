"""Housekeeping: chores run at start and then on a period; one failing stops no other."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from hotline.jobs.housekeeping import Housekeeping


async def test_chores_run_at_start_then_every_period_and_a_failure_stops_no_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[str] = []

    async def tidy() -> int:
        runs.append("tidy")
        return 3

    async def broken() -> int:
        runs.append("broken")
        raise RuntimeError("database away")

    keeper = Housekeeping({"broken": broken, "tidy": tidy}, timedelta(seconds=0.05))
    with caplog.at_level(logging.ERROR, logger="hotline.housekeeping"):
        assert await keeper.run_once() == {"broken": -1, "tidy": 3}
        keeper.start()
        await asyncio.sleep(0.12)
        await keeper.stop()
    assert runs[:2] == ["broken", "tidy"]
    assert runs.count("tidy") >= 3  # the direct run, the one at start, at least one more
    assert "housekeeping: broken failed" in caplog.text
    count = len(runs)
    await asyncio.sleep(0.1)
    assert len(runs) == count  # stopped means stopped
