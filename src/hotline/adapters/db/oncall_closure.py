"""Loading just the part of the directory that an on-call question needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from hotline.adapters.db.directory_rows import chunks, to_group, to_person, to_rotation
from hotline.adapters.db.tables import AbsenceRow, GroupRow, PersonRow, RotationRow
from hotline.domain.directory import Absence, Directory

Row = TypeVar("Row", GroupRow, PersonRow, RotationRow)


_CHILDREN: dict[type, Any] = {
    GroupRow: GroupRow.members,
    PersonRow: PersonRow.phones,
    RotationRow: RotationRow.participants,
}


def _with_children(cls: type[Row]) -> Any:
    """``select(cls)`` with its collection (members, phones, participants) joined in: one
    round trip instead of two on every on-call question."""
    return select(cls).options(joinedload(_CHILDREN[cls]))


async def _rows_by_id(session: AsyncSession, cls: type[Row], ids: Iterable[int]) -> list[Row]:
    rows: list[Row] = []
    for chunk in chunks(ids):
        query = _with_children(cls).where(cls.id.in_(chunk))
        rows.extend((await session.execute(query)).unique().scalars())
    return rows


async def load_closure(session: AsyncSession, groups: Sequence[str], at: datetime) -> Directory:
    """The part of the directory reachable from ``groups``, with the absences at ``at``.

    Breadth-first: one query per nesting level, then the people involved (and, in turn, the
    replacements of the absent ones)."""
    query = _with_children(GroupRow).where(GroupRow.name.in_(groups))
    roots = (await session.execute(query)).unique().scalars()
    group_rows: dict[int, GroupRow] = {r.id: r for r in roots}
    frontier = set(group_rows)
    while frontier:
        children = {
            m.member_group_id
            for gid in frontier
            for m in group_rows[gid].members
            if m.member_group_id is not None
        } - group_rows.keys()
        for group_row in await _rows_by_id(session, GroupRow, children):
            group_rows[group_row.id] = group_row
        frontier = children
    members = [m for g in group_rows.values() for m in g.members]
    rotation_rows = await _rows_by_id(
        session, RotationRow, (m.rotation_id for m in members if m.rotation_id)
    )
    person_ids = {m.person_id for m in members if m.person_id} | {
        p.person_id for r in rotation_rows for p in r.participants
    }
    people: dict[int, PersonRow] = {}
    absences: list[AbsenceRow] = []
    pending = set(person_ids)
    while pending:  # replacements may bring in people outside the groups
        for person_row in await _rows_by_id(session, PersonRow, pending):
            people[person_row.id] = person_row
        found: list[AbsenceRow] = []
        for chunk in chunks(pending):
            found.extend(
                (
                    await session.execute(
                        select(AbsenceRow).where(
                            AbsenceRow.person_id.in_(chunk),
                            AbsenceRow.starts_at <= at,
                            AbsenceRow.ends_at > at,
                        )
                    )
                ).scalars()
            )
        absences.extend(found)
        pending = {a.replacement_id for a in found if a.replacement_id} - people.keys()
    person_names = {i: r.name for i, r in people.items()}
    group_names = {i: r.name for i, r in group_rows.items()}
    rotation_names = {r.id: r.name for r in rotation_rows}
    by_person: dict[str, list[Absence]] = {}
    for a in absences:
        name = person_names[a.person_id]
        by_person.setdefault(name, []).append(
            Absence(
                name,
                a.starts_at,
                a.ends_at,
                person_names.get(a.replacement_id) if a.replacement_id else None,
                a.reason,
                a.id,
            )
        )
    return Directory(
        people={r.name: to_person(r) for r in people.values()},
        groups={
            r.name: to_group(r, person_names, group_names, rotation_names)
            for r in group_rows.values()
        },
        rotations={r.name: to_rotation(r, person_names) for r in rotation_rows},
        absences=by_person,
    )
