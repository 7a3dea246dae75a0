"""Fixtures for the simulator tests: a real TwiML application over HTTP, a simulator.

``twiml_app`` is a small Starlette app served by uvicorn on a free 127.0.0.1 port (one
server for the session, in a thread of its own; emptied for each test). Tests register
TwiML per path; every request it receives is recorded with its form parameters and whether
``X-Twilio-Signature`` validated with twilio-python's ``RequestValidator``: the fixture
fails any test in which one did not.
"""

from __future__ import annotations

import asyncio
import io
import math
import socket
import struct
import threading
import time
import wave
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp
from twilio.request_validator import RequestValidator

from hotline.simulator import PhoneScript, Simulator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
NUMBER = "+15550000001"  # the number the simulator owns
CALLEE = "+15557000001"
CALLER = "+15558000001"
SCALE = 0.001


@dataclass
class Hit:
    """One request the TwiML app received."""

    path: str
    method: str
    url: str
    params: dict[str, str]
    query: dict[str, str]
    signed: bool
    headers: dict[str, str]


Reply = str | Response | Callable[[Hit], "str | Response"]


@dataclass
class TwimlApp:
    """Routes TwiML (or any response) per path and records every request."""

    base: str = ""
    replies: dict[str, Reply] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    delay: dict[str, float] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, reply: Reply) -> str:
        """Answer ``path`` with ``reply`` (TwiML text, a Response, or a function of the hit)."""
        self.replies[path] = reply
        return self.url(path)

    def to(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    async def endpoint(self, request: Request) -> Response:
        body = (await request.body()).decode()
        params = dict(parse_qsl(body, keep_blank_values=True))
        url = str(request.url)
        signature = request.headers.get("x-twilio-signature", "")
        signed = RequestValidator(AUTH_TOKEN).validate(url, params, signature)
        hit = Hit(
            request.url.path,
            request.method,
            url,
            params,
            dict(request.query_params),
            signed,
            dict(request.headers),
        )
        self.hits.append(hit)
        if request.url.path in self.delay:
            await asyncio.sleep(self.delay[request.url.path])
        reply = self.replies.get(request.url.path)
        if reply is None:
            return Response("<Response/>", media_type="text/xml")
        if callable(reply) and not isinstance(reply, Response):
            reply = reply(hit)
        if isinstance(reply, Response):
            return reply
        return Response(reply, media_type="text/xml")


async def serve(app: ASGIApp) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """Serve ``app`` with uvicorn on a free loopback port, in this event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", ws="none", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    return server, task, f"http://127.0.0.1:{port}"


async def stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
def app_server() -> Iterator[TwimlApp]:
    """One TwiML app for the session, served by uvicorn in a thread of its own."""
    app = TwimlApp()
    any_path = Route("/{path:path}", app.endpoint, methods=["GET", "POST"])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        Starlette(routes=[any_path]),
        lifespan="off",
        ws="none",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the TwiML app did not start"
        time.sleep(0.01)
    try:
        yield app
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def twiml_app(app_server: TwimlApp) -> Iterator[TwimlApp]:
    """The session's TwiML app, emptied for this test; every request must be signed."""
    app_server.replies.clear()
    app_server.hits.clear()
    app_server.delay.clear()
    yield app_server
    unsigned = [hit.url for hit in app_server.hits if not hit.signed]
    assert not unsigned, f"requests with a bad X-Twilio-Signature: {unsigned}"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(ACCOUNT_SID, AUTH_TOKEN, numbers=[NUMBER], time_scale=SCALE)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.close()


@pytest.fixture
async def api(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's REST API, in process."""
    transport = httpx.ASGITransport(app=sim.asgi)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim.test", auth=(ACCOUNT_SID, AUTH_TOKEN)
    ) as client:
        yield client


CALLS = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


async def place_call(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """``POST /Calls.json`` (To/From default to CALLEE/NUMBER); the created call JSON."""
    data: dict[str, Any] = {"To": CALLEE, "From": NUMBER, **fields}
    response = await api.post(CALLS, data=data)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def run_call(sim: Simulator, api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """Place a call and wait for its end; the final call JSON."""
    created = await place_call(api, **fields)
    return await sim.wait_for_call_end(created["sid"], timeout=10)


async def eventually(condition: Callable[[], object], seconds: float = 5.0) -> None:
    """Wait (polling) until ``condition()`` is true."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.001)


def kinds(log: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["kind"] == kind]


def said(log: list[dict[str, Any]]) -> list[str]:
    return [entry["text"] for entry in kinds(log, "say")]


def tone(seconds: float, rate: int = 8000) -> bytes:
    """A WAV of a 440 Hz tone, for recordings."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(int(seconds * rate))
        )
        writer.writeframes(frames)
    return buffer.getvalue()


def script(**settings: Any) -> PhoneScript:
    return PhoneScript(**settings)
