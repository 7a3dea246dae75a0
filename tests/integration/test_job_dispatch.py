"""Jobs due at once are claimed in the transaction that writes them and handed straight to
the running worker; the rest wait for a claim. Finished jobs are marked done together.

The worker here polls only once an hour, so a job that runs within the test's time was
handed over (or its due time woke the worker), never found by the idle poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.adapters.clock import SystemClock
from hotline.adapters.db import migrate
from hotline.adapters.db.engine import create_engine
from hotline.adapters.db.jobs_repo import SqlJobStore
from hotline.adapters.db.tables import JobRow
from hotline.adapters.db.uow import SqlUnitOfWork, session_factory
from hotline.jobs.worker import Worker
from hotline.ports import Job

LEASE = timedelta(minutes=2)
WAIT = 30  # seconds: generous, for a busy machine


class Rig:
    """A worker with a recording handler, and units of work that hand jobs to it."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)
        self.clock = SystemClock()
        self.ran: list[Job] = []
        self.seen = asyncio.Event()
        self.go_on = asyncio.Event()  # what a "slow" job waits for
        self.worker = Worker(
            SqlJobStore(self.sessions),
            {"note": self._note, "slow": self._slow},
            self.clock,
            lease=LEASE,
            idle_poll=3600,
        )

    async def _note(self, job: Job) -> None:
        self.ran.append(job)
        self.seen.set()

    async def _slow(self, job: Job) -> None:
        await self.go_on.wait()
        await self._note(job)

    async def enqueue(
        self, run_at: datetime | None = None, ordering_key: str | None = None, kind: str = "note"
    ) -> None:
        async with SqlUnitOfWork(self.sessions, self.worker) as uow:
            uow.jobs.enqueue(
                kind, {"n": 1}, run_at=run_at or self.clock.now(), ordering_key=ordering_key
            )
            await uow.commit()

    async def rows(self) -> list[JobRow]:
        async with self.sessions() as session:
            return list((await session.execute(select(JobRow).order_by(JobRow.id))).scalars())

    async def ran_one(self) -> None:
        await asyncio.wait_for(self.seen.wait(), WAIT)
        self.seen.clear()

    async def settled(self, status: str) -> list[JobRow]:
        for _ in range(WAIT * 20):
            rows = await self.rows()
            if rows and all(r.status == status for r in rows):
                return rows
            await asyncio.sleep(0.05)
        raise AssertionError([(r.id, r.status) for r in await self.rows()])


@pytest.fixture
async def rig(database_url: str) -> AsyncIterator[Rig]:
    made = Rig(database_url)
    await migrate.upgrade(made.engine)
    try:
        yield made
    finally:
        await made.worker.stop()
        await made.engine.dispose()


async def test_a_job_due_now_is_written_claimed_and_run_without_a_claim(rig: Rig) -> None:
    rig.worker.start()
    await asyncio.sleep(0.2)  # the worker's first claim found nothing; it sleeps an hour
    await rig.enqueue()
    await rig.ran_one()
    assert [job.tries for job in rig.ran] == [1]
    (row,) = await rig.settled("done")
    assert row.tries == 1 and row.locked_until is None


async def test_a_job_claimed_when_written_carries_a_lease(rig: Rig) -> None:
    rig.worker.start()
    await asyncio.sleep(0.2)
    rig.worker.takes_jobs = lambda: True  # type: ignore[method-assign]
    rig.worker.committed = lambda jobs, later: None  # type: ignore[method-assign]
    before = rig.clock.now()
    await rig.enqueue()  # written claimed, never run: as if the process died at once
    (row,) = await rig.rows()
    assert (row.status, row.tries) == ("running", 1)
    assert before + LEASE <= row.locked_until <= rig.clock.now() + LEASE
    assert rig.ran == []


async def test_without_a_running_worker_a_job_waits_for_a_claim(rig: Rig) -> None:
    await rig.enqueue()
    (row,) = await rig.rows()
    assert (row.status, row.tries, row.locked_until) == ("pending", 0, None)
    assert await rig.worker.drain() == 1
    assert [job.tries for job in rig.ran] == [1]
    assert [r.status for r in await rig.rows()] == ["done"]


async def test_ordered_jobs_are_claimed_in_order_not_handed_over(rig: Rig) -> None:
    rig.worker.start()
    await asyncio.sleep(0.2)
    await rig.enqueue(ordering_key="ticket-1")
    await rig.enqueue(ordering_key="ticket-1")
    await rig.settled("done")
    assert [job.id for job in rig.ran] == sorted(job.id for job in rig.ran)
    assert len(rig.ran) == 2


async def test_the_next_ordered_job_runs_as_soon_as_the_one_before_is_done(rig: Rig) -> None:
    rig.worker.start()
    await asyncio.sleep(0.2)
    await rig.enqueue(ordering_key="leg-1", kind="slow")
    await rig.enqueue(ordering_key="leg-1")
    await asyncio.sleep(0.3)
    assert rig.ran == []  # the first is still running, the second waits for it
    rig.go_on.set()
    await rig.settled("done")  # not after the hour-long idle poll
    assert [job.kind for job in rig.ran] == ["slow", "note"]


async def test_a_job_due_later_wakes_the_sleeping_worker_when_due(rig: Rig) -> None:
    rig.worker.start()
    await asyncio.sleep(0.2)
    await rig.enqueue(run_at=rig.clock.now() + timedelta(seconds=0.5))
    (row,) = await rig.rows()
    assert row.status == "pending"
    await rig.ran_one()  # not an hour later
    await rig.settled("done")


async def test_many_jobs_at_once_all_run_once_and_end_done(rig: Rig) -> None:
    rig.worker.start()
    await asyncio.sleep(0.2)
    await asyncio.gather(*(rig.enqueue() for _ in range(30)))
    rows = await rig.settled("done")
    assert len(rows) == 30
    assert sorted(job.id for job in rig.ran) == [r.id for r in rows]  # each exactly once


async def test_a_late_worker_cannot_finish_a_job_claimed_again(rig: Rig) -> None:
    await rig.enqueue()
    async with rig.sessions() as session, session.begin():
        (row,) = (await session.execute(select(JobRow))).scalars()
        row.status, row.tries = "running", 2  # re-claimed by another worker
    stale = Job(row.id, "note", {}, 1, row.created_at)
    await SqlJobStore(rig.sessions).finish([stale])
    (after,) = await rig.rows()
    assert (after.status, after.tries) == ("running", 2)


async def test_looking_for_the_next_job_does_not_wait_for_a_writer(rig: Rig) -> None:
    """The idle worker asks every second; on SQLite it must not queue for the write lock
    (behind webhooks, and webhooks behind it)."""
    later = rig.clock.now() + timedelta(minutes=5)
    release = asyncio.Event()

    async def writer() -> None:
        async with SqlUnitOfWork(rig.sessions, rig.worker) as uow:
            uow.jobs.enqueue("note", {"n": 1}, run_at=later)
            await uow.session.flush()  # holds the write lock from here
            await release.wait()
            await uow.commit()

    holding = asyncio.create_task(writer())
    await asyncio.sleep(0.2)
    try:
        # not committed yet, so not seen; and seen at once, not after the busy timeout
        assert await asyncio.wait_for(SqlJobStore(rig.sessions).next_run_at(), 2) is None
    finally:
        release.set()
        await asyncio.wait_for(holding, WAIT)
    assert await SqlJobStore(rig.sessions).next_run_at() == later
