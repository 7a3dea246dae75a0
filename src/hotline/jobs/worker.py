"""Run due jobs with retries and exponential backoff.

Handlers raise on failure; an exception with ``retryable = False`` (the ports' errors) ends
the job at once, anything else is retried with backoff until the job's deadline or
``max_tries``. A job that finally fails goes to ``on_dead`` (e.g. a timeline entry, or
telling the ladder the call could not be placed).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from hotline.adapters.db.write_queue import intake
from hotline.ports import Clock, Job

log = logging.getLogger("hotline.jobs")

Handler = Callable[[Job], Awaitable[None]]
DeadHandler = Callable[[Job, str], Awaitable[None]]


class JobStore(Protocol):
    """The worker's view of the job table; each call is its own transaction."""

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Job]: ...
    async def finish(self, jobs: list[Job]) -> None: ...
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
        self.lease = lease
        self._batch = batch
        self._idle_poll = idle_poll
        self._max_tries = max_tries
        self._wake = asyncio.Event()  # look for due jobs now
        self._rearm = asyncio.Event()  # a job due later was committed: sleep less
        self._sooner: datetime | None = None  # the earliest such job
        self._starved = False  # the last claim found the batch full: claim when a slot frees
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._finished: list[Job] = []
        self._flushing: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New jobs were committed: look for work now."""
        self._wake.set()

    # --- the dispatcher a unit of work hands jobs to (jobs_repo.Dispatcher) ---------------

    def now(self) -> datetime:
        return self._clock.now()

    def takes_jobs(self) -> bool:
        return self._task is not None and not self._task.done()

    def committed(self, jobs: list[Job], later: datetime | None) -> None:
        """Run the jobs claimed for this worker when they were written, at once: a call is
        placed without waiting for a claiming transaction. ``later`` is when the earliest
        other new job is due: a claim is made then (at once if it is due already). If the
        worker stopped meanwhile, the claimed jobs' leases run out and they run again."""
        if later is not None:
            if later <= self._clock.now():
                self._wake.set()
            else:
                self._sooner = later if self._sooner is None else min(self._sooner, later)
                self._rearm.set()
        if not self.takes_jobs():
            return
        for job in jobs:
            self._spawn(job)

    def _spawn(self, job: Job) -> None:
        # A job runs as work under way, even when the request that wrote it was intake.
        context = contextvars.copy_context()
        context.run(intake.set, False)
        task = asyncio.create_task(self._run(job), context=context)
        self._running.add(task)
        task.add_done_callback(self._done)

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
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self._flush()

    async def run_once(self) -> int:
        """Claim and run one batch of due jobs to completion; returns how many ran."""
        jobs = await self._store.claim(self._clock.now(), self.lease, self._batch)
        await asyncio.gather(*(self._run(job) for job in jobs))
        if self._flushing is not None:  # it may have taken these jobs' ends: wait for it
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self._flush()
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
            self._starved = room <= 0
            jobs: list[Job] = []
            if room > 0:
                try:
                    jobs = await self._store.claim(self._clock.now(), self.lease, room)
                except Exception:
                    log.exception("could not claim jobs")
            for job in jobs:
                self._spawn(job)
            if jobs and len(jobs) == room:
                continue  # more may be waiting
            await self._sleep()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._starved:
            self._wake.set()  # a slot is free for the jobs left waiting

    async def _sleep(self) -> None:
        """Until woken, the idle poll, or the earliest pending job (stored or just added)."""
        try:
            upcoming = await self._store.next_run_at()
        except Exception:
            upcoming = None
        while not self._wake.is_set():
            self._rearm.clear()
            soonest = [t for t in (upcoming, self._sooner) if t is not None]
            delay = self._idle_poll
            if soonest:
                delay = min(delay, max((min(soonest) - self._clock.now()).total_seconds(), 0.0))
            wake = asyncio.create_task(self._wake.wait())
            rearm = asyncio.create_task(self._rearm.wait())
            try:
                done, _ = await asyncio.wait(
                    (wake, rearm), timeout=delay, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                wake.cancel()
                rearm.cancel()
            if wake in done or not done:  # woken, or time to claim
                break
        self._sooner = None

    async def _run(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        try:
            if handler is None:
                raise _Permanent(f"no handler for job kind {job.kind!r}")
            await handler(job)
        except Exception as error:  # every failure is recorded on the job
            await self._settle(self._failed(job, error), job)
            self._next_in_line([job])  # buried: the next may go (retried: it waits anyway)
        else:
            self._finished.append(job)
            if self._flushing is None or self._flushing.done():
                self._flushing = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Mark the finished jobs done, all in one transaction: under load, the jobs that
        finish while the previous batch waits for the database share the next one."""
        while self._finished:
            jobs, self._finished = self._finished, []
            try:
                await self._store.finish(jobs)
            except Exception:  # their leases run out and they run again (handlers are idempotent)
                log.exception("could not record the end of %d job(s)", len(jobs))
            else:
                self._next_in_line(jobs)

    def _next_in_line(self, jobs: list[Job]) -> None:
        """Jobs with an ordering key are over: the next one with that key may be claimed."""
        if any(job.ordering_key is not None for job in jobs):
            self._wake.set()

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
