"""Benchmark of page-out latency through the real server and the Twilio simulator.

For each database (SQLite, PostgreSQL) and each size N, a fresh database and a fresh server
(uvicorn on a free loopback port) with a fresh simulator get a directory of two agents in
one group and a policy with that group (ring timeout 5 s, 1 round). Agent 1's phone never
answers; agent 2 presses a key at the human check, then 1 (accept). After a short warm-up,
N concurrent ``GET /healthz`` give the baseline, then N incidents with distinct titles are
created at once through the REST API; every one must end accepted by agent 2 after agent
1's no-answer.

Where the simulator runs (``--simulator``): ``process`` (the default, the production shape)
starts ``hotline simulator`` in a process of its own and points the server at it with
``TWILIO_API_BASE_URL``, so the carrier's work is not done in the server's process, as with
Twilio; ``inline`` mounts it in the server process (Hotline's demo mode, as in the scenario
tests), where both share one event loop and one core. The bench drives and reads either one
the same way: phone scripts, the call list and call logs through the simulator's test API.

Measured per incident, on the wall clock (one clock for every process on the machine):

(a)  the 201 response reached the client -> the simulator created the first call leg
     (negative when the worker placed the call before the 201 reached the client);
(a') the POST was sent -> the first call leg was created;
(b)  the simulator started sending the final ``no-answer`` status callback of agent 1's
     call -> the simulator created agent 2's call leg for the same incident (negative when
     Hotline's own ``check_call`` job, ring timeout + 15 s after placing, found the call over
     before the callback went out: the simulator sends a leg's final callback only after
     its earlier ``initiated``/``ringing`` callbacks were answered);
(b') agent 1's call took its final status at the simulator -> agent 2's call leg created.

Simulator times come from its call log (millisecond resolution); a callback's send time is
its log time (written when the response came back) minus its duration. The load comes from
a child process with a minimal HTTP/1.1 client (one connection per request), so it shares
neither the server's event loop nor its CPU core; so does the polling of a separate
simulator for the end of the calls. The ratios divide by the baseline's p50 and p99
(``/healthz`` runs a ``SELECT 1``).

Diagnostics under each table, over the incident phase: the server process's CPU time (all
its threads; with ``--simulator process`` that is Hotline's alone, the simulator being
another process that does not count, with ``inline`` the simulator's work is in it too),
its event-loop lag (how late a 5 ms timer fires), database transactions, SQL statements and
HTTP requests per incident, how long transactions stay open and, on SQLite, how long
``BEGIN IMMEDIATE`` waits for the write lock.

A run stops waiting ``--deadline`` seconds after its first POST. What has not finished by
then counts as an error, and in the percentiles as slower than the deadline (">120000");
the n column says how many incidents were measured.

    .venv/bin/python bench/paging.py                              # 100 and 1,000, both DBs
    .venv/bin/python bench/paging.py --sizes 100 --databases sqlite
    .venv/bin/python bench/paging.py --simulator inline           # simulator in the server
    .venv/bin/python bench/paging.py --profile /tmp/paging-prof   # cProfile of the server
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import (
    DbProbe,
    LogCounter,
    LoopLag,
    Server,
    database,
    print_profile,
    run_loop,
    server,
)
from _paging_load import API_TOKEN, POLICY, run_client
from _paging_report import Run, table
from _simulators import FINAL_STATUSES, SimulatorControl, SimulatorMode

# The load generator (bench/_paging_load.py) runs in a child process with the standard
# library only; Hotline, uvicorn, httpx, SQLAlchemy and psycopg are imported where the
# server side needs them.

HOTLINE_NUMBER = "+12025550100"
AGENT1, AGENT2 = "+12025550111", "+12025550112"
ANY_KEY = "5"  # what agent 2 presses at the human check
TIME_SCALE = 0.001  # simulated seconds x this = wall seconds: a 5 s ring lasts 5 ms
RING_TIMEOUT = 5
WARM_UP = 3


def epoch(iso: str) -> float:
    """A call-log ``at`` (ISO 8601, ms, ``Z``) as POSIX seconds."""
    return datetime.fromisoformat(iso).timestamp()


# --- probes in the server process -----------------------------------------------------------


async def directory(s: Server) -> None:
    from hotline.services.inputs import GroupIn, PersonIn, PolicyIn
    from hotline.simulator import PhoneScript

    d = s.container.directory
    for name, number in (("Agent One", AGENT1), ("Agent Two", AGENT2)):
        await d.create_person(
            PersonIn(
                name=name,
                email=f"{name.lower().replace(' ', '.')}@example.com",
                phones=[{"number": number, "voice": True, "sms": True}],
            )
        )
    await d.create_group(
        GroupIn(name="agents", members=[{"person": "Agent One"}, {"person": "Agent Two"}])
    )
    await d.create_policy(
        PolicyIn(name=POLICY, tiers=["agents"], rounds=1, round_delay=0, ring_timeout=RING_TIMEOUT)
    )
    await s.sim.set_script(AGENT1, PhoneScript(mode="no-answer"))
    await s.sim.set_script(AGENT2, PhoneScript(mode="answer", digits=[ANY_KEY, "1"]))


async def settle(s: Server, calls: int, until: float) -> bool:
    """Wait (until the POSIX time ``until``) for ``calls`` call legs, all of them over."""
    return await s.sim.wait_over(calls, until)


async def warm_up(s: Server) -> None:
    """A few incidents end to end: imports, connection pools, caches."""
    import httpx

    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{s.port}", headers=headers, timeout=60
    ) as api:
        for _ in range(WARM_UP):
            await api.get("/healthz")
        await asyncio.gather(
            *(
                api.post(
                    "/api/v1/incidents",
                    json={"title": f"warm-up {i}", "severity": 1, "policy": POLICY},
                )
                for i in range(WARM_UP)
            )
        )
    if not await settle(s, 2 * WARM_UP, time.time() + 60):
        raise RuntimeError("the warm-up incidents never settled")


# --- one run and its analysis -------------------------------------------------------------


@dataclass
class Leg:
    """A call leg as the simulator's call log tells it."""

    created: float
    last_at: float
    final_status: str | None = None
    final_sent: float | None = None
    ended: float | None = None  # when the leg took its final status at the carrier
    webhooks: int = 0
    failed_webhooks: int = 0


