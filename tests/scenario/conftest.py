"""Scenario tests: the real Hotline server over HTTP, with its in-process simulator.

The server runs under uvicorn on a free loopback port, on SQLite and on PostgreSQL. The
simulator's clock runs 100x faster than real time, so rings and prompts cost milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from hotline.adapters.db import migrate
from hotline.bootstrap import Container, build
from hotline.services.inputs import GroupIn, PersonIn, PolicyIn
from hotline.settings import load_settings
from hotline.simulator import PhoneScript, Simulator
from hotline.web.app import create_app
from tests.conftest import API_TOKEN

TIME_SCALE = 0.01
HOTLINE_NUMBER = "+12025550100"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hotline:
    """The running server, its API client and its simulator, in domain words."""

    container: Container
    api: httpx.AsyncClient
    simulator: Simulator
    url: str

    async def person(self, name: str, number: str, **script: Any) -> None:
        """A person in the directory whose phone behaves as ``script`` says."""
        await self.container.directory.create_person(
            PersonIn(
                name=name,
                email=f"{name.lower().replace(' ', '.')}@example.com",
                phones=[{"number": number, "voice": True, "sms": True}],
            )
        )
        if script:
            self.phone(number, **script)

    def phone(self, number: str, **script: Any) -> None:
        self.simulator.set_script(number, PhoneScript(**script))

    async def group(self, name: str, *people: str) -> None:
        await self.container.directory.create_group(
            GroupIn(name=name, members=[{"person": p} for p in people])
        )

    async def policy(
        self, name: str, *tiers: str, rounds: int = 1, delay: int = 0, ring_timeout: int = 30
    ) -> None:
        await self.container.directory.create_policy(
            PolicyIn(
                name=name,
                tiers=list(tiers),
                rounds=rounds,
                round_delay=delay,
                ring_timeout=ring_timeout,
            )
        )

    async def incident(self, **body: Any) -> dict[str, Any]:
        body.setdefault("severity", 1)
        response = await self.api.post("/api/v1/incidents", json=body)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def fetch(self, incident_id: int) -> dict[str, Any]:
        response = await self.api.get(f"/api/v1/incidents/{incident_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def settled(self, incident_id: int, within: float = 20.0) -> dict[str, Any]:
        """Wait until the ladder is over (accepted or unanswered) and calls have ended."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            incident = await self.fetch(incident_id)
            if incident["status"] in ("accepted", "unanswered", "resolved") and all(
                a["state"] == "ended" for a in incident["attempts"]
            ):
                await self.simulator.idle(timeout=within)
                return await self.fetch(incident_id)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"incident never settled: {incident}")
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_hotline(database_url: str, **overrides: Any) -> AsyncIterator[Hotline]:
    """The real server on a free port (settings ``overrides`` on top of the test defaults)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    values: dict[str, Any] = {
        "database_url": database_url,
        "api_token": API_TOKEN,
        "public_url": url,
        "simulator_time_scale": TIME_SCALE,
        "twilio_phone_number": HOTLINE_NUMBER,
        **overrides,
    }
    container = build(load_settings(**values))
    await migrate.upgrade(container.engine)
    app = create_app(container=container)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    assert container.simulator is not None
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as api:
        try:
            yield Hotline(container, api, container.simulator, url)
        finally:
            server.should_exit = True
            await task
            await container.close()


@pytest.fixture
async def hotline(database_url: str) -> AsyncIterator[Hotline]:
    async with running_hotline(database_url) as running:
        yield running
