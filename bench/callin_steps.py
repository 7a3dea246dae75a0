"""Where a call-in call's server time goes: CPU per webhook step, in one process, no network.

``bench/callin.py`` measures the hotline as callers see it (a real server, concurrent
callers, the page-outs). This bench takes the network, the concurrency and the page-outs
away to show what each step of the incident path costs by itself: the ASGI app is called
directly (no uvicorn, no sockets), one request at a time, on a fresh database with the job
worker off (the incidents' page-outs are queued, never run). For each database it walks
``--calls`` calls (after ``WARM_UP`` calls not counted), each from its own number, down the
same path as ``bench/callin.py``: incoming -> menu -> group -> severity -> recording ->
transcript callback -> confirm -> wait (the incident opens) -> status callback; and it sends
as many requests to the baseline route (the signature check every ``/voice`` route has,
then fixed TwiML). Per step: the process's CPU time per request (``time.process_time``, so
SQLite's own thread counts too), its ratio to the baseline's, and the SQL statements and
transactions per request.

    .venv/bin/python bench/callin_steps.py
    .venv/bin/python bench/callin_steps.py --calls 200 --databases postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import time
import urllib.parse
import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import _callers as callers
from _common import DbProbe, database, run_loop
from callin import API_TOKEN, mount_baseline

if TYPE_CHECKING:
    from fastapi import FastAPI

PUBLIC_URL = "http://hotline.bench"
WARM_UP = 10


async def post(app: FastAPI, path: str, form: dict[str, str]) -> tuple[int, bytes]:
    """One signed webhook straight into the ASGI app: (status, body)."""
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(callers.AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    body = urllib.parse.urlencode(form).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"hotline.bench"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"x-twilio-signature", signature.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("hotline.bench", 80),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


class Steps:
    """CPU seconds, statements and transactions per step, summed over the counted calls."""

    def __init__(self, probe: DbProbe) -> None:
        self.probe = probe
        self.cpu: dict[str, float] = defaultdict(float)
        self.statements: dict[str, int] = defaultdict(int)
        self.transactions: dict[str, int] = defaultdict(int)
        self.count: dict[str, int] = defaultdict(int)

    async def timed(self, step: str, app: FastAPI, path: str, form: dict[str, str]) -> bytes:
        self.probe.reset()
        started = time.process_time()
        status, body = await post(app, path, form)
        self.cpu[step] += time.process_time() - started
        self.statements[step] += self.probe.statements
        self.transactions[step] += self.probe.transactions
        self.count[step] += 1
        if status not in (200, 204):
            raise RuntimeError(f"{step}: HTTP {status} {body[:200]!r}")
        return body


async def walk(app: FastAPI, caller: str, steps: Steps | None) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    for step, keys in callers.WALK:
        form = callers.step_form(step, keys, call_sid, caller)
        if steps is None:
            await post(app, callers.PATHS[step], form)
            continue
        body = await steps.timed(step, app, callers.PATHS[step], form)
        if step == "wait" and callers.SPOKEN_OUTCOME.encode() not in body:
            raise RuntimeError(f"wait: no incident in the reply {body[-200:]!r}")
        base = callers.step_form(step, keys, call_sid, caller)
        await steps.timed("baseline", app, callers.BASELINE_PATH, base)


async def measure(kind: str, calls: int) -> str:
    from hotline.adapters.db import migrate
    from hotline.bootstrap import build
    from hotline.services.inputs import GroupIn, PersonIn
    from hotline.settings import load_settings
    from hotline.web.app import create_app

    async with database(kind) as url:
        container = build(
            load_settings(
                database_url=url,
                public_url=PUBLIC_URL,
                api_token=API_TOKEN,
                twilio_phone_number=callers.HOTLINE_NUMBER,
                twilio_account_sid=callers.ACCOUNT_SID,
                twilio_auth_token=callers.AUTH_TOKEN,
            )
        )
        container.run_worker = False  # the page-outs are queued, never run
        try:
            await migrate.upgrade(container.engine)
            app = create_app(container=container)
            mount_baseline(app)
            d = container.directory
            numbers = [callers.caller_number(i) for i in range(WARM_UP + calls)]
            for i, number in enumerate(numbers):
                await d.create_person(
                    PersonIn(name=f"Caller {i:03d}", phones=[{"number": number, "voice": True}])
                )
            agent = {"number": "+12025550111", "voice": True}
            await d.create_person(PersonIn(name="Agent One", phones=[agent]))
            await d.create_group(GroupIn(name="agents", members=[{"person": "Agent One"}]))
            await d.create_group(GroupIn(name="network", members=[{"person": "Agent One"}]))
            steps = Steps(DbProbe(container.engine))
            async with app.router.lifespan_context(app):
                for number in numbers[:WARM_UP]:
                    await walk(app, number, None)
                for number in numbers[WARM_UP:]:
                    await walk(app, number, steps)
        finally:
            await container.close()
    return table(kind, calls, steps)


def table(kind: str, calls: int, steps: Steps) -> str:
    def per(step: str) -> float:
        return steps.cpu[step] / steps.count[step] * 1000

    base = per("baseline")
    lines = [
        f"{kind}, {calls} calls, one request at a time, in-process (no HTTP server, no page-outs)",
        f"{'step':<12} {'CPU ms':>8} {'x base':>8} {'SQL':>6} {'tx':>5}",
    ]
    total = 0.0
    for step, _ in callers.WALK:
        n = steps.count[step]
        total += per(step)
        lines.append(
            f"{step:<12} {per(step):>8.2f} {per(step) / base:>8.1f} "
            f"{steps.statements[step] / n:>6.1f} {steps.transactions[step] / n:>5.1f}"
        )
    lines.append(f"{'baseline':<12} {base:>8.2f} {1:>8.1f} {0:>6.1f} {0:>5.1f}")
    per_call = total / len(callers.WALK)
    lines.append(
        f"a whole call: {total:.1f} ms of CPU over {len(callers.WALK)} webhooks "
        f"({per_call:.2f} ms each on average, x{per_call / base:.1f} the baseline)"
    )
    return "\n".join(lines)


async def bench(calls: int, databases: list[str]) -> None:
    for kind in databases:
        print(await measure(kind, calls))
        print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls counted per database")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    args = parser.parse_args()
    databases = [x.strip() for x in args.databases.split(",") if x.strip()]
    if set(databases) - {"sqlite", "postgresql"} or not databases:
        parser.error("--databases takes sqlite and/or postgresql")
    if not 1 <= args.calls <= 900:
        parser.error("--calls must be 1 to 900 (one number per call)")
    run_loop(bench(args.calls, databases))


if __name__ == "__main__":
    main()