async def legs_by_token(sim: SimulatorControl) -> dict[str, Leg]:
    """Every call leg, by the attempt token in its webhook URLs."""
    found: dict[str, Leg] = {}
    calls = await sim.calls()
    logs = await asyncio.gather(*(sim.call_log(call["sid"]) for call in calls))
    for log in logs:
        created = next(epoch(e["at"]) for e in log if e["kind"] == "leg")
        leg = Leg(created, last_at=epoch(log[-1]["at"]))
        token = None
        for e in log:
            if e["kind"] == "status" and e["status"] in FINAL_STATUSES and leg.ended is None:
                leg.ended = epoch(e["at"])
            if e["kind"] != "webhook":
                continue
            leg.webhooks += 1
            if "/voice/page/" in e["url"]:
                token = e["url"].split("/voice/page/")[1].split("/")[0]
            if e["status"] is None or e["status"] >= 400:
                leg.failed_webhooks += 1
            status = e["params"].get("CallStatus")
            if e.get("purpose") == "status-callback" and status in FINAL_STATUSES:
                leg.final_status = status
                leg.final_sent = epoch(e["at"]) - e["ms"] / 1000
        if token is not None:
            found[token] = leg
    return found


async def measure(
    kind: str, size: int, deadline: float, profile: Path | None, simulator: SimulatorMode
) -> Run:
    run = Run(kind, size, deadline)
    started, before = time.perf_counter(), os.getloadavg()[0]
    counter = LogCounter()
    loggers = [logging.getLogger(name) for name in ("hotline", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(counter)
        logger.propagate = False
    try:
        async with database(kind) as url:
            async with server(
                url,
                simulator=simulator,
                api_token=API_TOKEN,
                simulator_time_scale=TIME_SCALE,
                twilio_phone_number=HOTLINE_NUMBER,
            ) as s:
                probe = DbProbe(s.container.engine)
                await directory(s)
                await warm_up(s)
                base = await run_client("healthz", s.port, size, "", deadline)
                run.baseline = [(r[1] - r[0]) * 1000 for r in base if r[2] == 200]
                for r in base:
                    if r[2] != 200:
                        run.errors[f"healthz {r[2]} {r[4][:80]}"] += 1
                counter.messages.clear()
                probe.reset()
                lag = LoopLag()
                lag.start()
                profiler = cProfile.Profile() if profile else None
                if profiler:
                    profiler.enable()
                first_post, cpu = time.time(), time.process_time()
                prefix = f"bench {kind} {size} {uuid.uuid4().hex[:8]}"
                rows = await run_client("incidents", s.port, size, prefix, deadline)
                created = [r for r in rows if r[2] == 201]
                for r in rows:
                    if r[2] != 201:
                        run.errors[f"POST {r[2]} {r[4][:80]}"] += 1
                calls = 2 * (WARM_UP + len(created))
                run.settled = await settle(s, calls, first_post + deadline)
                if profiler:
                    profiler.disable()
                run.cpu, run.phase = time.process_time() - cpu, time.time() - first_post
                await lag.stop()
                run.lag = lag.samples
                run.transactions, run.statements = probe.transactions, probe.statements
                run.lock_waits, run.held = list(probe.waits), list(probe.held)
                run.log = Counter(counter.messages)
                legs = await legs_by_token(s.sim)
            # the server is down: what did not finish by the deadline no longer competes
            run.load = (before, os.getloadavg()[0])
            if profiler and profile:
                print_profile(profiler, profile / f"paging-{kind}-{size}.pstats")
            await analyse(run, url, legs, rows, created)
    finally:
        for logger in loggers:
            logger.removeHandler(counter)
            logger.propagate = True
    run.took = time.perf_counter() - started
    return run


async def analyse(
    run: Run, url: str, legs: dict[str, Leg], rows: list[list[Any]], created: list[list[Any]]
) -> None:
    """Match each incident's attempts (from the database) to the simulator's call legs."""
    from hotline.bootstrap import build
    from hotline.settings import load_settings

    container = build(load_settings(database_url=url, api_token=API_TOKEN))
    ends: list[float] = []
    run.expected = len(created)
    try:
        for sent, answered, _, ident, _ in created:
            run.post.append((answered - sent) * 1000)
            incident, _, attempts = await container.paging.get(ident)
            outcomes = [(a.name, a.outcome) for a in attempts]
            status = incident.status.value
            if status != "accepted":
                late = "" if status in ("unanswered", "resolved") else " (unfinished)"
                run.errors[f"incident {status}{late}"] += 1
            elif outcomes != [("Agent One", "no-answer"), ("Agent Two", "accepted")]:
                run.errors[f"attempts {outcomes}"] += 1
            else:
                run.accepted += 1
            first = legs.get(attempts[0].token) if attempts else None
            second = legs.get(attempts[1].token) if len(attempts) > 1 else None
            for leg in (first, second):
                if leg is not None:
                    run.legs += 1
                    run.webhooks += leg.webhooks
            run.firsts += first is not None
            run.seconds += second is not None
            if first is not None:
                run.a_received.append((first.created - answered) * 1000)
                run.a_sent.append((first.created - sent) * 1000)
                run.errors["failed webhook (agent 1 call)"] += first.failed_webhooks
            if first is None or second is None:
                continue
            run.errors["failed webhook (agent 2 call)"] += second.failed_webhooks
            if first.final_status == "no-answer" and first.final_sent is not None:
                run.b.append((second.created - first.final_sent) * 1000)
            if first.ended is not None:
                run.b_ended.append((second.created - first.ended) * 1000)
            ends.append(max(first.last_at, second.last_at))
    finally:
        await container.close()
    if rows and ends:
        run.wall = max(ends) - min(r[0] for r in rows)
    run.errors = +run.errors  # drop zero counts


async def bench(
    sizes: list[int],
    databases: list[str],
    deadline: float,
    profile: Path | None,
    simulator: SimulatorMode,
) -> int:
    where = (
        "in its own process (hotline simulator)"
        if simulator == "process"
        else "inline (in the server process)"
    )
    print(
        f"page-out: agent 1 no-answer, agent 2 accepts (a key, then 1); ring timeout "
        f"{RING_TIMEOUT} s, 1 round; simulator {where}, time scale {TIME_SCALE} (the ring "
        f"lasts {RING_TIMEOUT * TIME_SCALE * 1000:g} ms); deadline {deadline:g} s per run"
    )
    print(flush=True)
    status = 0
    for kind in databases:
        for size in sizes:
            run = await measure(kind, size, deadline, profile, simulator)
            print(table(run))
            print(flush=True)
            if run.errors or not run.settled:
                status = 1
    return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="incident counts (100,1000)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument(
        "--deadline",
        type=float,
        default=120.0,
        help="seconds after its first POST a run stops waiting for incidents (120)",
    )
    parser.add_argument("--profile", type=Path, help="directory for a cProfile of each run")
    parser.add_argument(
        "--simulator",
        choices=("process", "inline"),
        default="process",
        help="run the simulator in its own process (the default) or inside the server's",
    )
    args = parser.parse_args()
    try:
        sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas")
    databases = [x.strip() for x in args.databases.split(",") if x.strip()]
    if set(databases) - {"sqlite", "postgresql"} or not databases:
        parser.error("--databases takes sqlite and/or postgresql")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes must be at least 1")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    sys.exit(run_loop(bench(sizes, databases, args.deadline, args.profile, args.simulator)))


if __name__ == "__main__":
    main()
