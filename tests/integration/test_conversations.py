"""The call-in conversation repository on SQLite and PostgreSQL: round trips, and a save
that would overwrite a change made since the read (optimistic concurrency), and the
rate limit's count, one caller at a time."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from hotline.bootstrap import Container
from hotline.domain.errors import ConcurrentChange, Conflict, NotFound
from hotline.ports import CallRecord
from tests.conftest import NOW

STATE = {"conversation": {"stage": "menu", "tries": 1}, "groups": [["agents", "Agents", True]]}


def record(call_sid: str = "CA1") -> CallRecord:
    return CallRecord(call_sid, "+12025550101", "Ada", STATE, NOW, NOW)


async def test_a_conversation_round_trips_and_each_read_is_its_own_copy(
    container: Container,
) -> None:
    async with container.paging.unit_of_work() as uow:
        await uow.conversations.add(record())
        await uow.commit()
    async with container.paging.unit_of_work() as uow:
        first = await uow.conversations.get("CA1", for_update=True)
        assert first == record()
        assert first is not None
        first.state["conversation"]["tries"] = 2  # not saved
        again = await uow.conversations.get("CA1")
        assert again is not None and again.state == STATE
        assert await uow.conversations.get("CA2") is None


async def test_saves_in_one_unit_of_work_follow_each_other(container: Container) -> None:
    later = NOW + timedelta(seconds=3)
    async with container.paging.unit_of_work() as uow:
        await uow.conversations.add(record())
        await uow.conversations.save(replace(record(), state={"step": 1}, updated_at=later))
        await uow.conversations.save(replace(record(), person=None, state={"step": 2}))
        await uow.commit()
    async with container.paging.unit_of_work(read_only=True) as uow:
        stored = await uow.conversations.get("CA1")
    assert stored == replace(record(), person=None, state={"step": 2})


async def test_a_save_over_a_change_made_since_the_read_is_refused(
    container: Container,
) -> None:
    async with container.paging.unit_of_work() as uow:
        await uow.conversations.add(record())
        await uow.commit()
    with pytest.raises(ConcurrentChange):
        async with container.paging.unit_of_work() as uow:
            seen = await uow.conversations.get("CA1", for_update=True)
            assert seen is not None
            # Another writer's save, as it would land between our read and our write.
            await uow.session.execute(text("UPDATE conversations SET version = version + 1"))
            await uow.conversations.save(replace(seen, state={"lost": True}))
    async with container.paging.unit_of_work(read_only=True) as uow:
        assert (await uow.conversations.get("CA1")) == record()  # nothing changed


async def test_a_conversation_must_be_read_before_it_is_saved_and_is_added_once(
    container: Container,
) -> None:
    async with container.paging.unit_of_work() as uow:
        with pytest.raises(NotFound):
            await uow.conversations.save(record())
    async with container.paging.unit_of_work() as uow:
        await uow.conversations.add(record())
        await uow.commit()
    with pytest.raises(Conflict):
        async with container.paging.unit_of_work() as uow:
            await uow.conversations.add(record())


async def test_two_calls_from_one_number_at_once_count_one_after_the_other(
    container: Container,
) -> None:
    """The rate limit's count: a second call from the same number counts only after the
    first has stored its conversation, so both cannot take the last free slot."""
    since = NOW - timedelta(minutes=10)

    async def second() -> int:
        async with container.paging.unit_of_work() as uow:
            return await uow.conversations.count_from("+12025550101", since)

    async with container.paging.unit_of_work() as uow:
        assert await uow.conversations.count_from("+12025550101", since) == 0
        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # it waits for this unit of work
        if container.engine.dialect.name == "postgresql":  # SQLite: one writer at a time
            async with container.paging.unit_of_work() as other:
                assert await other.conversations.count_from("+12025550199", since) == 0
        await uow.conversations.add(record())
        await uow.commit()
    assert await asyncio.wait_for(waiting, 10) == 1
