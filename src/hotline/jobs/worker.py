"""Run due jobs with retries and exponential backoff.

Handlers raise on failure; an exception with ``retryable = False`` (the ports' errors) ends
the job at once, anything else is retried with backoff until the job's deadline or
``max_tries``. A job that finally fails goes to ``on_dead`` (e.g. a timeline entry, or
telling the ladder the call could not be placed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from hotline.ports import Clock, Job

log = logging.getLogger("hotline.jobs")

Handler = Callable[[Job], Awaitable[None]]
DeadHandler = Callable[[Job, str], Awaitable[None]]


class JobStore(Protocol):
    """The worker's view of the job table; each call is its own transaction."""

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Job]: ...
    async def finish(self, job: Job) -> None: ...
    async def retry(self, job: Job, at: datetime, error: str) -> None: ...
    async def bury(self, job: Job, error: str) -> None: ...
    async def next_run_at(self) -> datetime | None: ...


def backoff(tries: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds before try ``tries + 1``: exponential with full jitter, at most ``cap``."""
    ceiling = min(cap, base * 2 ** max(tries - 1, 0))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not security)


class Worker:
    def __init__(
        self,
        store: JobStore,
        handlers: Mapping[str, Handler],
        clock: Clock,
        *,
        on_dead: DeadHandler | None = None,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 20,
        idle_poll: float = 1.0,
        max_tries: int = 12,
    ) -> None:
        self._store = store
        self._handlers = handlers
        self._clock = clock
        self._on_dead = on_dead
        self._lease = lease
        self._batch = batch
        self._idle_poll = idle_poll
        self._max_tries = max_tries
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """New jobs were committed: look for work now."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="hotline-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim and run one batch of due jobs to completion; returns how many ran."""
        jobs = await self._store.claim(self._clock.now(), self._lease, self._batch)
        await asyncio.gather(*(self._run(job) for job in jobs))
        return len(jobs)

    async def drain(self, limit: int = 1000) -> int:
        """Run due jobs until none is left (tests and shutdown)."""
        total = 0
        while total < limit and (ran := await self.run_once()):
            total += ran
        return total

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            room = self._batch - len(self._running)  # never more than a batch in flight
            jobs: list[Job] = []
            if room > 0:
                try:
                    jobs = await self._store.claim(self._clock.now(), self._lease, room)
                except Exception:
                    log.exception("could not claim jobs")
            for job in jobs:
                task = asyncio.create_task(self._run(job))
                self._running.add(task)
                task.add_done_callback(self._done)
            if jobs and len(jobs) == room:
                continue  # more may be waiting
            await self._sleep()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free

    async def _sleep(self) -> None:
        delay = self._idle_poll
        try:
            upcoming = await self._store.next_run_at()
        except Exception:
            upcoming = None
        if upcoming is not None:
            delay = min(delay, max((upcoming - self._clock.now()).total_seconds(), 0.0))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _run(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        try:
            if handler is None:
                raise _Permanent(f"no handler for job kind {job.kind!r}")
            await handler(job)
        except Exception as error:  # every failure is recorded on the job
            await self._settle(self._failed(job, error), job)
        else:
            await self._settle(self._store.finish(job), job)

    async def _settle(self, update: Awaitable[None], job: Job) -> None:
        """Record a job's end; if even that fails, its lease runs out and it runs again."""
        try:
            await update
        except Exception:
            log.exception("could not record the end of job %s (%s)", job.id, job.kind)

    async def _failed(self, job: Job, error: Exception) -> None:
        message = str(error) or type(error).__name__
        now = self._clock.now()
        retry_at = now + timedelta(seconds=backoff(job.tries))
        retryable = getattr(error, "retryable", True)
        # A job with a deadline retries until then (e.g. ServiceNow for 24 hours); others
        # give up after max_tries.
        if job.deadline is not None:
            keep_trying = retry_at <= job.deadline
        else:
            keep_trying = job.tries < self._max_tries
        if retryable and keep_trying:
            log.warning(
                "job %s (%s) failed, try %d, retrying: %s", job.id, job.kind, job.tries, message
            )
            await self._store.retry(job, retry_at, message)
            return
        log.error(
            "job %s (%s) failed for good after %d tries: %s", job.id, job.kind, job.tries, message
        )
        if self._on_dead is not None:
            try:  # first the consequences (e.g. the ladder moves on), then the burial
                await self._on_dead(job, message)
            except Exception:
                log.exception("dead-job handler failed for job %s; retrying it", job.id)
                await self._store.retry(job, retry_at, message)
                return
        await self._store.bury(job, message)


class _Permanent(Exception):
    retryable = False
