"""Shared pieces of the server benchmarks (``bench/paging.py``, ``bench/callin.py``).

The real server under uvicorn on a free loopback port, on a fresh SQLite file or PostgreSQL
schema, with the Twilio simulator either mounted in the server process (``inline``) or
started as ``hotline simulator`` in a process of its own (``process``, the production shape:
the carrier is not inside Hotline's process); one small interface to drive and read either
simulator (:class:`SimulatorControl`); probes of the server process (warnings and errors,
event-loop lag, database transactions); nearest-rank percentiles and cProfile printing.

Importing this module needs the standard library only: a bench's load generator (a child
process running the bench file) imports it too, so Hotline, uvicorn, httpx and the database
drivers are imported inside the functions that need them. Run as a script, it is the child
process that waits for a separate simulator's calls to end (see
:meth:`SimulatorClient.wait_over`).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import logging
import math
import os
import pstats
import secrets
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine

    from hotline.bootstrap import Container
    from hotline.simulator import PhoneScript, Simulator

POSTGRES_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
LAG_INTERVAL = 0.005
# a call leg in one of these statuses is over (Twilio's final call statuses)
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
T = TypeVar("T")
SimulatorMode = Literal["inline", "process"]


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on the event loop ``hotline serve`` runs on: uvicorn picks uvloop when
    it is installed (``uvicorn[standard]``), so a bench that serves the app in its own loop
    must too, or it measures a slower server than the one users run."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] ships it on Linux and macOS
        return asyncio.run(main)
    return uvloop.run(main)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (nan for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class LogCounter(logging.Handler):
    """Counts the server's warnings and errors (job retries, 500s) instead of printing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            message += f" ({type(error).__name__}: {str(error).splitlines()[0]})"
        message = " ".join(message.split())
        self.messages[f"{record.levelname} {record.name}: {message[:200]}"] += 1


