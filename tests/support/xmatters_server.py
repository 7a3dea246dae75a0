"""A fake xMatters inbound HTTP trigger over real HTTP.

Like an xMatters Flow Designer HTTP trigger: ``POST /api/integration/1/functions/{id}/triggers
?apiKey=KEY`` with a JSON body answers 202 ``{"requestId": "..."}``; a wrong or missing
apiKey gets 401, a body that is not a JSON object 400. ``fail_next(n, status)`` answers the
next ``n`` requests with ``status`` (before any check). Every request is recorded, in order::

    with FakeXMatters() as xm:
        ... XMattersTrigger(xm.trigger_url, http) ...
        assert xm.accepted[0] == {...}
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.threaded_server import ThreadedServer

API_KEY = "xm-ap1key-0123456789-s3cret"
TRIGGER_PATH = "/api/integration/1/functions/4f2c1b9e/triggers"


@dataclass(frozen=True)
class Received:
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any
    status: int  # what the fake answered


class FakeXMatters:
    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[Received] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._http: ThreadedServer | None = None
        self.url = ""

    @property
    def trigger_url(self) -> str:
        """The inbound trigger's URL, apiKey included (``XMATTERS_TRIGGER_URL``)."""
        return f"{self.url}{TRIGGER_PATH}?apiKey={self.api_key}"

    @property
    def accepted(self) -> list[Any]:
        """The JSON bodies answered 202, in order."""
        with self._lock:
            return [r.json for r in self.requests if r.status == 202]

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        with self._lock:
            self._failures = [status] * n

    async def wait_for(self, count: int, within: float = 20.0) -> list[Received]:
        """The requests, once at least ``count`` have arrived."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(self.requests)} xMatters requests, wanted {count}")
            await asyncio.sleep(0.05)

    async def _trigger(self, request: Request) -> JSONResponse:
        body = await request.body()
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, answer = failure, {"code": failure, "reason": "Injected failure"}
        elif request.query_params.get("apiKey") != self.api_key:
            status, answer = 401, {"code": 401, "reason": "Unauthorized"}
        elif not isinstance(parsed, dict):
            status, answer = 400, {"code": 400, "reason": "Bad Request"}
        else:
            status, answer = 202, {"requestId": str(uuid.uuid4())}
        with self._lock:
            self.requests.append(
                Received(
                    query=request.url.query,
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=body,
                    json=parsed,
                    status=status,
                )
            )
        return JSONResponse(answer, status_code=status)

    def start(self) -> Self:
        app = Starlette(routes=[Route(TRIGGER_PATH, self._trigger, methods=["POST"])])
        self._http = ThreadedServer(app, "fake-xmatters")
        self.url = f"http://127.0.0.1:{self._http.start()}"
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
