"""A local HTTP server that answers like Bitly's v4 shorten API, with misbehaviours on
demand (``mode``), for the Bitly adapter's tests and the call-in scenarios with Bitly down."""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from dataclasses import dataclass
from typing import Any, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.threaded_server import ThreadedServer

TOKEN = "bitly-token-4f9c2a7e1d3b5a6c8e0f"
SHORT = "https://bit.ly/3hOtLn"


@dataclass(frozen=True)
class Seen:
    headers: dict[str, str]  # lower-case names
    body: bytes


class FakeBitly:
    """``POST /v4/shorten`` like Bitly: bearer auth (403 ``FORBIDDEN`` otherwise), JSON in,
    201 with the bitlink out. ``mode`` picks a misbehaviour; every request is recorded."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.mode = "ok"
        self.delay = 5.0
        self.requests: list[Seen] = []
        self._stopping = threading.Event()
        self._http: ThreadedServer | None = None
        self.url = ""

    def reset(self) -> None:
        self.mode = "ok"
        self.requests = []

    async def _shorten(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(Seen({k.lower(): v for k, v in request.headers.items()}, body))
        mode = self.mode
        if mode == "slow":
            # Sleeps past the client's timeout, but wakes up at once when the server stops.
            await asyncio.to_thread(self._stopping.wait, self.delay)
        if not hmac.compare_digest(
            request.headers.get("authorization", "").encode(), f"Bearer {self.token}".encode()
        ):
            return JSONResponse(
                {
                    "message": "FORBIDDEN",
                    "resource": "bitlinks",
                    "description": "You are currently forbidden to access this resource.",
                },
                status_code=403,
            )
        try:
            long_url = json.loads(body)["long_url"]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"message": "INVALID_ARG_LONG_URL"}, status_code=400)
        bitlink: dict[str, Any] = {
            "created_at": "2026-11-21T12:00:00+0000",
            "id": SHORT.removeprefix("https://"),
            "link": SHORT,
            "custom_bitlinks": [],
            "long_url": long_url,
            "archived": False,
            "tags": [],
            "deeplinks": [],
            "references": {"group": "https://api-ssl.bitly.com/v4/groups/Bx"},
        }
        match mode:
            case "ok" | "slow":
                return JSONResponse(bitlink, status_code=201)
            case "existing":
                return JSONResponse(bitlink, status_code=200)
            case "error":
                return JSONResponse({"message": "INTERNAL_ERROR"}, status_code=500)
            case "forbidden":
                return JSONResponse({"message": "FORBIDDEN"}, status_code=403)
            case "redirect":
                return Response(status_code=302, headers={"location": SHORT})
            case "garbage":
                return Response(b'{"link": "https://bit.ly/x"', media_type="application/json")
            case "html":
                return Response(b"<html>Bitly is down</html>", media_type="text/html")
            case "http-link":
                return JSONResponse({**bitlink, "link": "http://bit.ly/3hOtLn"}, status_code=201)
            case "no-link":
                return JSONResponse({k: v for k, v in bitlink.items() if k != "link"}, 201)
            case "null-link":
                return JSONResponse({**bitlink, "link": None}, status_code=201)
            case "number-link":
                return JSONResponse({**bitlink, "link": 42}, status_code=201)
            case "js-link":
                return JSONResponse({**bitlink, "link": "javascript:alert(1)"}, status_code=201)
            case "spaced-link":
                return JSONResponse({**bitlink, "link": "https://bit.ly/a b"}, status_code=201)
            case "array":
                return JSONResponse([bitlink], status_code=201)
        raise AssertionError(mode)

    def start(self) -> Self:
        self._stopping.clear()
        self._http = ThreadedServer(
            Starlette(routes=[Route("/v4/shorten", self._shorten, methods=["POST"])]), "fake-bitly"
        )
        port = self._http.start()
        self.url = f"http://127.0.0.1:{port}/v4/shorten"
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._http is not None:
            self._http.stop()
            self._http = None
