"""Crash safety: the server is SIGKILLed mid-ladder and started again.

Here the carrier (the simulator) runs in the test process and Hotline in a child process
that talks to it over HTTP, exactly as it would talk to Twilio.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from hotline.adapters.db.tables import JobRow
from hotline.simulator import PhoneScript
from tests.conftest import API_TOKEN
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline, free_port, running_hotline
from tests.scenario.test_pageout import AGENT1, AGENT2, ANY_KEY, calls_to, directory
from tests.support.carrier import RunningCarrier, running_carrier

HOTLINE = str(Path(sys.executable).with_name("hotline"))


@pytest.fixture
async def carrier() -> AsyncIterator[RunningCarrier]:
    async with running_carrier() as running:
        yield running


class Server:
    """`hotline serve` as a child process."""

    def __init__(self, database_url: str, carrier: RunningCarrier) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_PUBLIC_URL": self.url,
            "HOTLINE_API_TOKEN": API_TOKEN,
            "HOTLINE_CARRIER": "simulator",
            "TWILIO_API_BASE_URL": carrier.url,
            "TWILIO_ACCOUNT_SID": carrier.account_sid,
            "TWILIO_AUTH_TOKEN": carrier.auth_token,
            "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER,
            "HOTLINE_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: ASYNC220 (a child we kill on purpose)
            [HOTLINE, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with httpx.AsyncClient() as client:
            for _ in range(1200):  # up to a minute: a busy machine starts Python slowly
                try:
                    if (await client.get(self.url + "/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass  # not listening yet: try again
                await asyncio.sleep(0.05)
        raise AssertionError("hotline serve did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


async def test_sigkill_while_an_agent_is_ringing_then_restart(
    database_url: str, carrier: RunningCarrier
) -> None:
    sim = carrier.simulator
    # Set up the directory and schema through an in-process Hotline on the same database.
    async with running_hotline(database_url) as setup:
        await directory(setup, ring_timeout=120)  # 6 s of ringing at the carrier's pace
    sim.set_script(AGENT1, PhoneScript(mode="no-answer"))
    sim.set_script(AGENT2, PhoneScript(digits=(ANY_KEY, "1")))
    server = Server(database_url, carrier)
    await server.start()
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as api:
            created = (
                await api.post("/api/v1/incidents", json={"title": "Crash me", "severity": 1})
            ).json()
            for _ in range(3000):  # up to 30 s, however busy the machine is
                ringing = [c for c in sim.calls if c["to"] == AGENT1]
                if ringing and ringing[0]["status"] == "ringing":
                    break
                await asyncio.sleep(0.01)
            assert ringing and ringing[0]["status"] == "ringing", sim.calls
            server.kill()  # agent 1 rings on; its no-answer callback will find nobody
            await sim.wait_for_call_end(ringing[0]["sid"], timeout=30)
            await server.start()  # the restart asks the carrier what became of the call
            for _ in range(1200):
                incident = (await api.get(f"/api/v1/incidents/{created['id']}")).json()
                if incident["status"] == "accepted":
                    break
                await asyncio.sleep(0.05)
        assert incident["status"] == "accepted", incident
        assert incident["assignee"] == "Agent Two"
        assert [(a["name"], a["outcome"]) for a in incident["attempts"]] == [
            ("Agent One", "no-answer"),
            ("Agent Two", "accepted"),
        ]
        assert len([c for c in sim.calls if c["to"] == AGENT1]) == 1  # nobody called twice
        assert len([c for c in sim.calls if c["to"] == AGENT2]) == 1  # nobody skipped
    finally:
        server.kill()


async def test_a_call_placed_just_before_a_crash_is_adopted_not_placed_again(
    database_url: str,
) -> None:
    """The worker died between the carrier creating the call and us storing its id: the
    attempt is still queued, and its place_call job runs a second time."""
    # Real time: agent 1's phone rings for the whole test, however slow the machine is.
    async with running_hotline(database_url, simulator_time_scale=1.0) as h:
        await _adopt_half_placed_call(h, state="queued", tried_before=True)


async def test_a_call_placed_before_a_crash_is_ended_if_the_incident_was_stopped_meanwhile(
    database_url: str,
) -> None:
    """The incident was acknowledged before the crashed run could store the call's id: the
    run after the crash finds the call at the carrier and ends it."""
    async with running_hotline(database_url, simulator_time_scale=1.0) as h:
        await _adopt_half_placed_call(h, state="queued", tried_before=True, stop_first=True)


async def test_an_attempt_left_placing_by_an_older_version_is_adopted(database_url: str) -> None:
    """Versions before 2026-11-22 marked an attempt "placing" before asking the carrier."""
    async with running_hotline(database_url, simulator_time_scale=1.0) as h:
        await _adopt_half_placed_call(h, state="placing", tried_before=False)


async def _adopt_half_placed_call(
    h: Hotline, *, state: str, tried_before: bool, stop_first: bool = False
) -> None:
    await directory(h, ring_timeout=600)
    h.phone(AGENT1, answer_after=1000)
    created = await h.incident(title="Half placed")
    for _ in range(3000):
        if calls_to(h, AGENT1):
            break
        await asyncio.sleep(0.01)
    for _ in range(3000):
        attempt = (await h.fetch(created["id"]))["attempts"][0]
        if attempt["state"] in ("ringing", "placed"):
            break
        await asyncio.sleep(0.01)
    async with h.container.paging.unit_of_work() as uow:
        stored = (await uow.incidents.attempts(created["id"]))[0]
        original_sid = stored.call_sid
        stored.state, stored.call_sid = state, None
        stored.placing_at = h.container.clock.now() - timedelta(seconds=1)
        if state == "queued":
            stored.placing_at = None
        await uow.incidents.save_attempt(stored)
        now = h.container.clock.now()
        later = now + timedelta(hours=1)  # not handed to the worker when written
        uow.jobs.enqueue(
            "place_call",
            {"attempt": stored.token},
            run_at=later if tried_before else now,
            incident_id=created["id"],
        )
        await uow.commit()
    if tried_before:  # as a crashed run leaves it: tried once, claimable again
        async with h.container.paging.unit_of_work() as uow:
            await uow.session.execute(  # type: ignore[attr-defined]
                update(JobRow)
                .where(JobRow.kind == "place_call", JobRow.run_at == later)
                .values(tries=1, run_at=now - timedelta(seconds=1), created_at=now)
            )
            await uow.commit()
        if stop_first:
            stopped = await h.api.post(f"/api/v1/incidents/{created['id']}/acknowledge", json={})
            assert stopped.status_code == 200, stopped.text
        h.container.worker.wake()
    for _ in range(3000):
        async with h.container.paging.unit_of_work() as uow:
            again = (await uow.incidents.attempts(created["id"]))[0]
        if again.call_sid is not None:
            break
        await asyncio.sleep(0.01)
    assert again.call_sid == original_sid
    assert len(calls_to(h, AGENT1)) == 1
    if stop_first:  # the adopted call is hung up, not left ringing
        for _ in range(3000):
            if calls_to(h, AGENT1)[0]["status"] in ("canceled", "completed"):
                break
            await asyncio.sleep(0.01)
        assert calls_to(h, AGENT1)[0]["status"] == "canceled"
