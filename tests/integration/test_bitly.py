"""The Bitly shortener against a real local HTTP server that answers like Bitly's v4 API.

Every failure (network, timeout, non-2xx, bad JSON, a missing or non-https link) must give
back the long URL, log a warning, and never put the token (or the long URL, itself a
credential) in a log line.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from hotline.adapters.bitly import BITLY_API_URL, BitlyShortener, NoShortener
from hotline.adapters.links import RecordingLinks
from hotline.ports import Shortener
from tests.support.fake_bitly import SHORT, TOKEN, FakeBitly

LONG_URL = RecordingLinks(
    b"recording-link-secret-0123456789", "https://hotline.example.com"
).url_for("RE0123456789abcdef0123456789abcdef", datetime(2026, 11, 21, 12, tzinfo=UTC))


@pytest.fixture(scope="module")
def bitly_server() -> Iterator[FakeBitly]:
    server = FakeBitly().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bitly(bitly_server: FakeBitly) -> FakeBitly:
    bitly_server.reset()
    return bitly_server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test here: capture all loggers at DEBUG (httpx and httpcore included) and
    check afterwards that neither the token nor the long URL's signature was logged."""
    caplog.set_level(logging.DEBUG)
    yield
    sig = LONG_URL.rpartition("sig=")[2]
    records = caplog.get_records("setup") + caplog.get_records("call")
    for record in records:
        text = record.getMessage() + repr(record.args) + str(record.exc_info or "")
        assert TOKEN not in text, record
        assert sig not in text, record
        assert LONG_URL not in text, record


def warnings_from_bitly(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "hotline.bitly" and r.levelno == logging.WARNING
    ]


async def test_success_returns_the_bitlink(
    bitly: FakeBitly, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    shortener: Shortener = BitlyShortener(TOKEN, http, api_url=bitly.url)
    assert await shortener.shorten(LONG_URL) == SHORT
    [seen] = bitly.requests
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {"long_url": LONG_URL}
    assert warnings_from_bitly(caplog) == []
    # httpx's own request log is captured too, so the no-secrets check covers it.
    assert any(r.name == "httpx" for r in caplog.records)


async def test_existing_bitlink_200(bitly: FakeBitly, http: httpx.AsyncClient) -> None:
    bitly.mode = "existing"
    assert await BitlyShortener(TOKEN, http, api_url=bitly.url).shorten(LONG_URL) == SHORT


async def test_wrong_token_is_403_and_falls_back(
    bitly: FakeBitly, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "bitly-token-that-is-not-right-000"
    assert await BitlyShortener(wrong, http, api_url=bitly.url).shorten(LONG_URL) == LONG_URL
    assert bitly.requests[0].headers["authorization"] == f"Bearer {wrong}"
    assert warnings_from_bitly(caplog) == ["Bitly answered HTTP 403; using the long URL"]
    assert wrong not in caplog.text


@pytest.mark.parametrize(
    ("mode", "warning"),
    [
        ("error", "HTTP 500"),
        ("forbidden", "HTTP 403"),
        ("redirect", "HTTP 302"),
        ("garbage", "invalid JSON"),
        ("html", "invalid JSON"),
        ("http-link", "no usable https link"),
        ("no-link", "no usable https link"),
        ("null-link", "no usable https link"),
        ("number-link", "no usable https link"),
        ("js-link", "no usable https link"),
        ("spaced-link", "no usable https link"),
        ("array", "no usable https link"),
    ],
)
async def test_bad_answers_fall_back_to_the_long_url(
    bitly: FakeBitly,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    warning: str,
) -> None:
    bitly.mode = mode
    assert await BitlyShortener(TOKEN, http, api_url=bitly.url).shorten(LONG_URL) == LONG_URL
    [seen] = bitly.requests
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(seen.body) == {"long_url": LONG_URL}
    [logged] = warnings_from_bitly(caplog)
    assert warning in logged


async def test_timeout_falls_back_promptly(
    bitly: FakeBitly, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    bitly.mode = "slow"
    shortener = BitlyShortener(TOKEN, http, api_url=bitly.url, timeout=0.3)
    started = time.monotonic()
    assert await shortener.shorten(LONG_URL) == LONG_URL
    assert time.monotonic() - started < bitly.delay / 2
    assert len(bitly.requests) == 1
    [logged] = warnings_from_bitly(caplog)
    assert "did not answer within 0.3s" in logged


async def test_network_error_falls_back(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v4/shorten"
    assert await BitlyShortener(TOKEN, http, api_url=url).shorten(LONG_URL) == LONG_URL
    [logged] = warnings_from_bitly(caplog)
    assert "ConnectError" in logged


async def test_unusable_api_url_falls_back(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    shortener = BitlyShortener(TOKEN, http, api_url="not a url at all")
    assert await shortener.shorten(LONG_URL) == LONG_URL
    assert len(warnings_from_bitly(caplog)) == 1


def test_token_is_not_in_repr(http: httpx.AsyncClient) -> None:
    client = http
    shortener = BitlyShortener(TOKEN, client)
    assert TOKEN not in repr(shortener) + str(shortener)
    assert BITLY_API_URL in repr(shortener)
    with pytest.raises(ValueError, match="empty"):
        BitlyShortener("", client)
    with pytest.raises(ValueError, match="timeout"):
        BitlyShortener(TOKEN, client, timeout=0)


async def test_no_shortener_returns_the_url() -> None:
    shortener: Shortener = NoShortener()
    assert await shortener.shorten(LONG_URL) == LONG_URL
    assert await shortener.shorten("") == ""
