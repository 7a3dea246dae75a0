"""The durable job table: enqueue in the caller's transaction; claim, finish, retry.

Claiming is portable: on PostgreSQL rows are locked ``FOR UPDATE SKIP LOCKED`` so several
processes share the table; on SQLite, transactions are already serialised (BEGIN IMMEDIATE).
A job whose lease expired (its worker died) is claimed again.

A job due at once, with no ordering key, is written already claimed when a running worker
in this process will take it (:class:`Dispatcher`): after the commit it is handed straight
to that worker, with no claiming transaction in between. If the process dies first, its
lease runs out (or, on SQLite, the next start releases it) and any worker claims it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from hotline.adapters.db.engine import READ_ONLY
from hotline.adapters.db.tables import JobRow
from hotline.ports import Job

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"
FINISH_CHUNK = 100  # jobs per UPDATE: SQLite refuses expressions nested 1,000 deep
T = TypeVar("T")


class Dispatcher(Protocol):
    """A worker in this process that runs jobs handed to it after their commit."""

    lease: timedelta

    def now(self) -> datetime: ...

    def takes_jobs(self) -> bool:
        """Whether jobs claimed for it now will be run (it is started and not stopping)."""
        ...

    def committed(self, jobs: list[Job], later: datetime | None) -> None:
        """New jobs were committed. ``jobs`` were claimed for this worker: run them;
        ``later`` is when the earliest of the others is due (None: there are none)."""
        ...


class SqlJobQueue:
    """Implements :class:`hotline.ports.JobQueue` plus the worker's side."""

    def __init__(self, session: AsyncSession, dispatcher: Dispatcher | None = None) -> None:
        self._s = session
        self._dispatcher = dispatcher
        self._claimed: list[JobRow] = []
        self.later: datetime | None = None  # the earliest run_at of the jobs not claimed
        self.enqueued = 0

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: datetime,
        incident_id: int | None = None,
        ordering_key: str | None = None,
        deadline: datetime | None = None,
    ) -> None:
        row = JobRow(
            kind=kind,
            payload=payload,
            incident_id=incident_id,
            ordering_key=ordering_key,
            status=PENDING,
            tries=0,
            run_at=run_at,
            created_at=run_at,
            deadline=deadline,
        )
        d = self._dispatcher
        if ordering_key is None and d is not None and d.takes_jobs() and run_at <= d.now():
            row.status, row.tries, row.locked_until = RUNNING, 1, d.now() + d.lease
            self._claimed.append(row)
        else:
            self.later = run_at if self.later is None else min(self.later, run_at)
        self._s.add(row)
        self.enqueued += 1

    def claimed_jobs(self) -> list[Job]:
        """The jobs written already claimed (their ids are known once flushed)."""
        return [_job(r) for r in self._claimed]

    @staticmethod
    def _unblocked() -> Any:
        """No earlier job with the same ordering key is still pending or running."""
        earlier = aliased(JobRow)
        blocked = exists().where(
            earlier.ordering_key == JobRow.ordering_key,
            earlier.id < JobRow.id,
            earlier.status.in_((PENDING, RUNNING)),
        )
        return or_(JobRow.ordering_key.is_(None), ~blocked)

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Job]:
        """Take up to ``limit`` due jobs, respecting per-key order; mark them running."""
        due = or_(
            and_(JobRow.status == PENDING, JobRow.run_at <= now),
            and_(JobRow.status == RUNNING, JobRow.locked_until < now),
        )
        query = (
            select(JobRow)
            .where(due, self._unblocked())
            .order_by(JobRow.run_at, JobRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=JobRow)
        )
        rows = list((await self._s.execute(query)).scalars())
        for row in rows:
            row.status = RUNNING
            row.locked_until = now + lease
            row.tries += 1
        await self._s.flush()
        return [_job(r) for r in rows]

    def _ours(self, job: Job) -> Any:
        """The row as we claimed it: if our lease ran out and another worker took the job
        (``tries`` moved on), our late bookkeeping changes nothing."""
        return update(JobRow).where(
            JobRow.id == job.id, JobRow.status == RUNNING, JobRow.tries == job.tries
        )

    async def finish(self, jobs: list[Job]) -> None:
        """Mark jobs done, each only as we claimed it (see :meth:`_ours`)."""
        for start in range(0, len(jobs), FINISH_CHUNK):
            chunk = jobs[start : start + FINISH_CHUNK]
            ours = or_(*(and_(JobRow.id == j.id, JobRow.tries == j.tries) for j in chunk))
            await self._s.execute(
                update(JobRow)
                .where(JobRow.status == RUNNING, ours)
                .values(status=DONE, locked_until=None)
            )

    async def retry(self, job: Job, at: datetime, error: str) -> None:
        await self._s.execute(
            self._ours(job).values(
                status=PENDING, run_at=at, locked_until=None, last_error=error[:2000]
            )
        )

    async def bury(self, job: Job, error: str) -> None:
        await self._s.execute(
            self._ours(job).values(status=DEAD, locked_until=None, last_error=error[:2000])
        )

    async def next_run_at(self) -> datetime | None:
        """When the earliest claimable pending job becomes due (for the worker's sleep); a
        job waiting behind an earlier one with its ordering key does not count."""
        query = (
            select(JobRow.run_at)
            .where(JobRow.status == PENDING, self._unblocked())
            .order_by(JobRow.run_at)
        )
        return (await self._s.execute(query.limit(1))).scalar_one_or_none()

    async def status_of(self, incident_id: int) -> list[tuple[str, str, int, str | None]]:
        """(kind, status, tries, last_error) of an incident's jobs, oldest first."""
        rows = await self._s.execute(
            select(JobRow.kind, JobRow.status, JobRow.tries, JobRow.last_error)
            .where(JobRow.incident_id == incident_id)
            .order_by(JobRow.id)
        )
        return [(k, s, t, e) for k, s, t, e in rows]


def _job(r: JobRow) -> Job:
    return Job(
        r.id,
        r.kind,
        dict(r.payload),
        r.tries,
        r.created_at,
        r.incident_id,
        r.deadline,
        r.ordering_key,
    )


class SqlJobStore:
    """The worker's job store: each call is one short transaction of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def _in_tx(
        self, work: Callable[[SqlJobQueue], Awaitable[T]], *, read_only: bool = False
    ) -> T:
        async with self._sessions() as session, session.begin():
            if read_only:  # SQLite: a plain BEGIN, no turn in the writers' queue
                await session.connection(execution_options={READ_ONLY: True})
            return await work(SqlJobQueue(session))

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Job]:
        return await self._in_tx(lambda q: q.claim(now, lease, limit))

    async def finish(self, jobs: list[Job]) -> None:
        await self._in_tx(lambda q: q.finish(jobs))

    async def retry(self, job: Job, at: datetime, error: str) -> None:
        await self._in_tx(lambda q: q.retry(job, at, error))

    async def bury(self, job: Job, error: str) -> None:
        await self._in_tx(lambda q: q.bury(job, error))

    async def next_run_at(self) -> datetime | None:
        # read-only: the idle worker asks every second, and must not hold up webhooks
        return await self._in_tx(lambda q: q.next_run_at(), read_only=True)

    async def release_running(self) -> int:
        """Make every running job pending again. Only for the embedded (single-process)
        SQLite set-up at start-up, where a running job can only be left over from a crash."""

        async def work(q: SqlJobQueue) -> int:
            result = await q._s.execute(
                update(JobRow).where(JobRow.status == RUNNING).values(status=PENDING)
            )
            return int(getattr(result, "rowcount", 0) or 0)

        return await self._in_tx(work)
