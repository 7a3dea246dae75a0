"""Shared pieces of the server benchmarks (``bench/paging.py``, ``bench/callin.py``).

The real server under uvicorn on a free loopback port, on a fresh SQLite file or PostgreSQL
schema, with the Twilio simulator in the server process or in its own
(``bench/_simulators.py``); probes of the server process (warnings and errors, event-loop
lag, database transactions); nearest-rank percentiles and cProfile printing.

Importing this module needs the standard library only: a bench's load generator (a child
process running the bench file) imports it too, so Hotline, uvicorn, httpx and the database
drivers are imported inside the functions that need them.
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
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from _simulators import InlineSimulator, SimulatorControl, SimulatorMode, simulator_process

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine

    from hotline.bootstrap import Container
    from hotline.simulator import Simulator

POSTGRES_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
LAG_INTERVAL = 0.005
T = TypeVar("T")


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
