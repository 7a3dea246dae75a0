"""Benchmark of the call-in hotline's webhooks through the real server, against a baseline.

For each database (SQLite, PostgreSQL) and each number of callers N, a fresh database and a
fresh server (uvicorn on a free loopback port) get a directory: the callers, two
groups (agents, network) of one person each, whose phones accept every page. N concurrent
simulated callers, each on its own keep-alive connection, make calls that walk the full
incident path with signed webhooks, as the carrier would: incoming -> menu -> group ->
severity -> recording -> transcript callback -> confirm -> wait (the incident opens) ->
status callback (``bench/_callers.py``). The page-outs that the new incidents start go to
the simulator, by default in its own process as Twilio would be (``--simulator process``;
``inline`` mounts it in the server, as the demo does), where every recording the callers
name exists (``bench/_every_recording.py``). The callers run in a child process (their own
event loop and CPU core) and time every request from its first byte sent to the last byte
of the reply.

Two phases per run, each with its baseline:

- closed loop: no pause between webhooks, so requests/s is what the server sustains with N
  connections (the throughput target compares these);
- paced: each caller waits about ``--pace`` seconds (uniform, 0 to twice that) before each
  webhook, as a caller listening to a prompt would; the latencies are the server's service
  time under that load (the p99 target is read here). With no pause, N connections queue
  N deep, and p99 is N times the service time for any endpoint, the baseline's included.

The transcript arrives: the callers send the carrier's transcript callback before they
confirm (as the simulator does), so the ``wait`` step finds it and opens the incident at
once; ``HOTLINE_TRANSCRIPT_WAIT`` keeps its default and is never reached.

The baseline runs on the same server with the same N connections, the same number of
requests and the same signed forms, against a route the bench mounts in its own server
instance (``POST /bench/twiml``, not in the product): the signature check every ``/voice``
route has, then a fixed TwiML reply. The ratios thus show what the hotline's own work
(database transactions, the conversation machine, rendering) costs over the floor of any
signed voice webhook. After the run, every completed call must have opened exactly one
incident (severity 2, group agents, the transcript in its description). Each call uses
its own phase's callers, within the hotline's default per-number rate limit.

The file is not named ``bench/hotline.py``: a script's directory comes first on sys.path,
so that name would shadow the ``hotline`` package for every script in ``bench/``.

Targets (issue 5), printed, never asserted: at 50 concurrent callers, closed-loop
requests/s at least half the baseline's, and paced webhook p99 under 25 ms.

    .venv/bin/python bench/callin.py                                # 10 and 50, both DBs
    .venv/bin/python bench/callin.py --callers 50 --databases sqlite
    .venv/bin/python bench/callin.py --profile /tmp/hotline-prof    # cProfile of the server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import _callers as callers
from _callin_report import Phase, Run, table
from _common import (
    DbProbe,
    LogCounter,
    LoopLag,
    Server,
    database,
    print_profile,
    run_loop,
)
from _common import server as running_server
from _every_recording import keep_every_recording
from _simulators import SimulatorControl, SimulatorMode

if TYPE_CHECKING:
    from fastapi import FastAPI

API_TOKEN = "bench-token-0123456789abcdef"  # noqa: S105 (a throw-away server's token)
TIME_SCALE = 0.001  # the page-outs' rings and prompts last milliseconds
AGENT, NETOPS = "+12025550111", "+12025550141"
ANY_KEY = "5"  # what a paged agent presses at the human check (then 1: accept)
WARM_UP = 3  # callers of the warm-up, one call each
MAX_CALLS = 10  # the hotline refuses a number's 11th call in 10 minutes (default settings)
FIXED_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/bench/twiml" '
    'numDigits="1" timeout="10" actionOnEmptyResult="true"><Say voice="Polly.Joanna" '
    'language="en-US">Hotline. What do you need? For an alert to a group, press 1. For a new '
    "incident, press 2.</Say></Gather></Response>"
)


@dataclass(frozen=True)
class Options:
    calls: int  # per caller, closed loop
    paced_calls: int  # per caller, paced
    pace: float
    limit: float  # seconds one request may take
    profile: Path | None
    simulator: SimulatorMode


# --- the load (a child process) -------------------------------------------------------------


async def load(
    mode: str, port: int, n: int, calls: int, limit: float, first: int, pace: float
) -> dict[str, Any]:
    """N callers from a child process (this file with ``--client``); the server keeps running."""
    args = [mode, port, n, calls, limit, first, pace]
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", *map(str, args), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the callers failed ({mode})")
    result: dict[str, Any] = json.loads(out)
    return result


def client_main(args: list[str]) -> None:
    mode, port, n, calls, limit, first, pace = args
    outcome = run_loop(
        callers.run(mode, int(port), int(n), int(calls), float(limit), int(first), float(pace))
    )
    json.dump(callers.as_json(outcome), sys.stdout)


# --- the server (this process) --------------------------------------------------------------


def mount_baseline(app: FastAPI) -> None:
    """The baseline route, in this bench's server only: the signature check, fixed TwiML."""
    from fastapi import Depends, Response

    from hotline.web.voice.security import require_twilio_signature

    async def fixed() -> Response:
        return Response(FIXED_TWIML, media_type="text/xml")

    app.add_api_route(
        callers.BASELINE_PATH,
        fixed,
        methods=["POST"],
        dependencies=[Depends(require_twilio_signature)],
        include_in_schema=False,
    )


