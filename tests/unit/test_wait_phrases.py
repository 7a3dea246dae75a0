"""Wait phrases: the pure chooser, and the external joke source against a real HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from hotline.services.wait_phrases import (
    BUILTIN_JOKES,
    DEFAULT_WAIT_PHRASE,
    JOKE_INTRO,
    fetch_joke,
    joke_line,
    next_phrase,
)

PHRASES = ["Still working on it.", "Thanks for waiting.", "Almost there."]


def test_phrase_mode_plays_phrases_in_order_and_cycles() -> None:
    heard = [next_phrase("phrase", turn, PHRASES) for turn in range(7)]
    assert heard == PHRASES + PHRASES + PHRASES[:1]


def test_phrase_mode_skips_blank_phrases_and_falls_back_to_default() -> None:
    assert [next_phrase("phrase", t, ["", " A ", "  "]) for t in range(2)] == ["A", "A"]
    assert next_phrase("phrase", 3, []) == DEFAULT_WAIT_PHRASE
    assert next_phrase("static", 0, ["  "]) == DEFAULT_WAIT_PHRASE


def test_static_mode_repeats_one_phrase() -> None:
    assert {next_phrase("static", turn, PHRASES) for turn in range(10)} == {PHRASES[0]}


def test_unknown_mode_and_negative_turn_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown wait mode"):
        next_phrase("music", 0, PHRASES)
    with pytest.raises(ValueError, match="negative"):
        next_phrase("phrase", -1, PHRASES)


def test_builtin_jokes_are_plenty_short_and_distinct() -> None:
    assert len(BUILTIN_JOKES) >= 25
    assert len(set(BUILTIN_JOKES)) == len(BUILTIN_JOKES)
    assert all(0 < len(joke) <= 120 for joke in BUILTIN_JOKES)


def test_joke_mode_introduces_the_first_joke_only() -> None:
    first = next_phrase("joke", 0, seed="CA1")
    assert first.startswith(JOKE_INTRO + " ")
    assert first.removeprefix(JOKE_INTRO + " ") in BUILTIN_JOKES
    assert next_phrase("joke", 1, seed="CA1") in BUILTIN_JOKES
    assert joke_line(0, "x") == f"{JOKE_INTRO} x"
    assert joke_line(4, "x") == "x"


def _jokes(seed: str, turns: int) -> list[str]:
    return [next_phrase("joke", t, seed=seed).removeprefix(JOKE_INTRO + " ") for t in range(turns)]


def test_joke_mode_is_deterministic_per_seed() -> None:
    assert _jokes("CA" + "a" * 32, 40) == _jokes("CA" + "a" * 32, 40)


def test_joke_mode_plays_every_joke_before_repeating() -> None:
    count = len(BUILTIN_JOKES)
    for seed in ("CA1", "CA2", "", "CA" + "f" * 32):
        heard = _jokes(seed, 2 * count)
        assert sorted(heard[:count]) == sorted(BUILTIN_JOKES)
        assert heard[count:] == heard[:count]


def test_different_calls_hear_different_sequences() -> None:
    sequences = {tuple(_jokes(f"CA{n:032x}", 3)) for n in range(50)}
    assert len(sequences) >= 45
    openers = {_jokes(f"CA{n:032x}", 1)[0] for n in range(50)}
    assert len(openers) >= 15


# --- fetch_joke against a real local HTTP server --------------------------------------------

LONG = "ha " * 200
RELEASE = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {
        "/json": (200, "application/json", json.dumps({"id": "x", "joke": "A joke.\x07"}).encode()),
        "/text": (200, "text/plain; charset=utf-8", b"  Plain\r\njoke.  "),
        "/500": (500, "application/json", json.dumps({"joke": "server error"}).encode()),
        "/404": (404, "text/plain", b"nope"),
        "/garbage": (200, "application/octet-stream", bytes(range(256))),
        "/bad-json": (200, "application/json", b"{not json"),
        "/json-list": (200, "application/json", b'["a joke"]'),
        "/json-number": (200, "application/json", b'{"joke": 42}'),
        "/json-empty": (200, "application/json", b'{"joke": "   "}'),
        "/html": (200, "text/html", b"<p>joke</p>"),
        "/bad-utf8": (200, "text/plain", b"\xff\xfe joke"),
        "/long": (200, "application/json", json.dumps({"joke": LONG}).encode()),
        "/huge": (200, "text/plain", b"a" * 100_000),
        "/url": (200, "text/plain", b"Best jokes at https://example.test/jokes"),
        "/domain": (200, "text/plain", b"Visit jokes.com for more"),
        "/email": (200, "text/plain", b"Write to me at joker@example"),
    }

    def do_GET(self) -> None:
        if self.path == "/slow":
            RELEASE.wait(5)
            status, content_type, body = self.routes["/json"]
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/json")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        else:
            status, content_type, body = self.routes.get(self.path, (404, "text/plain", b""))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the timeout test)
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet: requests are asserted on, not logged."""


@pytest.fixture(scope="module")
def joke_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        RELEASE.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


async def _fetch(url: str, deadline: float = 2.0) -> str | None:
    async with httpx.AsyncClient() as http:
        return await fetch_joke(http, url, timeout=deadline)


async def test_json_joke(joke_server: str) -> None:
    assert await _fetch(joke_server + "/json") == "A joke."


async def test_plain_text_joke(joke_server: str) -> None:
    assert await _fetch(joke_server + "/text") == "Plain joke."


@pytest.mark.parametrize(
    "path",
    [
        "/500",
        "/404",
        "/garbage",
        "/bad-json",
        "/json-list",
        "/json-number",
        "/json-empty",
        "/html",
        "/bad-utf8",
        "/long",
        "/huge",
        "/url",
        "/domain",
        "/email",
        "/redirect",
    ],
)
async def test_refused_replies_give_none(joke_server: str, path: str) -> None:
    assert await _fetch(joke_server + path) is None


async def test_timeout_gives_none_within_the_deadline(joke_server: str) -> None:
    loop_time = asyncio.get_running_loop().time
    started = loop_time()
    assert await _fetch(joke_server + "/slow", deadline=0.3) is None
    assert loop_time() - started < 2.0


async def test_unreachable_server_gives_none() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert await _fetch(f"http://127.0.0.1:{port}/json") is None
    assert await _fetch("not a url") is None