class LoopLag:
    """How late a short timer fires on the server's event loop."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(LAG_INTERVAL)
            self.samples.append((loop.time() - started - LAG_INTERVAL) * 1000)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class DbProbe:
    """Counts transactions and statements, and times lock waits and open transactions.

    Hotline's own "begin" listener runs first (on SQLite it issues ``BEGIN IMMEDIATE``,
    which waits for the write lock), so a transaction is timed from when it holds it.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        from sqlalchemy import event

        self.transactions = 0
        self.statements = 0
        self.waits: list[float] = []
        self.held: list[float] = []
        self._asked: dict[int, float] = {}
        self._begun: dict[int, float] = {}
        sync = engine.sync_engine
        event.listen(sync, "begin", self._begin)
        event.listen(sync, "commit", self._end)
        event.listen(sync, "rollback", self._end)
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.transactions = self.statements = 0
        self.waits.clear()
        self.held.clear()

    def _begin(self, conn: Any) -> None:
        self.transactions += 1
        self._begun[id(conn)] = time.perf_counter()

    def _end(self, conn: Any) -> None:
        begun = self._begun.pop(id(conn), None)
        if begun is not None:
            self.held.append((time.perf_counter() - begun) * 1000)

    def _before(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements += 1
        if statement == "BEGIN IMMEDIATE":
            self._asked[id(conn)] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            asked = self._asked.pop(id(conn), time.perf_counter())
            self.waits.append((time.perf_counter() - asked) * 1000)


# --- the server (this process) --------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL schema dropped after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'hotline.db'}"
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# --- the simulator: in the server process, or in its own -----------------------------------


class SimulatorControl(Protocol):
    """What a bench does with the simulator, wherever it runs."""

    async def set_script(self, number: str, script: PhoneScript) -> None:
        """How the virtual phone ``number`` behaves from its next call on."""

    async def calls(self) -> list[dict[str, Any]]:
        """Every call leg, oldest first, in Twilio's REST JSON shape."""

    async def call_log(self, sid: str) -> list[dict[str, Any]]:
        """The call log of one leg (``at`` in ISO 8601 with ms, ``kind``, ...)."""

    async def wait_over(self, count: int, until: float) -> bool:
        """Wait (until the POSIX time ``until``) for ``count`` call legs to exist and all
        of them to be over; False when they were not by then."""


class InlineSimulator:
    """:class:`SimulatorControl` of the simulator mounted in the server process."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    async def set_script(self, number: str, script: PhoneScript) -> None:
        self.simulator.set_script(number, script)

    async def calls(self) -> list[dict[str, Any]]:
        return self.simulator.calls

    async def call_log(self, sid: str) -> list[dict[str, Any]]:
        return self.simulator.call_log(sid)

    async def wait_over(self, count: int, until: float) -> bool:
        # over: every leg ended and its final status callbacks were answered
        engine = self.simulator.engine
        while len(engine.calls) < count:
            if time.time() > until:
                return False
            await asyncio.sleep(0.05)
        try:
            await self.simulator.idle(timeout=max(until - time.time(), 0.1))
        except TimeoutError:
            return False
        return True


class SimulatorClient:
    """:class:`SimulatorControl` of a simulator in another process, over its test API
    (``/_sim``, Basic auth with the account SID and auth token)."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str) -> None:
        import httpx

        self.base_url = base_url
        self.auth = (account_sid, auth_token)
        self.http = httpx.AsyncClient(
            base_url=base_url,
            auth=self.auth,
            timeout=httpx.Timeout(30, pool=None),  # many requests at once queue for a slot
            limits=httpx.Limits(max_connections=8),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _get(self, path: str) -> Any:
        response = await self.http.get(path)
        response.raise_for_status()
        return response.json()

    async def set_script(self, number: str, script: PhoneScript) -> None:
        response = await self.http.put(f"/_sim/phones/{number}", json=script.to_mapping())
        response.raise_for_status()

    async def calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = (await self._get("/_sim/calls"))["calls"]
        return calls

    async def call_log(self, sid: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self._get(f"/_sim/calls/{sid}/log"))["entries"]
        return entries

    async def wait_over(self, count: int, until: float) -> bool:
        """Polls from a child process (this file run as a script), so the polling (a JSON
        list of every leg, megabytes at a thousand incidents) takes neither CPU time nor
        event-loop time from the process that runs the server."""
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "wait-over",
            self.base_url,
            str(count),
            repr(until),
            env={
                **os.environ,
                "TWILIO_ACCOUNT_SID": self.auth[0],
                "TWILIO_AUTH_TOKEN": self.auth[1],
            },
        )
        code = await child.wait()
        if code not in (0, 1):
            raise RuntimeError(f"waiting for the simulator's calls failed (exit status {code})")
        return code == 0


TAIL = 64  # legs few enough to wait for one by one


async def poll_over(client: Any, count: int, until: float) -> bool:
    """:meth:`SimulatorClient.wait_over` with an ``httpx.AsyncClient`` of the test API.

    Over: ``count`` legs exist and each one is in a final status. The list of every leg
    (megabytes at a thousand incidents, 0.1 s of the simulator's time for 2,000 legs) is
    asked for less often as it grows. Once at most ``TAIL`` legs are not over, or turned
    over since the previous look, those are waited for one by one (``/wait``), which also
    waits for their final status callbacks to be answered, as the in-process simulator's
    ``idle`` does for every leg, so the call logs read next are complete. (Not waited for:
    a leg seen over at an earlier look whose final callback still queues behind others'.
    The simulator's webhook slots are first come, first served, so that callback was most
    likely answered before those of the legs waited for last.)
    """

    async def ended(sid: str) -> None:
        left = max(until - time.time(), 0.1)
        waited = await client.get(
            f"/_sim/calls/{sid}/wait", params={"timeout": left}, timeout=left + 10
        )
        if waited.status_code == 408:  # not over within the time left
            raise TimeoutError
        waited.raise_for_status()

    recent: set[str] | None = None  # legs not over at the previous look (None: no look yet)
    try:
        async with asyncio.timeout(max(until - time.time(), 0.0)):
            while True:
                response = await client.get("/_sim/calls")
                response.raise_for_status()
                legs = response.json()["calls"]
                sids = {c["sid"] for c in legs}
                running = {c["sid"] for c in legs if c["status"] not in FINAL_STATUSES}
                suspects = running | (sids if recent is None else recent & sids)
                if len(legs) >= count and len(suspects) <= TAIL:
                    if not suspects:
                        return True
                    await asyncio.gather(*(ended(sid) for sid in suspects))
                    recent = set()  # all of them over, callbacks answered: look again
                    continue
                recent = running
                await asyncio.sleep(min(max(len(legs) / 4000, 0.05), 0.5))
    except TimeoutError:
        return False


def _wait_over_main(base_url: str, count: int, until: float) -> int:
    import httpx

    async def run() -> bool:
        auth = (os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
        async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=30) as client:
            return await poll_over(client, count, until)

    return 0 if run_loop(run()) else 1


@contextlib.asynccontextmanager
async def simulator_process(
    *,
    port: int,
    number: str,
    time_scale: float,
    account_sid: str,
    auth_token: str,
    public_url: str,
    launcher: Sequence[str] = (),
) -> AsyncIterator[SimulatorClient]:
    """``hotline simulator`` in a child process on loopback ``port``, owning ``number``
    (its inbound calls go to the Hotline at ``public_url``); stopped (SIGTERM, then SIGKILL
    after 10 s) on the way out. Its output goes to a temporary file, shown if it fails to
    start. ``launcher``: the command that takes ``hotline simulator``'s arguments, when not
    ``hotline simulator`` itself (a bench's variant of the simulator)."""
    command = list(launcher) or [str(Path(sys.prefix) / "bin" / "hotline"), "simulator"]
    with tempfile.TemporaryFile() as output:
        child = await asyncio.create_subprocess_exec(
            *command,
            "--port",
            str(port),
            "--number",
            number,
            "--time-scale",
            repr(time_scale),
            "--voice-url",
            f"{public_url}/voice/incoming",
            "--status-callback",
            f"{public_url}/voice/status",
            env={**os.environ, "TWILIO_ACCOUNT_SID": account_sid, "TWILIO_AUTH_TOKEN": auth_token},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
        client = SimulatorClient(f"http://127.0.0.1:{port}", account_sid, auth_token)
        try:
            await _answering(child, client, output)
            yield client
        finally:
            await client.aclose()
            if child.returncode is None:
                child.terminate()
                try:
                    await asyncio.wait_for(child.wait(), 10)
                except TimeoutError:
                    child.kill()
                    await child.wait()


async def _answering(
    child: asyncio.subprocess.Process, client: SimulatorClient, output: Any
) -> None:
    """Wait until the simulator answers its test API (30 s at most)."""
    import httpx

    started = time.monotonic()
    while True:
        if child.returncode is not None or time.monotonic() - started > 30:
            output.seek(0)
            said = output.read().decode(errors="replace").strip()
            state = (
                f"exited with status {child.returncode}"
                if child.returncode is not None
                else "did not answer within 30 s"
            )
            raise RuntimeError(f"the simulator {state}:\n{said}")
        try:
            await client.calls()
            return
        except httpx.TransportError:
            await asyncio.sleep(0.05)


# --- the server (this process) --------------------------------------------------------------


@dataclass
class Server:
    container: Container
    port: int
    sim: SimulatorControl  # the simulator, in this process or in its own
    mode: SimulatorMode

    @property
    def simulator(self) -> Simulator:
        """The simulator object itself (``inline`` only: it runs in this process)."""
        if self.container.simulator is None:
            raise RuntimeError("the simulator runs in its own process: use Server.sim")
        return self.container.simulator


@contextlib.asynccontextmanager
async def server(
    database_url: str,
    mount: Callable[[FastAPI], None] | None = None,
    *,
    simulator: SimulatorMode = "inline",
    launcher: Sequence[str] = (),
    **settings: Any,
) -> AsyncIterator[Server]:
    """The real server under uvicorn on loopback, with the simulator.

    ``simulator``: ``inline`` mounts it in the server (Hotline's demo mode), ``process``
    starts ``hotline simulator`` as a child process (see :func:`simulator_process`) and
    points Hotline at it with ``twilio_api_base_url``; both with the time scale of the
    ``simulator_time_scale`` setting, and in ``process`` mode with explicit credentials
    (``twilio_account_sid``/``twilio_auth_token`` if given, else fresh random ones) shared
    by both processes; ``launcher`` as in :func:`simulator_process`. ``settings`` go to
    ``load_settings`` (with the database URL and the public URL of the free port); ``mount``
    may add routes to the app before it starts (a bench's baseline).
    """
    import uvicorn

    from hotline.adapters.db import migrate
    from hotline.bootstrap import build
    from hotline.cli import settle_heap
    from hotline.settings import load_settings
    from hotline.web.app import create_app

    if simulator not in ("inline", "process"):
        raise ValueError(f"simulator is inline or process, not {simulator!r}")
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    sim_port = free_port()
    if simulator == "process":
        settings.setdefault("twilio_account_sid", "AC" + secrets.token_hex(16))
        settings.setdefault("twilio_auth_token", secrets.token_hex(16))
        settings["twilio_api_base_url"] = f"http://127.0.0.1:{sim_port}"
    container = build(load_settings(database_url=database_url, public_url=public_url, **settings))
    async with contextlib.AsyncExitStack() as stack:
        sim: SimulatorControl
        if simulator == "process":
            account = container.account
            sim = await stack.enter_async_context(
                simulator_process(
                    number=account.phone_number,
                    time_scale=container.settings.simulator_time_scale,
                    account_sid=account.account_sid,
                    auth_token=account.auth_token,
                    public_url=public_url,
                    port=sim_port,
                    launcher=launcher,
                )
            )
        else:
            assert container.simulator is not None
            sim = InlineSimulator(container.simulator)
        # closed before the separate simulator stops: no job calls a carrier that is gone
        stack.push_async_callback(container.close)
        await migrate.upgrade(container.engine)
        app = create_app(container=container)
        if mount is not None:
            mount(app)
        settle_heap()  # as hotline serve does before it serves
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            log_config=None,  # uvicorn's errors go to the bench's LogCounter
            access_log=False,
            backlog=4096,
            timeout_graceful_shutdown=5,
        )
        uv = uvicorn.Server(config)
        task = asyncio.create_task(uv.serve())
        try:
            while not uv.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
            yield Server(container, port, sim, simulator)
        finally:
            # the server stops, then the container, then a separate simulator
            uv.should_exit = True
            await task


def print_profile(profiler: cProfile.Profile, path: Path) -> None:
    """Save the profile to ``path`` and print its top 20 functions by own time."""
    profiler.dump_stats(path)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    print(f"cProfile of the server process, top 20 by own time (all of it in {path}):")
    print(out.getvalue().split("\n", 6)[-1].rstrip())
    print()


if __name__ == "__main__":  # the child process of SimulatorClient.wait_over
    if len(sys.argv) != 5 or sys.argv[1] != "wait-over":
        sys.exit("usage: _common.py wait-over SIMULATOR_URL COUNT UNTIL (credentials in env)")
    sys.exit(_wait_over_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
