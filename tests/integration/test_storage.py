"""Storage on SQLite and PostgreSQL: round trips, concurrency, transactions."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select, text

from hotline.adapters.db.tables import PersonRow
from hotline.bootstrap import build
from hotline.domain.errors import Conflict
from hotline.services.inputs import AbsenceIn, GroupIn, PersonIn, PolicyIn, RotationIn

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def person(name: str, number: str) -> PersonIn:
    return PersonIn(name=name, phones=[{"number": number, "sms": True}])


async def test_round_trip_of_every_entity(container) -> None:
    svc = container.directory
    await svc.create_person(person("Ada", "+12025550101"))
    await svc.create_person(person("Bob", "+12025550102"))
    rotation = await svc.create_rotation(
        RotationIn(
            name="r",
            participants=["Ada", "Bob"],
            start=date(2026, 1, 5),
            shift_length=3,
            shift_unit="days",
            handoff=time(8, 30),
            timezone="Europe/London",
        )
    )
    assert await svc.get_rotation("r") == rotation
    group = await svc.create_group(
        GroupIn(
            name="g",
            members=[
                {"rotation": "r"},
                {"person": "Bob"},
                {"phone": "+12025550199", "label": "pager"},
            ],
        )
    )
    assert await svc.get_group("g") == group
    policy = await svc.create_policy(PolicyIn(name="p", tiers=["g"]))
    assert (await svc.get_policy("p")).ring_timeout == 30
    assert await svc.get_policy("p") == policy
    absence = await svc.create_absence(
        AbsenceIn(
            person="Ada",
            starts_at="2026-11-20T00:00:00+01:00",
            ends_at="2026-11-22T00:00:00Z",
            replacement="Bob",
        )
    )
    stored = await svc.get_absence(absence.id)
    assert stored.starts_at == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    assert stored.starts_at.tzinfo is not None


async def test_closure_loads_only_reachable_part_with_current_absences(container) -> None:
    svc = container.directory
    for i, name in enumerate(["A", "B", "C", "D", "E"]):
        await svc.create_person(person(name, f"+1202555010{i}"))
    await svc.create_group(GroupIn(name="leaf", members=[{"person": "C"}]))
    await svc.create_group(GroupIn(name="mid", members=[{"group": "leaf"}, {"person": "B"}]))
    await svc.create_group(GroupIn(name="root", members=[{"person": "A"}, {"group": "mid"}]))
    await svc.create_group(GroupIn(name="other", members=[{"person": "D"}]))
    await svc.create_absence(
        AbsenceIn(
            person="A",
            starts_at="2026-11-21T00:00:00Z",
            ends_at="2026-11-22T00:00:00Z",
            replacement="E",
        )
    )
    await svc.create_absence(
        AbsenceIn(person="B", starts_at="2026-10-01T00:00:00Z", ends_at="2026-10-02T00:00:00Z")
    )
    async with svc.unit_of_work() as uow:
        snapshot = await uow.directory.load_for_oncall(["root"], AT)
    assert set(snapshot.groups) == {"root", "mid", "leaf"}
    assert set(snapshot.people) == {"A", "B", "C", "E"}  # E comes in as A's replacement
    assert list(snapshot.absences) == ["A"]  # B's absence is over
    names = [e.name for e in await svc.oncall("root", AT)]
    assert names == ["E", "C", "B"]


async def test_group_labels_name_every_group_or_the_asked_ones_that_exist(container) -> None:
    svc = container.directory
    await svc.create_group(GroupIn(name="net", spoken_name="network operations"))
    await svc.create_group(GroupIn(name="dba"))
    async with svc.unit_of_work() as uow:
        every = await uow.directory.group_labels()
        asked = await uow.directory.group_labels(["dba", "missing"])
        none = await uow.directory.group_labels([])
    assert every == {"net": "network operations", "dba": "dba"}  # no spoken name: the name
    assert asked == {"dba": "dba"}
    assert none == {}


async def test_concurrent_read_then_write_never_fails_with_locked(settings) -> None:
    """Concurrent webhooks: many transactions that read, then write, on separate engines."""
    first, second = build(settings), build(settings)
    from hotline.adapters.db import migrate

    await migrate.upgrade(first.engine)
    try:
        await first.directory.create_person(person("Ada", "+12025550101"))

        async def bump(container, i: int) -> None:
            for _ in range(100):
                try:
                    current = await container.directory.get_person("Ada")
                    data = PersonIn(
                        name="Ada",
                        spoken_name=f"Ada {i}",
                        phones=[{"number": current.phones[0].number}],
                    )
                    await container.directory.put_person("Ada", data)
                    return
                except Conflict:  # optimistic concurrency on PostgreSQL: retry
                    await asyncio.sleep(random.uniform(0, 0.02))
            raise AssertionError("never succeeded")

        await asyncio.gather(*(bump(c, i) for i in range(15) for c in (first, second)))
        assert (await first.directory.get_person("Ada")).spoken_name.startswith("Ada ")
    finally:
        await first.close()
        await second.close()


async def test_concurrent_update_of_a_stale_row_is_a_conflict(container) -> None:
    """Optimistic concurrency: a write based on an old version loses, it does not overwrite."""
    svc = container.directory
    await svc.create_person(person("Ada", "+12025550101"))
    with pytest.raises(Conflict, match="changed concurrently"):
        async with svc.unit_of_work() as uow:
            row = (await uow.session.execute(select(PersonRow))).scalar_one()
            # Another writer commits in between: the stored version moves on.
            await uow.session.execute(text("UPDATE people SET version = version + 1"))
            row.email = "stale@example.com"
            await uow.session.flush()
    assert (await svc.get_person("Ada")).email is None


async def test_rename_keeps_references(container) -> None:
    svc = container.directory
    await svc.create_person(person("Ada", "+12025550101"))
    await svc.create_group(GroupIn(name="g", members=[{"person": "Ada"}]))
    await svc.create_policy(PolicyIn(name="p", tiers=["g"]))
    await svc.put_person("Ada", PersonIn(name="Ada L", phones=[{"number": "+12025550101"}]))
    await svc.put_group("g", GroupIn(name="ops", members=[{"person": "Ada L"}]))
    assert (await svc.get_policy("p")).tiers == ("ops",)
    assert [e.name for e in await svc.oncall("ops", AT)] == ["Ada L"]
