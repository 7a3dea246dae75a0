"""Directory use cases: validate, normalise, save; and on-call resolution.

``DirectoryService`` opens one unit of work per call. The ``apply_*`` functions work inside a
caller's unit of work, so the importer can write a whole file in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from hotline.domain import directory as d
from hotline.domain.errors import Conflict, Invalid, NotFound
from hotline.domain.oncall import OnCall, oncall
from hotline.ports import Saved, UnitOfWork, UnitOfWorkFactory
from hotline.services import phones, pins
from hotline.services.inputs import AbsenceIn, GroupIn, MemberIn, PersonIn, PolicyIn, RotationIn

T = TypeVar("T")


def _member(m: MemberIn, region: str, i: int) -> d.Member:
    if m.person:
        return d.PersonMember(m.person)
    if m.group:
        return d.GroupMember(m.group)
    if m.rotation:
        return d.RotationMember(m.rotation)
    assert m.phone is not None
    return d.PhoneMember(phones.normalise(m.phone, region, f"members[{i}].phone"), m.label)


async def apply_person(
    uow: UnitOfWork, data: PersonIn, region: str, previous: str | None = None
) -> tuple[d.Person, Saved]:
    existing = await uow.directory.get_person(previous or data.name)
    pin_hash = existing.pin_hash if existing else None
    if "pin" in data.model_fields_set:
        pin_hash = pins.keep_or_hash(pin_hash, data.pin) if data.pin else None
    person = d.Person(
        name=data.name,
        phones=tuple(
            d.Phone(phones.normalise(p.number, region, f"phones[{i}].number"), p.voice, p.sms)
            for i, p in enumerate(data.phones)
        ),
        spoken_name=data.spoken_name or None,
        email=data.email or None,
        pin_hash=pin_hash,
        servicenow_user_id=data.servicenow_user_id or None,
        active=data.active,
    )
    d.validate_person(person)
    return person, await uow.directory.save_person(person, previous)


async def apply_group(
    uow: UnitOfWork, data: GroupIn, region: str, previous: str | None = None
) -> tuple[d.Group, Saved]:
    group = d.Group(
        name=data.name,
        members=tuple(_member(m, region, i) for i, m in enumerate(data.members)),
        spoken_name=data.spoken_name or None,
    )
    d.validate_group(group)
    edges = await uow.directory.group_edges()
    if previous and previous != group.name:
        edges = {
            (group.name if k == previous else k): [group.name if c == previous else c for c in v]
            for k, v in edges.items()
        }
    d.check_no_cycle(edges, group)
    return group, await uow.directory.save_group(group, previous)


async def apply_rotation(
    uow: UnitOfWork, data: RotationIn, previous: str | None = None
) -> tuple[d.Rotation, Saved]:
    rotation = d.Rotation(
        name=data.name,
        participants=tuple(data.participants),
        start=data.start,
        shift_length=data.shift_length,
        shift_unit=data.shift_unit,
        handoff=data.handoff.replace(second=0, microsecond=0, tzinfo=None),
        timezone=data.timezone,
    )
    d.validate_rotation(rotation)
    return rotation, await uow.directory.save_rotation(rotation, previous)


async def apply_policy(
    uow: UnitOfWork, data: PolicyIn, previous: str | None = None
) -> tuple[d.EscalationPolicy, Saved]:
    policy = d.EscalationPolicy(
        name=data.name,
        tiers=tuple(data.tiers),
        ring_timeout=data.ring_timeout,
        rounds=data.rounds,
        round_delay=data.round_delay,
    )
    d.validate_policy(policy)
    return policy, await uow.directory.save_policy(policy, previous)


async def apply_absence(
    uow: UnitOfWork, data: AbsenceIn, absence_id: int | None = None
) -> tuple[d.Absence, Saved]:
    """Save an absence; without an id, an identical (person, start, end) one is reused."""
    absence = d.Absence(
        data.person,
        utc(data.starts_at, "starts_at"),
        utc(data.ends_at, "ends_at"),
        data.replacement or None,
        data.reason or None,
    )
    d.validate_absence(absence)
    if absence_id is None:
        same = await uow.directory.find_absence(absence)
        if same is not None:
            if same.replacement == absence.replacement and same.reason == absence.reason:
                return same, Saved.UNCHANGED
            absence_id = same.id
    else:
        old = await uow.directory.get_absence(absence_id)
        if old is None:
            raise NotFound(f"no absence with id {absence_id}")
    saved = await uow.directory.save_absence(
        d.Absence(
            absence.person,
            absence.starts_at,
            absence.ends_at,
            absence.replacement,
            absence.reason,
            absence_id,
        )
    )
    return saved, Saved.CREATED if absence_id is None else Saved.UPDATED


class DirectoryService:
    """One transaction per call; every read and write of the directory goes through here."""

    def __init__(self, uow: UnitOfWorkFactory, region: str) -> None:
        self._uow = uow
        self.region = region

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        return self._uow(read_only)

    # people
    async def list_people(self) -> list[d.Person]:
        async with self._uow(read_only=True) as uow:
            return await uow.directory.list_people()

    async def get_person(self, name: str) -> d.Person:
        async with self._uow(read_only=True) as uow:
            return _found(await uow.directory.get_person(name), "person", name)

    async def create_person(self, data: PersonIn) -> d.Person:
        async with self._uow() as uow:
            if await uow.directory.get_person(data.name) is not None:
                raise Conflict(f"a person named {data.name!r} already exists")
            person, _ = await apply_person(uow, data, self.region)
            await uow.commit()
            return person

    async def put_person(self, name: str, data: PersonIn) -> tuple[d.Person, Saved]:
        async with self._uow() as uow:
            previous = await _previous(uow.directory.get_person, name, data.name, "person")
            result = await apply_person(uow, data, self.region, previous)
            await uow.commit()
            return result

    async def delete_person(self, name: str) -> None:
        async with self._uow() as uow:
            _unreferenced(await uow.directory.person_references(name), "person", name)
            await uow.directory.delete_person(name)
            await uow.commit()

    # groups
    async def list_groups(self) -> list[d.Group]:
        async with self._uow(read_only=True) as uow:
            return await uow.directory.list_groups()

    async def get_group(self, name: str) -> d.Group:
        async with self._uow(read_only=True) as uow:
            return _found(await uow.directory.get_group(name), "group", name)

    async def create_group(self, data: GroupIn) -> d.Group:
        async with self._uow() as uow:
            if await uow.directory.get_group(data.name) is not None:
                raise Conflict(f"a group named {data.name!r} already exists")
            group, _ = await apply_group(uow, data, self.region)
            await uow.commit()
            return group

    async def put_group(self, name: str, data: GroupIn) -> tuple[d.Group, Saved]:
        async with self._uow() as uow:
            previous = await _previous(uow.directory.get_group, name, data.name, "group")
            result = await apply_group(uow, data, self.region, previous)
            await uow.commit()
            return result

    async def delete_group(self, name: str) -> None:
        async with self._uow() as uow:
            _unreferenced(await uow.directory.group_references(name), "group", name)
            await uow.directory.delete_group(name)
            await uow.commit()

    # rotations
    async def list_rotations(self) -> list[d.Rotation]:
        async with self._uow(read_only=True) as uow:
            return await uow.directory.list_rotations()

    async def get_rotation(self, name: str) -> d.Rotation:
        async with self._uow(read_only=True) as uow:
            return _found(await uow.directory.get_rotation(name), "rotation", name)

    async def create_rotation(self, data: RotationIn) -> d.Rotation:
        async with self._uow() as uow:
            if await uow.directory.get_rotation(data.name) is not None:
                raise Conflict(f"a rotation named {data.name!r} already exists")
            rotation, _ = await apply_rotation(uow, data)
            await uow.commit()
            return rotation

    async def put_rotation(self, name: str, data: RotationIn) -> tuple[d.Rotation, Saved]:
        async with self._uow() as uow:
            previous = await _previous(uow.directory.get_rotation, name, data.name, "rotation")
            result = await apply_rotation(uow, data, previous)
            await uow.commit()
            return result

    async def delete_rotation(self, name: str) -> None:
        async with self._uow() as uow:
            _unreferenced(await uow.directory.rotation_references(name), "rotation", name)
            await uow.directory.delete_rotation(name)
            await uow.commit()

    # escalation policies
    async def list_policies(self) -> list[d.EscalationPolicy]:
        async with self._uow(read_only=True) as uow:
            return await uow.directory.list_policies()

    async def get_policy(self, name: str) -> d.EscalationPolicy:
        async with self._uow(read_only=True) as uow:
            return _found(await uow.directory.get_policy(name), "policy", name)

    async def create_policy(self, data: PolicyIn) -> d.EscalationPolicy:
        async with self._uow() as uow:
            if await uow.directory.get_policy(data.name) is not None:
                raise Conflict(f"a policy named {data.name!r} already exists")
            policy, _ = await apply_policy(uow, data)
            await uow.commit()
            return policy

    async def put_policy(self, name: str, data: PolicyIn) -> tuple[d.EscalationPolicy, Saved]:
        async with self._uow() as uow:
            previous = await _previous(uow.directory.get_policy, name, data.name, "policy")
            result = await apply_policy(uow, data, previous)
            await uow.commit()
            return result

    async def delete_policy(self, name: str) -> None:
        async with self._uow() as uow:
            await uow.directory.delete_policy(name)
            await uow.commit()

    # absences
    async def list_absences(self, person: str | None = None) -> list[d.Absence]:
        async with self._uow(read_only=True) as uow:
            return await uow.directory.list_absences(person)

    async def get_absence(self, absence_id: int) -> d.Absence:
        async with self._uow(read_only=True) as uow:
            return _found(await uow.directory.get_absence(absence_id), "absence", absence_id)

    async def create_absence(self, data: AbsenceIn) -> d.Absence:
        async with self._uow() as uow:
            absence, _ = await apply_absence(uow, data)
            await uow.commit()
            return absence

    async def put_absence(self, absence_id: int, data: AbsenceIn) -> d.Absence:
        async with self._uow() as uow:
            absence, _ = await apply_absence(uow, data, absence_id)
            await uow.commit()
            return absence

    async def delete_absence(self, absence_id: int) -> None:
        async with self._uow() as uow:
            await uow.directory.delete_absence(absence_id)
            await uow.commit()

    # on call
    async def oncall(self, group: str, at: datetime) -> list[OnCall]:
        """Who to phone for ``group`` at the aware instant ``at``, in order."""
        if at.tzinfo is None:
            raise Invalid("the instant must include a UTC offset", field="at")
        at = utc(at, "at")
        async with self._uow(read_only=True) as uow:
            snapshot = await uow.directory.load_for_oncall([group], at)
        return oncall(snapshot, group, at)


def utc(at: datetime, field: str) -> datetime:
    """``at`` in UTC; an instant that only exists with its offset is invalid input."""
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise Invalid("is outside the supported range of dates", field=field) from None


def _found(value: T | None, kind: str, key: object) -> T:
    if value is None:
        raise NotFound(f"no {kind} named {key!r}" if isinstance(key, str) else f"no {kind} {key}")
    return value


async def _previous(
    get: Callable[[str], Any], path_name: str, body_name: str, kind: str
) -> str | None:
    """For PUT: create when absent; a body name different from the path renames."""
    if await get(path_name) is not None:
        return path_name
    if body_name != path_name:
        raise NotFound(f"no {kind} named {path_name!r} to rename")
    return None


def _unreferenced(references: list[str], kind: str, name: str) -> None:
    if references:
        raise Conflict(f"{kind} {name!r} is still used by " + ", ".join(references))
