"""A standalone simulator served over real HTTP, for tests of Hotline as a separate client."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn

from hotline.simulator import Simulator

HOTLINE_NUMBER = "+12025550100"


@dataclass(frozen=True)
class RunningCarrier:
    simulator: Simulator
    url: str
    account_sid: str
    auth_token: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def running_carrier(time_scale: float = 0.05) -> AsyncIterator[RunningCarrier]:
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    sim = Simulator(sid, token, numbers=[HOTLINE_NUMBER], time_scale=time_scale)
    await sim.start()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(sim.asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield RunningCarrier(sim, f"http://127.0.0.1:{port}", sid, token)
    finally:
        server.should_exit = True
        await task
        await sim.close()
