"""A fake ServiceNow instance: the incident part of the Table API over real HTTP.

A Starlette app served by uvicorn on a free 127.0.0.1 port in a background thread, so it
works from sync and async tests alike and the adapter under test goes through a real socket::

    async with FakeServiceNow() as sn:
        sn.add_incident("0" * 32, "INC0010001")
        ... ServiceNowTickets(sn.url, sn.username, sn.password, http) ...
        assert sn.notes("0" * 32) == ["..."]

Like ServiceNow: basic auth (401 with its JSON error body otherwise), 404 for an unknown
sys_id, ``work_notes`` is a journal (each write appends an entry; reads return ``""``),
other fields are stored as sent, responses are ``{"result": {...}}``. Failure injection:
``fail_next(n, status)`` and ``delay(seconds)``. Every request is recorded, in order, before
any check, including the ones that fail.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.threaded_server import ThreadedServer

JOURNAL_FIELDS = ("work_notes", "comments")
DEFAULT_PASSWORD = "s3cret-Pa55word!"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the parsed body, or None when it is not JSON
    time: float  # time.monotonic() on arrival


@dataclass
class _Failure:
    remaining: int
    status: int


@dataclass
class _State:
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    journal: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    failure: _Failure | None = None
    delay: float = 0.0
    generation: int = 0  # bumped by reset(): requests from before it are dropped


def _error(status: int, message: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "detail": detail}, "status": "failure"}, status_code=status
    )


class FakeServiceNow:
    """A running fake instance between ``start()`` and ``stop()`` (or as a context manager,
    sync or async). ``url`` is the instance URL (``SERVICENOW_INSTANCE_URL``)."""

    def __init__(
        self, username: str = "hotline.integration", password: str = DEFAULT_PASSWORD
    ) -> None:
        self.username = username
        self.password = password
        self._state = _State()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._http: ThreadedServer | None = None
        self.url = ""

    # --- data and inspection ---------------------------------------------------------

    def add_incident(self, sys_id: str, number: str, **fields: Any) -> dict[str, Any]:
        """Create an incident (state 1 New, unassigned unless ``fields`` say otherwise)."""
        record = {"sys_id": sys_id, "number": number, "state": "1", "assigned_to": ""}
        record.update(fields)
        with self._lock:
            self._state.incidents[sys_id] = record
            self._state.journal.setdefault(sys_id, [])
        return record

    @property
    def incidents(self) -> dict[str, dict[str, Any]]:
        """sys_id → current fields (journal fields are in :meth:`notes`)."""
        return self._state.incidents

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order."""
        return self._state.requests

    def notes(self, sys_id: str, kind: str = "work_notes") -> list[str]:
        """The journal entries of ``kind`` (``work_notes`` or ``comments``), oldest first."""
        with self._lock:
            entries = list(self._state.journal.get(sys_id, []))
        return [text for entry_kind, text in entries if entry_kind == kind]

    def reset(self) -> None:
        """Forget incidents, requests and injected failures (to share one server between
        tests). A request still being delayed from before the reset changes nothing."""
        with self._lock:
            self._state = _State(generation=self._state.generation + 1)

    # --- failure injection --------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next ``n`` requests with ``status`` (after the delay, before auth)."""
        with self._lock:
            self._state.failure = _Failure(n, status) if n > 0 else None

    def delay(self, seconds: float) -> None:
        """Wait ``seconds`` before handling each request (0 turns it off). A delayed write
        is still applied afterwards, as on a real server whose client gave up."""
        with self._lock:
            self._state.delay = seconds

    # --- HTTP ----------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return hmac.compare_digest(user, self.username) and hmac.compare_digest(
            password, self.password
        )

    async def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the server stops first; False if it stopped."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._stopping.is_set():
                return False
            await asyncio.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
        return True

    async def _incident(self, request: Request) -> JSONResponse:
        body = await request.body()
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        sys_id = request.path_params["sys_id"]
        with self._lock:
            self._state.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.url.path,
                    query=request.url.query,
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=body,
                    json=parsed,
                    time=time.monotonic(),
                )
            )
            delay = self._state.delay
            generation = self._state.generation
        if delay > 0 and not await self._wait(delay):
            return _error(503, "Server shutting down", "")
        with self._lock:
            if generation != self._state.generation:
                return _error(503, "Request from before a reset", "")
            failure = self._state.failure
            if failure is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._state.failure = None
        if failure is not None:
            return _error(failure.status, "Injected failure", f"HTTP {failure.status}")
        if not self._authorised(request):
            return _error(401, "User Not Authenticated", "Required to provide Auth information")
        with self._lock:
            record = self._state.incidents.get(sys_id)
            if record is None:
                return _error(
                    404,
                    "No Record found",
                    "Record doesn't exist or ACL restricts the record retrieval",
                )
            if request.method in ("PATCH", "PUT"):
                if not isinstance(parsed, dict):
                    return _error(
                        400, "Exception while reading request", "The payload is not valid JSON."
                    )
                for name, value in parsed.items():
                    if name in JOURNAL_FIELDS:
                        if value:
                            self._state.journal[sys_id].append((name, str(value)))
                    else:
                        record[name] = value
            result = {**record, **dict.fromkeys(JOURNAL_FIELDS, "")}
        return JSONResponse({"result": result})

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/api/now/table/incident/{sys_id}",
                    self._incident,
                    methods=["GET", "PATCH", "PUT"],
                )
            ]
        )

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        self._stopping.clear()
        self._http = ThreadedServer(self._app(), "fake-servicenow")
        port = self._http.start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)
