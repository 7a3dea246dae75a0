"""The carrier's side of ``bench/callin.py``: simulated callers sending signed webhooks.

Runs in the bench's child process, so it shares neither the server's event loop nor its
CPU core. Each caller holds one HTTP/1.1 keep-alive connection (N callers = N concurrent
connections) and makes its calls one after another, with no pause between webhooks: a
closed loop, so the request rate is what the server sustains. Every request carries the
form fields Twilio sends for a voice webhook and an ``X-Twilio-Signature`` made with the
twilio SDK's ``RequestValidator``, as the server checks it on every ``/voice`` route.

A hotline call walks the full incident path, following the URLs in the server's TwiML:
``/voice/incoming`` -> ``menu`` (2, incident) -> ``group`` (1, agents) -> ``severity``
(2, high) -> ``recording`` -> the transcript callback (the carrier's transcription, sent
before the caller confirms, as the simulator does) -> ``confirm`` (1) -> ``wait`` (the
transcript is there, so the incident opens now) -> ``/voice/status`` (completed). A reply
that does not lead to the next step ends the call as an error. The baseline sends the same
number of requests with the same form to the bench's fixed-TwiML route.

Paced, a caller waits a random time (uniform, 0 to twice ``pace`` seconds) before each
webhook, as a caller listening to a prompt would: the server then sees an offered load of
about N / pace requests per second instead of as many as it can take.

Standard library and the twilio SDK only; timings are ``time.perf_counter`` (this process).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

ACCOUNT_SID = "AC" + "b7" * 16
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"  # noqa: S105 (a throw-away server's token)
HOTLINE_NUMBER = "+12025550100"
BASELINE_PATH = "/bench/twiml"
TRANSCRIPT = "The payroll database is down"
SPOKEN_OUTCOME = "A high incident is open for agents"
# the walk: step, then the keys the caller presses there (None: no keys)
WALK: tuple[tuple[str, str | None], ...] = (
    ("incoming", None),
    ("menu", "2"),
    ("group", "1"),
    ("severity", "2"),
    ("recording", "#"),
    ("transcript", None),
    ("confirm", "1"),
    ("wait", None),
    ("status", None),
)
PATHS = {
    "incoming": "/voice/incoming",
    "status": "/voice/status",
    **{step: f"/voice/hotline/{step}" for step, _ in WALK[1:-1]},
}
NEXT = re.compile(r'action="([^"]+)"|<Redirect[^>]*>([^<]+)</Redirect>')
GEO = ("City", "Country", "State", "Zip")


def caller_number(i: int) -> str:
    return f"+12025551{i:03d}"


@dataclass
class Outcome:
    """What the callers did: one row per request (step, ms, status) and what went wrong."""

    rows: list[tuple[str, float, int]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    completed: list[str] = field(default_factory=list)  # CallSids of calls that walked it all
    pace: float = 0.0  # mean seconds a caller waits before each webhook
    first: float = float("inf")
    last: float = 0.0


class Connection:
    """One keep-alive connection to the server; reopened after an error."""

    def __init__(self, port: int) -> None:
        from twilio.request_validator import RequestValidator

        self.port = port
        self.validator = RequestValidator(AUTH_TOKEN)
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            with contextlib.suppress(OSError):
                await self.streams[1].wait_closed()
            self.streams = None

    async def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        """POST ``form`` signed; (status, body). Raises OSError and friends on failure."""
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        url = f"http://127.0.0.1:{self.port}{path}"
        body = urlencode(form).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "User-Agent: TwilioProxy/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"X-Twilio-Signature: {self.validator.compute_signature(url, form)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        line = await reader.readline()
        if not line:  # the server closed the keep-alive connection (it does after a crash)
            raise ConnectionError("the server closed the connection")
        status = int(line.split()[1])
        length, close = 0, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        content = (await reader.readexactly(length)).decode()
        if close:
            await self.close()
        return status, content


def voice_form(call_sid: str, caller: str, status: str = "in-progress") -> dict[str, str]:
    """The fields Twilio sends with every voice webhook of an inbound call."""
    form = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": status,
        "Called": HOTLINE_NUMBER,
        "Caller": caller,
        "Direction": "inbound",
        "From": caller,
        "To": HOTLINE_NUMBER,
    }
    for who in ("Called", "Caller", "From", "To"):
        form.update({who + part: "" for part in GEO})
    return form


def step_form(step: str, keys: str | None, call_sid: str, caller: str) -> dict[str, str]:
    form = voice_form(call_sid, caller, "ringing" if step == "incoming" else "in-progress")
    recording = (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{call_sid[2:]}"
    )
    if step == "recording":
        form.update(RecordingUrl=recording, RecordingDuration="5", RecordingSid="RE" + call_sid[2:])
    elif step == "transcript":
        form.update(
            RecordingUrl=recording,
            RecordingSid="RE" + call_sid[2:],
            TranscriptionSid="TR" + call_sid[2:],
            TranscriptionStatus="completed",
            TranscriptionText=TRANSCRIPT,
        )
    elif step == "status":
        form.update(
            CallStatus="completed", CallDuration="55", CallbackSource="call-progress-events"
        )
    if keys is not None:
        form["Digits"] = keys
    return form


def next_path(body: str) -> str | None:
    """Where the TwiML sends the caller next (a Gather/Record action, else a Redirect)."""
    found = NEXT.search(body)
    if found is None:
        return None
    url = found.group(1) or found.group(2)
    return "/" + url.split("//", 1)[-1].split("/", 1)[-1]


async def timed(
    conn: Connection, path: str, form: dict[str, str], limit: float, out: Outcome, step: str
) -> tuple[int, str]:
    if out.pace:
        await asyncio.sleep(random.uniform(0, 2 * out.pace))
    started = time.perf_counter()
    out.first = min(out.first, started)
    try:
        async with asyncio.timeout(limit):
            status, body = await conn.post(path, form)
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError) as error:
        await conn.close()
        status, body = 0, f"{type(error).__name__}: {error}"
    ended = time.perf_counter()
    out.last = max(out.last, ended)
    out.rows.append((step, (ended - started) * 1000, status))
    return status, body


async def hotline_call(conn: Connection, caller: str, limit: float, out: Outcome) -> None:
    """One call down the incident path; an unexpected reply ends it as an error."""
    call_sid = "CA" + uuid.uuid4().hex
    for i, (step, keys) in enumerate(WALK):
        form = step_form(step, keys, call_sid, caller)
        status, body = await timed(conn, PATHS[step], form, limit, out, step)
        if status not in (200, 204):
            out.errors[f"{step}: HTTP {status} {body[:80]}"] += 1
            return
        if step in ("transcript", "status"):
            continue
        if step == "wait":
            if SPOKEN_OUTCOME not in body or "<Hangup" not in body:
                out.errors[f"wait: no incident in the reply {body[-120:]}"] += 1
                return
            continue
        expected = PATHS[WALK[i + 1][0] if WALK[i + 1][0] != "transcript" else "confirm"]
        if next_path(body) != expected:
            out.errors[f"{step}: reply does not lead to {expected}: {body[-120:]}"] += 1
            return
    out.completed.append(call_sid)


async def baseline_call(conn: Connection, caller: str, limit: float, out: Outcome) -> None:
    """As many signed webhooks as a hotline call, all to the fixed-TwiML route."""
    call_sid = "CA" + uuid.uuid4().hex
    for step, keys in WALK:
        form = step_form(step, keys, call_sid, caller)
        status, body = await timed(conn, BASELINE_PATH, form, limit, out, "baseline")
        if status != 200 or "<Gather" not in body:
            out.errors[f"baseline: HTTP {status} {body[:80]}"] += 1
            return
    out.completed.append(call_sid)


async def run(
    mode: str, port: int, callers: int, calls: int, limit: float, first: int = 0, pace: float = 0
) -> Outcome:
    """``callers`` concurrent callers (numbers ``first`` on), each making ``calls`` calls."""
    out = Outcome(pace=pace)
    call = hotline_call if mode == "hotline" else baseline_call

    async def caller(i: int) -> None:
        conn = Connection(port)
        try:
            for _ in range(calls):
                await call(conn, caller_number(first + i), limit, out)
        finally:
            await conn.close()

    await asyncio.gather(*(caller(i) for i in range(callers)))
    return out


def as_json(out: Outcome) -> dict[str, Any]:
    return {
        "rows": out.rows,
        "errors": dict(out.errors),
        "completed": out.completed,
        "wall": max(out.last - out.first, 0.0),
    }
