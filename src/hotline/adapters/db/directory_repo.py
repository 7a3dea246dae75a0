"""The directory repository on SQLAlchemy: maps rows (ids) to domain values (names)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from hotline.adapters.db.directory_rows import chunks, to_group, to_person, to_rotation
from hotline.adapters.db.oncall_closure import load_closure
from hotline.adapters.db.tables import (
    AbsenceRow,
    GroupRow,
    MemberRow,
    ParticipantRow,
    PersonRow,
    PhoneRow,
    PolicyRow,
    RotationRow,
    TierRow,
)
from hotline.domain.directory import (
    Absence,
    Directory,
    EscalationPolicy,
    Group,
    GroupMember,
    Person,
    PersonMember,
    Rotation,
    RotationMember,
)
from hotline.domain.errors import Conflict, Invalid, NotFound
from hotline.ports import Saved

Row = TypeVar("Row", PersonRow, GroupRow, RotationRow, PolicyRow)
MAX_ID = 2**31 - 1  # INTEGER primary keys: larger ids cannot exist
# Built once: every call-in and every incident for a group asks for group names.
_LABELS = select(GroupRow.name, GroupRow.spoken_name)


class SqlDirectoryRepository:
    """Implements :class:`hotline.ports.DirectoryRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # --- generic helpers -------------------------------------------------------------

    async def _row(self, cls: type[Row], name: str) -> Row | None:
        return (await self._s.execute(select(cls).where(cls.name == name))).scalar_one_or_none()

    async def _require(self, cls: type[Row], name: str, kind: str) -> Row:
        row = await self._row(cls, name)
        if row is None:
            raise NotFound(f"no {kind} named {name!r}")
        return row

    async def _ids(
        self, cls: type[Row], names: Iterable[str], field: str, kind: str
    ) -> dict[str, int]:
        wanted = set(names)
        if not wanted:
            return {}
        rows = await self._s.execute(select(cls.name, cls.id).where(cls.name.in_(wanted)))
        found: dict[str, int] = {name: id_ for name, id_ in rows}
        missing = sorted(wanted - found.keys())
        if missing:
            raise Invalid(f"unknown {kind} {missing[0]!r}", field=field)
        return found

    async def _names(self, cls: type[Row], ids: Iterable[int]) -> dict[int, str]:
        names: dict[int, str] = {}
        for chunk in chunks(ids):
            rows = await self._s.execute(select(cls.id, cls.name).where(cls.id.in_(chunk)))
            names.update((id_, name) for id_, name in rows)
        return names

    async def _target(
        self, cls: type[Row], name: str, previous: str | None, kind: str
    ) -> Row | None:
        """The row a save replaces, checking that a rename does not take another's name."""
        row = await self._row(cls, previous or name)
        if previous is not None and row is None:
            raise NotFound(f"no {kind} named {previous!r}")
        if previous is not None and previous != name and await self._row(cls, name) is not None:
            raise Conflict(f"a {kind} named {name!r} already exists")
        return row

    async def _store(self, row: Any, is_new: bool) -> Saved:
        """Flush a changed row; the mapper bumps ``version`` (optimistic concurrency)."""
        if is_new:
            self._s.add(row)
        await self._s.flush()
        return Saved.CREATED if is_new else Saved.UPDATED

    async def _clear(self, row: Any, collection: str) -> None:
        """Delete an existing row's ordered children first: the new ones reuse positions
        that are unique per parent, and a flush would insert before it deletes."""
        if getattr(row, "id", None) is not None and getattr(row, collection):
            setattr(row, collection, [])
            await self._s.flush()

    async def _delete(self, cls: type[Row], name: str, kind: str) -> None:
        await self._s.delete(await self._require(cls, name, kind))
        await self._s.flush()

    async def _list(self, cls: type[Row]) -> list[Row]:
        return list((await self._s.execute(select(cls).order_by(cls.name))).scalars())

    # --- people ----------------------------------------------------------------------

    async def list_people(self) -> list[Person]:
        return [to_person(r) for r in await self._list(PersonRow)]

    async def get_person(self, name: str) -> Person | None:
        row = await self._row(PersonRow, name)
        return to_person(row) if row else None

    async def people_with_voice_number(self, number: str) -> list[Person]:
        query = (
            select(PersonRow)
            .join(PhoneRow, PhoneRow.person_id == PersonRow.id)
            .where(PhoneRow.number == number, PhoneRow.voice.is_(True))
            .order_by(PersonRow.name)
            .options(joinedload(PersonRow.phones))  # the caller check: one round trip
        )
        rows = (await self._s.execute(query)).scalars().unique()
        return [to_person(r) for r in rows]

    async def save_person(self, person: Person, previous: str | None = None) -> Saved:
        row = await self._target(PersonRow, person.name, previous, "person")
        if row is not None and to_person(row) == person:
            return Saved.UNCHANGED
        is_new = row is None
        row = row or PersonRow()
        row.name = person.name
        row.spoken_name = person.spoken_name
        row.email = person.email
        row.pin_hash = person.pin_hash
        row.servicenow_user_id = person.servicenow_user_id
        row.active = person.active
        if [(p.number, p.voice, p.sms) for p in row.phones] != [
            (p.number, p.voice, p.sms) for p in person.phones
        ]:
            row.phones = [
                PhoneRow(position=i, number=p.number, voice=p.voice, sms=p.sms)
                for i, p in enumerate(person.phones)
            ]
        return await self._store(row, is_new)

    async def delete_person(self, name: str) -> None:
        await self._delete(PersonRow, name, "person")

    async def person_references(self, name: str) -> list[str]:
        row = await self._require(PersonRow, name, "person")
        groups = await self._s.execute(
            select(GroupRow.name)
            .join(MemberRow, MemberRow.group_id == GroupRow.id)
            .where(MemberRow.person_id == row.id)
            .distinct()
        )
        rotations = await self._s.execute(
            select(RotationRow.name)
            .join(ParticipantRow)
            .where(ParticipantRow.person_id == row.id)
            .distinct()
        )
        covers = await self._s.execute(
            select(PersonRow.name)
            .join(AbsenceRow, AbsenceRow.person_id == PersonRow.id)
            .where(AbsenceRow.replacement_id == row.id)
            .distinct()
        )
        return (
            [f"group {n!r}" for n in groups.scalars()]
            + [f"rotation {n!r}" for n in rotations.scalars()]
            + [f"an absence of {n!r} (as replacement)" for n in covers.scalars()]
        )

    # --- groups ----------------------------------------------------------------------

    async def _groups(self, rows: Sequence[GroupRow]) -> list[Group]:
        members = [m for r in rows for m in r.members]
        people = await self._names(PersonRow, (m.person_id for m in members if m.person_id))
        groups = await self._names(
            GroupRow, (m.member_group_id for m in members if m.member_group_id)
        )
        rotations = await self._names(
            RotationRow, (m.rotation_id for m in members if m.rotation_id)
        )
        return [to_group(r, people, groups, rotations) for r in rows]

    async def list_groups(self) -> list[Group]:
        return await self._groups(await self._list(GroupRow))

    async def get_group(self, name: str) -> Group | None:
        row = await self._row(GroupRow, name)
        return (await self._groups([row]))[0] if row else None

    async def group_labels(self, names: Sequence[str] | None = None) -> dict[str, str]:
        query = _LABELS if names is None else _LABELS.where(GroupRow.name.in_(names))
        return {name: spoken or name for name, spoken in (await self._s.execute(query)).all()}

    async def save_group(self, group: Group, previous: str | None = None) -> Saved:
        row = await self._target(GroupRow, group.name, previous, "group")
        if row is not None and (await self._groups([row]))[0] == group:
            return Saved.UNCHANGED
        people = await self._ids(
            PersonRow,
            (m.person for m in group.members if isinstance(m, PersonMember)),
            "members",
            "person",
        )
        nested = {m.group for m in group.members if isinstance(m, GroupMember)}
        groups = await self._ids(GroupRow, nested - {group.name}, "members", "group")
        rotations = await self._ids(
            RotationRow,
            (m.rotation for m in group.members if isinstance(m, RotationMember)),
            "members",
            "rotation",
        )
        is_new = row is None
        row = row or GroupRow()
        row.name = group.name
        row.spoken_name = group.spoken_name
        rows = []
        for i, m in enumerate(group.members):
            if isinstance(m, PersonMember):
                rows.append(MemberRow(position=i, kind="person", person_id=people[m.person]))
            elif isinstance(m, GroupMember):
                rows.append(MemberRow(position=i, kind="group", member_group_id=groups[m.group]))
            elif isinstance(m, RotationMember):
                rows.append(
                    MemberRow(position=i, kind="rotation", rotation_id=rotations[m.rotation])
                )
            else:
                rows.append(MemberRow(position=i, kind="phone", phone=m.number, label=m.label))
        row.members = rows
        return await self._store(row, is_new)

    async def delete_group(self, name: str) -> None:
        await self._delete(GroupRow, name, "group")

    async def group_references(self, name: str) -> list[str]:
        row = await self._require(GroupRow, name, "group")
        parents = await self._s.execute(
            select(GroupRow.name)
            .join(MemberRow, MemberRow.group_id == GroupRow.id)
            .where(MemberRow.member_group_id == row.id)
            .distinct()
        )
        policies = await self._s.execute(
            select(PolicyRow.name).join(TierRow).where(TierRow.group_id == row.id).distinct()
        )
        return [f"group {n!r}" for n in parents.scalars()] + [
            f"policy {n!r}" for n in policies.scalars()
        ]

    async def group_edges(self) -> dict[str, list[str]]:
        parent = GroupRow.__table__.alias("parent")
        child = GroupRow.__table__.alias("child")
        rows = await self._s.execute(
            select(parent.c.name, child.c.name)
            .select_from(MemberRow)
            .join(parent, parent.c.id == MemberRow.group_id)
            .join(child, child.c.id == MemberRow.member_group_id)
        )
        edges: dict[str, list[str]] = {}
        for p, c in rows:
            edges.setdefault(p, []).append(c)
        return edges

    # --- rotations -------------------------------------------------------------------

    async def _rotations(self, rows: Sequence[RotationRow]) -> list[Rotation]:
        people = await self._names(PersonRow, (p.person_id for r in rows for p in r.participants))
        return [to_rotation(r, people) for r in rows]

    async def list_rotations(self) -> list[Rotation]:
        return await self._rotations(await self._list(RotationRow))

    async def get_rotation(self, name: str) -> Rotation | None:
        row = await self._row(RotationRow, name)
        return (await self._rotations([row]))[0] if row else None

    async def save_rotation(self, rotation: Rotation, previous: str | None = None) -> Saved:
        row = await self._target(RotationRow, rotation.name, previous, "rotation")
        if row is not None and (await self._rotations([row]))[0] == rotation:
            return Saved.UNCHANGED
        people = await self._ids(PersonRow, rotation.participants, "participants", "person")
        is_new = row is None
        row = row or RotationRow()
        row.name = rotation.name
        row.start = rotation.start
        row.shift_length = rotation.shift_length
        row.shift_unit = rotation.shift_unit.value
        row.handoff = rotation.handoff.strftime("%H:%M")
        row.timezone = rotation.timezone
        await self._clear(row, "participants")
        row.participants = [
            ParticipantRow(position=i, person_id=people[p])
            for i, p in enumerate(rotation.participants)
        ]
        return await self._store(row, is_new)

    async def delete_rotation(self, name: str) -> None:
        await self._delete(RotationRow, name, "rotation")

    async def rotation_references(self, name: str) -> list[str]:
        row = await self._require(RotationRow, name, "rotation")
        groups = await self._s.execute(
            select(GroupRow.name)
            .join(MemberRow, MemberRow.group_id == GroupRow.id)
            .where(MemberRow.rotation_id == row.id)
            .distinct()
        )
        return [f"group {n!r}" for n in groups.scalars()]

    # --- escalation policies ---------------------------------------------------------

    async def _policies(self, rows: Sequence[PolicyRow]) -> list[EscalationPolicy]:
        groups = await self._names(GroupRow, (t.group_id for r in rows for t in r.tiers))
        return [
            EscalationPolicy(
                name=r.name,
                tiers=tuple(groups[t.group_id] for t in r.tiers),
                ring_timeout=r.ring_timeout,
                rounds=r.rounds,
                round_delay=r.round_delay,
            )
            for r in rows
        ]

    async def list_policies(self) -> list[EscalationPolicy]:
        return await self._policies(await self._list(PolicyRow))

    async def get_policy(self, name: str) -> EscalationPolicy | None:
        row = await self._row(PolicyRow, name)
        return (await self._policies([row]))[0] if row else None

    async def save_policy(self, policy: EscalationPolicy, previous: str | None = None) -> Saved:
        row = await self._target(PolicyRow, policy.name, previous, "policy")
        if row is not None and (await self._policies([row]))[0] == policy:
            return Saved.UNCHANGED
        groups = await self._ids(GroupRow, policy.tiers, "tiers", "group")
        is_new = row is None
        row = row or PolicyRow()
        row.name = policy.name
        row.ring_timeout = policy.ring_timeout
        row.rounds = policy.rounds
        row.round_delay = policy.round_delay
        await self._clear(row, "tiers")
        row.tiers = [TierRow(position=i, group_id=groups[g]) for i, g in enumerate(policy.tiers)]
        return await self._store(row, is_new)

    async def delete_policy(self, name: str) -> None:
        await self._delete(PolicyRow, name, "policy")

    # --- absences --------------------------------------------------------------------

    async def _absences(self, rows: Sequence[AbsenceRow]) -> list[Absence]:
        people = await self._names(
            PersonRow,
            [r.person_id for r in rows] + [r.replacement_id for r in rows if r.replacement_id],
        )
        return [
            Absence(
                person=people[r.person_id],
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                replacement=people[r.replacement_id] if r.replacement_id else None,
                reason=r.reason,
                id=r.id,
            )
            for r in rows
        ]

    async def list_absences(self, person: str | None = None) -> list[Absence]:
        query = select(AbsenceRow).order_by(AbsenceRow.starts_at, AbsenceRow.id)
        if person is not None:
            query = query.where(
                AbsenceRow.person_id == (await self._require(PersonRow, person, "person")).id
            )
        return await self._absences(list((await self._s.execute(query)).scalars()))

    async def get_absence(self, absence_id: int) -> Absence | None:
        if not 0 < absence_id <= MAX_ID:
            return None
        row = await self._s.get(AbsenceRow, absence_id)
        return (await self._absences([row]))[0] if row else None

    async def find_absence(self, absence: Absence) -> Absence | None:
        person = await self._row(PersonRow, absence.person)
        if person is None:
            return None
        row = (
            (
                await self._s.execute(
                    select(AbsenceRow).where(
                        AbsenceRow.person_id == person.id,
                        AbsenceRow.starts_at == absence.starts_at,
                        AbsenceRow.ends_at == absence.ends_at,
                    )
                )
            )
            .scalars()
            .first()
        )
        return (await self._absences([row]))[0] if row else None

    async def save_absence(self, absence: Absence) -> Absence:
        people = await self._ids(PersonRow, [absence.person], "person", "person")
        if absence.replacement:
            people |= await self._ids(PersonRow, [absence.replacement], "replacement", "person")
        row = AbsenceRow() if absence.id is None else None
        if absence.id is not None and 0 < absence.id <= MAX_ID:
            row = await self._s.get(AbsenceRow, absence.id)
        if row is None:
            raise NotFound(f"no absence with id {absence.id}")
        row.person_id = people[absence.person]
        row.starts_at = absence.starts_at
        row.ends_at = absence.ends_at
        row.replacement_id = people[absence.replacement] if absence.replacement else None
        row.reason = absence.reason
        self._s.add(row)
        await self._s.flush()
        return (await self._absences([row]))[0]

    async def delete_absence(self, absence_id: int) -> None:
        row = await self._s.get(AbsenceRow, absence_id) if 0 < absence_id <= MAX_ID else None
        if row is None:
            raise NotFound(f"no absence with id {absence_id}")
        await self._s.delete(row)
        await self._s.flush()

    # --- on-call closure ---------------------------------------------------------------

    async def load_for_oncall(self, groups: Sequence[str], at: datetime) -> Directory:
        return await load_closure(self._s, groups, at)
