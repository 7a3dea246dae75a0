"""Benchmark of the telephony simulator ``hotline.simulator``.

Places N concurrent outbound calls through the simulator's REST API (in process); every
call is answered by a scripted phone, hears a Say, a Gather whose prompt the phone answers
with 1, follows a Redirect and ends with Hangup; its status callback reports completion.
The minimal TwiML application runs under uvicorn on loopback in a child process, so the
numbers are the simulator's own. A small run (the baseline) and the loaded run are made
in the same process, one after the other, and compared.

    .venv/bin/python bench/simulator.py              # 1,000 concurrent calls
    .venv/bin/python bench/simulator.py --calls 20   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

from hotline.simulator import PhoneScript, Simulator

ACCOUNT_SID = "AC" + "be" * 16
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"  # noqa: S105 - a throwaway value
FROM = "+15550000001"
SCALE = 0.01  # 100 simulated seconds per wall second
BASELINE_CALLS = 10
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

VOICE = (
    "<Response><Say>Incident 42 is open on the payment service.</Say>"
    '<Gather action="/choice" numDigits="1"><Say>Press 1 to accept.</Say></Gather>'
    "<Say>Goodbye</Say></Response>"
)
CHOICE = "<Response><Say>Accepted.</Say><Redirect>/bye</Redirect></Response>"
BYE = "<Response><Hangup/></Response>"


def serve_app(port: int) -> None:
    """The minimal TwiML application (run in the child process)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    def twiml(body: str) -> Any:
        async def endpoint(request: Any) -> Response:
            await request.body()
            return Response(body, media_type="text/xml")

        return endpoint

    async def status(request: Any) -> Response:
        await request.body()
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/voice", twiml(VOICE), methods=["POST"]),
            Route("/choice", twiml(CHOICE), methods=["POST"]),
            Route("/bye", twiml(BYE), methods=["POST"]),
            Route("/status", status, methods=["POST"]),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


@dataclass
class Result:
    calls: int
    wall: float
    latencies: list[float]
    memory_per_call: float
    errors: int

    @property
    def rate(self) -> float:
        return self.calls / self.wall

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def call_errors(sim: Simulator, sid: str) -> int:
    """0 if the call did exactly what the flow says, else 1."""
    log = sim.call_log(sid)
    kinds = [entry["kind"] for entry in log]
    digits = [entry["digits"] for entry in log if entry["kind"] == "digits"]
    webhooks = [entry for entry in log if entry["kind"] == "webhook"]
    ok = (
        sim.engine.calls[sid].status == "completed"
        and digits == ["1"]
        and "error" not in kinds
        and len(webhooks) == 4
        and all(w["status"] in (200, 204) for w in webhooks)
    )
    return 0 if ok else 1


async def run(app_url: str, calls: int) -> Result:
    """One run of ``calls`` concurrent calls in a fresh simulator."""
    script = PhoneScript(answer_after=1, digits=["1"])
    sim = Simulator(
        ACCOUNT_SID, AUTH_TOKEN, numbers=[FROM], time_scale=SCALE, default_script=script
    )
    await sim.start()
    transport = httpx.ASGITransport(app=sim.asgi)
    client = httpx.AsyncClient(
        transport=transport, base_url="http://simulator", auth=(ACCOUNT_SID, AUTH_TOKEN)
    )
    data = {"From": FROM, "Url": f"{app_url}/voice", "StatusCallback": f"{app_url}/status"}
    peak = before = rss_bytes()
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(
            client.post(
                f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
                data={**data, "To": f"+1555{i:07d}"},
            )
            for i in range(calls)
        )
    )
    sids = [r.json()["sid"] for r in responses if r.status_code == 201]
    await sim.idle(timeout=600)
    wall = time.perf_counter() - started
    done.set()
    await sampler
    latencies = [
        entry["ms"] for sid in sids for entry in sim.call_log(sid) if entry["kind"] == "webhook"
    ]
    errors = calls - len(sids) + sum(call_errors(sim, sid) for sid in sids)
    await client.aclose()
    await sim.close()
    return Result(calls, wall, latencies, (peak - before) / calls, errors)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the TwiML app did not start") from None
            time.sleep(0.05)


def row(name: str, result: Result) -> str:
    return (
        f"{name:<9} {result.calls:>7,} {result.calls:>12,} {result.wall:>8.2f} "
        f"{result.rate:>8.1f} {result.percentile(0.5):>7.1f} {result.percentile(0.99):>7.1f} "
        f"{result.memory_per_call / 1024:>9.1f} {result.errors:>7}"
    )


async def bench(url: str, calls: int) -> int:
    await run(url, 5)  # warm-up: imports, connections
    baseline = await run(url, min(BASELINE_CALLS, calls))
    load = await run(url, calls)
    print(f"time scale {SCALE} (simulated seconds x {SCALE} = wall seconds); flow per call:")
    print("  answer after 1 s, Say, Gather (press 1), action, Say, Redirect, Hangup, callback")
    print()
    print(
        f"{'run':<9} {'calls':>7} {'concurrency':>12} {'wall s':>8} {'calls/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'KiB/call':>9} {'errors':>7}"
    )
    print(row("baseline", baseline))
    print(row("load", load))
    print()
    print(
        f"load / baseline: throughput x{load.rate / baseline.rate:.1f}, "
        f"webhook p50 x{load.percentile(0.5) / baseline.percentile(0.5):.1f}, "
        f"p99 x{load.percentile(0.99) / baseline.percentile(0.99):.1f}, "
        f"memory per call x{load.memory_per_call / baseline.memory_per_call:.2f}"
    )
    return 1 if load.errors or baseline.errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="concurrent calls (1,000)")
    parser.add_argument("--serve-app", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_app:
        serve_app(args.serve_app)
        return
    port = free_port()
    app = subprocess.Popen([sys.executable, __file__, "--serve-app", str(port)])  # noqa: S603
    try:
        wait_for(port, app)
        status = asyncio.run(bench(f"http://127.0.0.1:{port}", args.calls))
    finally:
        app.terminate()
        app.wait(10)
    sys.exit(status)


if __name__ == "__main__":
    main()
