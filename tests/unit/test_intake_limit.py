"""The intake limit admits N changing API requests at a time, first come first served, and
never holds back reads or carrier webhooks."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from hotline.settings import SettingsError, load_settings
from hotline.web.intake import IntakeLimit


class Inner:
    """An ASGI app that records how many requests it is serving at once, and their order."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.order: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        self.order.append(scope["path"])
        await self.release.wait()
        self.now -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def client(app: IntakeLimit) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_changing_api_requests_are_admitted_a_few_at_a_time_in_order() -> None:
    inner = Inner()
    async with client(IntakeLimit(inner, limit=2)) as c:
        sent = []
        for i in range(8):
            sent.append(asyncio.create_task(c.post(f"/api/v1/incidents/{i}")))
            await asyncio.sleep(0.01)  # each arrives after the one before
        await asyncio.sleep(0.1)
        assert inner.now == 2  # the others wait
        inner.release.set()
        answers = await asyncio.wait_for(asyncio.gather(*sent), 30)
    assert [a.status_code for a in answers] == [200] * 8
    assert inner.most == 2
    assert inner.order == [f"/api/v1/incidents/{i}" for i in range(8)]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/incidents"),
        ("POST", "/voice/page/abc/status"),
        ("POST", "/ui/incidents/1/resolve"),
        ("POST", "/api/v1/incidents/7/acknowledge"),
        ("POST", "/api/v1/incidents/7/resolve"),
    ],
)
async def test_reads_webhooks_pages_and_stops_are_never_held_back(method: str, path: str) -> None:
    inner = Inner()
    async with client(IntakeLimit(inner, limit=1)) as c:
        sent = [asyncio.create_task(c.request(method, path)) for _ in range(5)]
        for _ in range(100):
            if inner.now == 5:
                break
            await asyncio.sleep(0.01)
        assert inner.now == 5
        inner.release.set()
        await asyncio.wait_for(asyncio.gather(*sent), 30)


async def test_integrations_count_as_intake() -> None:
    inner = Inner()
    async with client(IntakeLimit(inner, limit=1)) as c:
        sent = [asyncio.create_task(c.post("/integrations/servicenow/incidents")) for _ in range(3)]
        await asyncio.sleep(0.1)
        assert inner.now == 1
        inner.release.set()
        await asyncio.wait_for(asyncio.gather(*sent), 30)
    assert inner.most == 1


class Webhooks:
    """An ASGI app whose carrier webhooks (``/voice/``) run until released; other requests
    answer at once. ``started`` lists the paths in the order they began."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started.append(scope["path"])
        if scope["path"].startswith("/voice/"):
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def eventually(check, seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not in time")


async def test_a_new_request_lets_the_webhooks_in_flight_finish_first() -> None:
    inner = Webhooks()
    async with client(IntakeLimit(inner, limit=1, quiet_wait=60)) as c:
        webhooks = [asyncio.create_task(c.post(f"/voice/page/t{i}/status")) for i in range(2)]
        await eventually(lambda: len(inner.started) == 2)
        new = asyncio.create_task(c.post("/api/v1/incidents"))
        read = await c.get("/api/v1/incidents")  # reads are not held back
        assert read.status_code == 200
        await asyncio.sleep(0.1)
        assert inner.started.count("/api/v1/incidents") == 1  # the read; the POST waits
        inner.release.set()
        answers = await asyncio.wait_for(asyncio.gather(new, *webhooks), 30)
    assert [a.status_code for a in answers] == [200] * 3
    assert inner.started.count("/api/v1/incidents") == 2


async def test_a_webhook_that_lasts_holds_new_requests_back_only_briefly() -> None:
    inner = Webhooks()
    async with client(IntakeLimit(inner, limit=1, quiet_wait=0.05)) as c:
        webhook = asyncio.create_task(c.post("/voice/hotline/wait"))
        await eventually(lambda: inner.started == ["/voice/hotline/wait"])
        answer = await asyncio.wait_for(c.post("/api/v1/incidents"), 30)
        assert answer.status_code == 200
        assert not webhook.done()  # it started anyway, the webhook still running
        inner.release.set()
        await asyncio.wait_for(webhook, 30)


def test_the_limit_is_a_setting_of_at_least_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_API_CONCURRENCY", raising=False)
    assert load_settings().api_concurrency == 1
    monkeypatch.setenv("HOTLINE_API_CONCURRENCY", "8")
    assert load_settings().api_concurrency == 8
    monkeypatch.setenv("HOTLINE_API_CONCURRENCY", "0")
    with pytest.raises(SettingsError, match="HOTLINE_API_CONCURRENCY"):
        load_settings()
    with pytest.raises(ValueError, match="at least 1"):
        IntakeLimit(Inner(), limit=0)


def test_the_server_app_applies_the_configured_limit(tmp_path, monkeypatch) -> None:
    from hotline.web.app import create_app

    monkeypatch.setenv("HOTLINE_API_CONCURRENCY", "3")
    app = create_app(load_settings(database_url=f"sqlite:///{tmp_path / 'h.db'}"))
    (found,) = [m for m in app.user_middleware if m.cls is IntakeLimit]
    assert found.kwargs == {"limit": 3}
