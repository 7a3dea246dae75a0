"""Row-to-domain mapping for the directory (shared by the repository and the on-call loader)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from hotline.adapters.db.tables import GroupRow, MemberRow, PersonRow, RotationRow
from hotline.domain.directory import (
    Group,
    GroupMember,
    Member,
    Person,
    PersonMember,
    Phone,
    PhoneMember,
    Rotation,
    RotationMember,
    ShiftUnit,
)

CHUNK = 5_000  # stays under SQLite's bound-parameter limit


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def to_person(row: PersonRow) -> Person:
    return Person(
        name=row.name,
        phones=tuple(Phone(p.number, p.voice, p.sms) for p in row.phones),
        spoken_name=row.spoken_name,
        email=row.email,
        pin_hash=row.pin_hash,
        servicenow_user_id=row.servicenow_user_id,
        active=row.active,
    )


def to_group(
    row: GroupRow, people: dict[int, str], groups: dict[int, str], rotations: dict[int, str]
) -> Group:
    def member(m: MemberRow) -> Member:
        if m.kind == "person":
            return PersonMember(people[m.person_id or 0])
        if m.kind == "group":
            return GroupMember(groups[m.member_group_id or 0])
        if m.kind == "rotation":
            return RotationMember(rotations[m.rotation_id or 0])
        return PhoneMember(m.phone or "", m.label)

    return Group(row.name, tuple(member(m) for m in row.members), row.spoken_name)


def to_rotation(row: RotationRow, people: dict[int, str]) -> Rotation:
    return Rotation(
        name=row.name,
        participants=tuple(people[p.person_id] for p in row.participants),
        start=row.start,
        shift_length=row.shift_length,
        shift_unit=ShiftUnit(row.shift_unit),
        handoff=time.fromisoformat(row.handoff),
        timezone=row.timezone,
    )