async def directory(s: Server, people: int) -> None:
    """``people`` callers, two groups of one agent each; the agents accept every page."""
    from hotline.services.inputs import GroupIn, PersonIn
    from hotline.simulator import PhoneScript

    d = s.container.directory
    everyone = [(f"Caller {i:03d}", callers.caller_number(i)) for i in range(people)]
    for name, number in [*everyone, ("Agent One", AGENT), ("Net Ops", NETOPS)]:
        await d.create_person(
            PersonIn(
                name=name,
                email=f"{name.lower().replace(' ', '.')}@example.com",
                phones=[{"number": number, "voice": True, "sms": True}],
            )
        )
    await d.create_group(GroupIn(name="agents", members=[{"person": "Agent One"}]))
    await d.create_group(GroupIn(name="network", members=[{"person": "Net Ops"}]))
    for number in (AGENT, NETOPS):
        await s.sim.set_script(number, PhoneScript(digits=[ANY_KEY, "1"]))


@contextlib.contextmanager
def counted_logs() -> Iterator[LogCounter]:
    """The server's warnings and errors counted instead of printed."""
    counter = LogCounter()
    loggers = [logging.getLogger(name) for name in ("hotline", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(counter)
        logger.propagate = False
    try:
        yield counter
    finally:
        for logger in loggers:
            logger.removeHandler(counter)
            logger.propagate = True


async def phase(
    s: Server,
    probe: DbProbe,
    mode: str,
    n: int,
    calls: int,
    first: int,
    pace: float,
    opt: Options,
    profile: Path | None = None,
) -> Phase:
    """One measured phase, with the server-side probes around it."""
    probe.reset()
    lag = LoopLag()
    lag.start()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    cpu = time.process_time()
    result = await load(mode, s.port, n, calls, opt.limit, first, pace)
    cpu = time.process_time() - cpu
    if profiler and profile:
        profiler.disable()
        print_profile(profiler, profile)
    await lag.stop()
    return Phase(
        expected=n * calls,
        rows=[(r[0], r[1], r[2]) for r in result["rows"]],
        wall=result["wall"],
        completed=result["completed"],
        errors=Counter(result["errors"]),
        cpu=cpu,
        lag=lag.samples,
        transactions=probe.transactions,
        statements=probe.statements,
        held=list(probe.held),
        lock_waits=list(probe.waits),
    )


async def check_incidents(s: Server, completed: list[str]) -> tuple[int, Counter[str]]:
    """Each completed call opened exactly one incident as the caller asked."""
    from sqlalchemy import text

    async with s.container.engine.connect() as conn:
        query = "SELECT external_id, severity, group_name, description FROM incidents"
        rows = (await conn.execute(text(query + " WHERE source = 'hotline'"))).all()
    by_call: dict[str, list[Any]] = {}
    for row in rows:
        by_call.setdefault(row[0], []).append(row)
    ok, errors = 0, Counter[str]()
    for sid in completed:
        found = by_call.get(sid, [])
        if len(found) != 1:
            errors[f"a call with {len(found)} incidents"] += 1
            continue
        _, severity, group, description = found[0]
        if (severity, group) != (2, "agents") or callers.TRANSCRIPT not in (description or ""):
            errors[f"incident not as asked: severity {severity}, group {group}"] += 1
        else:
            ok += 1
    return ok, errors


async def idle(sim: SimulatorControl, limit: float) -> None:
    """Every call leg at the carrier is over (``limit`` seconds at most)."""
    if not await sim.wait_over(len(await sim.calls()), time.time() + limit):
        raise RuntimeError(f"the page-out calls were not over within {limit} s")


async def measure(kind: str, n: int, opt: Options) -> Run:
    run = Run(kind, n, opt.calls, opt.paced_calls, opt.pace)
    started = time.perf_counter()
    profile = opt.profile / f"hotline-{kind}-{n}.pstats" if opt.profile else None
    with counted_logs() as counter:
        async with (
            database(kind) as url,
            running_server(
                url,
                mount=mount_baseline,
                simulator=opt.simulator,
                launcher=[sys.executable, str(Path(__file__).with_name("_every_recording.py"))],
                api_token=API_TOKEN,
                simulator_time_scale=TIME_SCALE,
                twilio_phone_number=callers.HOTLINE_NUMBER,
                twilio_account_sid=callers.ACCOUNT_SID,
                twilio_auth_token=callers.AUTH_TOKEN,
            ) as s,
        ):
            probe = DbProbe(s.container.engine)
            if s.mode == "inline":
                keep_every_recording(s.simulator.engine, callers.ACCOUNT_SID)
            # callers 0..n-1 call in the closed loop, n..2n-1 paced, then the warm-up's
            await directory(s, 2 * n + WARM_UP)
            for mode in ("baseline", "hotline"):  # imports, connection pools, first page-outs
                warm = await load(mode, s.port, WARM_UP, 1, opt.limit, 2 * n, 0)
                if warm["errors"]:
                    raise RuntimeError(f"the warm-up failed: {warm['errors']}")
            await idle(s.sim, opt.limit)
            counter.messages.clear()
            placed = len(await s.sim.calls())
            # Each phase starts on a quiet server: the page-outs of the phase before (the
            # closed loop leaves hundreds ringing) must not count against the next one.
            run.closed_baseline = await phase(s, probe, "baseline", n, opt.calls, 0, 0, opt)
            await idle(s.sim, opt.limit)
            run.closed_hotline = await phase(s, probe, "hotline", n, opt.calls, 0, 0, opt, profile)
            await idle(s.sim, opt.limit)
            run.paced_baseline = await phase(
                s, probe, "baseline", n, opt.paced_calls, n, opt.pace, opt
            )
            await idle(s.sim, opt.limit)
            run.paced_hotline = await phase(
                s, probe, "hotline", n, opt.paced_calls, n, opt.pace, opt
            )
            await idle(s.sim, opt.limit)  # the page-outs end before the server
            run.page_calls = len(await s.sim.calls()) - placed
            completed = run.closed_hotline.completed + run.paced_hotline.completed
            run.incidents_ok, run.incident_errors = await check_incidents(s, completed)
            run.log = Counter(counter.messages)
    run.took = time.perf_counter() - started
    return run


async def bench(sizes: list[int], databases: list[str], opt: Options) -> int:
    print(
        "call-in hotline: each caller on one keep-alive connection; the transcript callback "
        "arrives before confirm; baseline: the same signed webhooks to a fixed-TwiML route"
    )
    print(flush=True)
    status = 0
    for kind in databases:
        for n in sizes:
            run = await measure(kind, n, opt)
            print(table(run))
            print(flush=True)
            status |= run.failed
    return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", default="10,50", help="concurrent callers (10,50)")
    parser.add_argument("--calls", type=int, default=4, help="calls per caller, closed loop (4)")
    parser.add_argument("--paced-calls", type=int, default=2, help="calls per caller, paced (2)")
    parser.add_argument(
        "--pace", type=float, default=1.0, help="mean seconds before each paced webhook (1)"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds a request may take")
    parser.add_argument("--profile", type=Path, help="directory for a cProfile of each run")
    parser.add_argument(
        "--simulator",
        choices=("process", "inline"),
        default="process",
        help="the carrier for the page-outs: its own process (default) or inside the server",
    )
    parser.add_argument("--client", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client)
        return
    try:
        sizes = [int(x) for x in args.callers.split(",") if x.strip()]
    except ValueError:
        parser.error("--callers takes whole numbers separated by commas")
    databases = [x.strip() for x in args.databases.split(",") if x.strip()]
    if set(databases) - {"sqlite", "postgresql"} or not databases:
        parser.error("--databases takes sqlite and/or postgresql")
    if not sizes or min(sizes) < 1 or 2 * max(sizes) + WARM_UP > 1000:
        parser.error("--callers must be 1 to 498")
    for name in ("calls", "paced_calls"):
        if not 1 <= getattr(args, name) <= MAX_CALLS:  # the hotline's per-number rate limit
            parser.error(f"--{name.replace('_', '-')} must be 1 to {MAX_CALLS}")
    if args.pace < 0:
        parser.error("--pace must be at least 0")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    opt = Options(args.calls, args.paced_calls, args.pace, args.limit, args.profile, args.simulator)
    sys.exit(run_loop(bench(sizes, databases, opt)))


if __name__ == "__main__":
    main()
