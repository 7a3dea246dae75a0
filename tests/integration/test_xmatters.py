"""xMatters forwarding over real HTTP: the trigger adapter against a fake inbound trigger,
and the ``xmatters_event`` job through the real worker and database (SQLite, PostgreSQL).

The trigger URL carries the apiKey, so it must never reach a log line, an error message or
the payload; the payload holds the whitelisted fields only.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import httpx
import pytest

from hotline.adapters.clock import FixedClock
from hotline.adapters.db import migrate
from hotline.adapters.xmatters import XMattersError, XMattersTrigger
from hotline.bootstrap import Container, build
from hotline.domain.hotline_config import Action
from hotline.ports import UnitOfWork
from hotline.services.callin_outcomes import Message
from hotline.services.xmatters_forward import FIELDS
from hotline.settings import load_settings
from tests.conftest import API_TOKEN, NOW
from tests.support.xmatters_server import API_KEY, FakeXMatters

TWILIO_TOKEN = "t" * 32
LINK = "https://hotline.example/recordings/RE1?token=link-token"
MESSAGE = Message(
    group="dba",
    who="Carol Caller",
    caller="+12025550131",
    transcript="The payroll database is down",
    recording=LINK,
)
EVENT = {"recipient": "dba", "what": "Incident", "severity": "2"}


@pytest.fixture
def xm() -> Iterator[FakeXMatters]:
    with FakeXMatters() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def secret_free(text: str) -> bool:
    return API_KEY not in text and "apiKey" not in text and "/triggers" not in text


def our_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Hotline's log lines, and every warning or error whoever logged it. (httpx logs each
    request URL at INFO; ``hotline serve`` raises its level to WARNING, see ``cli.py``.)"""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("hotline") or r.levelno >= logging.WARNING
    ]


# --- the adapter ---------------------------------------------------------------------------


async def test_an_accepted_event_returns_the_request_id(
    xm: FakeXMatters, http: httpx.AsyncClient
) -> None:
    request_id = await XMattersTrigger(xm.trigger_url, http).send(EVENT)
    [received] = xm.requests
    assert received.json == EVENT and received.status == 202
    assert received.headers["content-type"] == "application/json"
    assert received.headers["accept"] == "application/json"
    assert request_id and request_id == received.json.get("requestId", request_id)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (502, True), (503, True), (429, True), (408, True), (400, False), (404, False)],
)
async def test_5xx_and_throttling_are_retryable_other_4xx_are_final(
    xm: FakeXMatters, http: httpx.AsyncClient, status: int, retryable: bool
) -> None:
    xm.fail_next(1, status)
    with pytest.raises(XMattersError) as error:
        await XMattersTrigger(xm.trigger_url, http).send(EVENT)
    assert error.value.retryable is retryable
    assert error.value.status == status
    assert str(error.value) == f"xMatters trigger: HTTP {status}"


async def test_a_wrong_api_key_is_final_and_not_repeated_in_the_error(
    xm: FakeXMatters, http: httpx.AsyncClient
) -> None:
    url = xm.trigger_url.replace(API_KEY, "wrong-key-0123456789")
    with pytest.raises(XMattersError) as error:
        await XMattersTrigger(url, http).send(EVENT)
    assert error.value.retryable is False and error.value.status == 401
    assert "wrong-key" not in str(error.value)


async def test_an_unreachable_trigger_is_retryable_and_the_url_stays_hidden(
    http: httpx.AsyncClient,
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/integration/1/functions/f/triggers?apiKey={API_KEY}"
    trigger = XMattersTrigger(url, http)
    with pytest.raises(XMattersError) as error:
        await trigger.send(EVENT)
    assert error.value.retryable is True
    assert secret_free(str(error.value)) and str(port) not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__
    assert secret_free(repr(trigger))


# --- the job, through the worker -----------------------------------------------------------


@pytest.fixture
async def forwarding(
    database_url: str, xm: FakeXMatters
) -> AsyncIterator[tuple[Container, FixedClock]]:
    clock = FixedClock(NOW)
    settings = load_settings(
        database_url=database_url,
        api_token=API_TOKEN,
        twilio_auth_token=TWILIO_TOKEN,
        xmatters_trigger_url=xm.trigger_url,
    )
    container = build(settings, clock=clock)
    await migrate.upgrade(container.engine)
    try:
        yield container, clock
    finally:
        await container.close()


async def forward(container: Container, action: Action, severity: int | None) -> None:
    forwarder = container.hotline_calls.forwarder
    assert forwarder is not None, "configured: the hotline forwards to xMatters"

    async def work(uow: UnitOfWork, now: datetime) -> None:
        await forwarder.forward(uow, action, MESSAGE, severity, now)

    await container.paging.transact(work)


async def test_a_failed_delivery_is_retried_with_backoff_then_arrives_whitelisted(
    forwarding: tuple[Container, FixedClock],
    xm: FakeXMatters,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hotline")
    container, clock = forwarding
    xm.fail_next(1, 500)
    await forward(container, Action.INCIDENT, 2)
    assert await container.worker.drain() == 1
    assert [r.status for r in xm.requests] == [500]
    retry_at = await container.job_store.next_run_at()
    assert retry_at is not None and retry_at > NOW  # backed off, not hammered
    assert await container.worker.drain() == 0  # not due yet
    clock.advance(400)
    assert await container.worker.drain() == 1
    assert [r.status for r in xm.requests] == [500, 202]
    [body] = xm.accepted
    assert tuple(body) == FIELDS
    assert body == {
        "recipient": "dba",
        "what": "Incident",
        "severity": "2",
        "transcriptionText": "Hotline call from Carol Caller: The payroll database is down",
        "shortDescription": "Hotline call from Carol Caller: The payroll database is down",
        "shorturl": LINK,
    }
    for received in xm.requests:
        raw = received.body.decode()
        for secret in (API_KEY, API_TOKEN, TWILIO_TOKEN, container.account.auth_token):
            assert secret not in raw
        assert received.query == f"apiKey={API_KEY}"  # the key travels in the URL only
    assert await container.job_store.next_run_at() is None  # done
    logged = our_logs(caplog)
    assert all(secret_free(text) for text in logged)
    assert any("xMatters accepted the Incident event for dba" in text for text in logged)


async def test_a_rejected_event_is_given_up_at_once_and_logged(
    forwarding: tuple[Container, FixedClock],
    xm: FakeXMatters,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hotline")
    container, clock = forwarding
    xm.fail_next(1, 400)
    await forward(container, Action.ALERT, None)
    assert await container.worker.drain() == 1
    assert await container.job_store.next_run_at() is None  # buried, not retried
    clock.advance(3600)
    assert await container.worker.drain() == 0
    assert [r.status for r in xm.requests] == [400]
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        "xmatters_event" in r.getMessage() and "HTTP 400" in r.getMessage() for r in failures
    )
    assert all(secret_free(text) for text in our_logs(caplog))


async def test_live_calls_and_bridge_joins_send_nothing(
    forwarding: tuple[Container, FixedClock], xm: FakeXMatters
) -> None:
    container, _ = forwarding
    await forward(container, Action.LIVE_CALL, None)
    await forward(container, Action.JOIN_BRIDGE, None)
    assert await container.worker.drain() == 0
    assert xm.requests == []


async def test_without_a_trigger_url_nothing_is_forwarded(database_url: str) -> None:
    container = build(load_settings(database_url=database_url, api_token=API_TOKEN))
    try:
        assert container.hotline_calls.forwarder is None
    finally:
        await container.close()
