"""The directory: people, groups, rotations, absences and escalation policies.

Plain frozen values plus the validation rules that need no I/O. Entities refer to each other
by name; the storage adapter maps names to row ids. Phone numbers arrive here already
normalised to E.164 by the service layer (``phonenumbers`` is not allowed in the core).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.domain.errors import CycleError, Invalid

E164 = re.compile(r"\+[0-9]{2,15}")  # ASCII digits only: str.isdigit() accepts others


class ShiftUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


@dataclass(frozen=True, slots=True)
class Phone:
    """One number of a person, in priority order within the person."""

    number: str
    voice: bool = True
    sms: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    phones: tuple[Phone, ...] = ()
    spoken_name: str | None = None
    email: str | None = None
    pin_hash: str | None = None
    servicenow_user_id: str | None = None
    active: bool = True

    @property
    def voice_number(self) -> str | None:
        """The highest-priority number that takes voice calls, if any."""
        return next((p.number for p in self.phones if p.voice), None)

    @property
    def sms_numbers(self) -> list[str]:
        return [p.number for p in self.phones if p.sms]

    @property
    def say_name(self) -> str:
        return self.spoken_name or self.name


@dataclass(frozen=True, slots=True)
class PersonMember:
    person: str


@dataclass(frozen=True, slots=True)
class GroupMember:
    group: str


@dataclass(frozen=True, slots=True)
class PhoneMember:
    """A bare number in a group, e.g. a shared pager line."""

    number: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class RotationMember:
    rotation: str


Member = PersonMember | GroupMember | PhoneMember | RotationMember


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    members: tuple[Member, ...] = ()
    spoken_name: str | None = None

    @property
    def say_name(self) -> str:
        return self.spoken_name or self.name


@dataclass(frozen=True, slots=True)
class Rotation:
    """Participants take turns; shift ``k`` starts at ``start`` + hand-off time + k shifts.

    Day and week shifts hand over at the same local wall-clock time in ``timezone`` (so a
    09:00 hand-off stays 09:00 across daylight-saving changes); hour shifts are counted in
    elapsed hours from the first hand-off. Before the first hand-off nobody is on shift.
    """

    name: str
    participants: tuple[str, ...]
    start: date
    shift_length: int = 1
    shift_unit: ShiftUnit = ShiftUnit.WEEKS
    handoff: time = time(9, 0)
    timezone: str = "UTC"

    def on_shift(self, at: datetime) -> str | None:
        """Name of the participant on shift at the aware instant ``at``."""
        if not self.participants:
            return None
        tz = ZoneInfo(self.timezone)
        if self.shift_unit is ShiftUnit.HOURS:
            # In UTC: two datetimes sharing a tzinfo would subtract as wall-clock times.
            first = datetime.combine(self.start, self.handoff, tzinfo=tz).astimezone(UTC)
            elapsed = at.astimezone(UTC) - first
            if elapsed < timedelta(0):
                return None
            index = elapsed // timedelta(hours=self.shift_length)
        else:
            local = at.astimezone(tz)
            days = (local.date() - self.start).days
            if local.time() < self.handoff:
                days -= 1
            if days < 0:
                return None
            per_shift = self.shift_length * (7 if self.shift_unit is ShiftUnit.WEEKS else 1)
            index = days // per_shift
        return self.participants[index % len(self.participants)]


@dataclass(frozen=True, slots=True)
class Absence:
    """``person`` is away during ``[starts_at, ends_at)``; ``replacement`` covers if given."""

    person: str
    starts_at: datetime
    ends_at: datetime
    replacement: str | None = None
    reason: str | None = None
    id: int | None = None

    def covers(self, at: datetime) -> bool:
        # In UTC: datetimes sharing a tzinfo compare as wall-clock times (wrong in a DST fold).
        moment = at.astimezone(UTC)
        return self.starts_at.astimezone(UTC) <= moment < self.ends_at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """Tiers are group names, called in order; the page-out ladder runs them."""

    name: str
    tiers: tuple[str, ...]
    ring_timeout: int = 30
    rounds: int = 2
    round_delay: int = 60


@dataclass(frozen=True, slots=True)
class Directory:
    """A consistent read-only snapshot of (part of) the directory, keyed by name."""

    people: Mapping[str, Person]
    groups: Mapping[str, Group]
    rotations: Mapping[str, Rotation]
    absences: Mapping[str, Sequence[Absence]]


# --- validation -------------------------------------------------------------------------


def _require(condition: bool, message: str, field: str) -> None:
    if not condition:
        raise Invalid(message, field=field)


def _check_name(name: str, field: str = "name") -> None:
    _require(bool(name and name.strip()), "must not be empty", field)
    _require(name == name.strip(), "must not start or end with spaces", field)
    _require(len(name) <= 200, "must be at most 200 characters", field)


def _check_e164(number: str, field: str) -> None:
    ok = E164.fullmatch(number) is not None
    _require(ok, f"{number!r} is not an E.164 number", field)


def validate_person(person: Person) -> None:
    """Raise :class:`Invalid` naming the first bad field."""
    _check_name(person.name)
    numbers = [p.number for p in person.phones]
    for i, number in enumerate(numbers):
        _check_e164(number, f"phones[{i}].number")
    _require(len(set(numbers)) == len(numbers), "a number is listed twice", "phones")
    if person.email is not None:
        _require(
            "@" in person.email and " " not in person.email, "is not an e-mail address", "email"
        )


def validate_group(group: Group) -> None:
    _check_name(group.name)
    for i, member in enumerate(group.members):
        if isinstance(member, PhoneMember):
            _check_e164(member.number, f"members[{i}].phone")


def validate_rotation(rotation: Rotation) -> None:
    _check_name(rotation.name)
    _require(len(rotation.participants) > 0, "needs at least one participant", "participants")
    _require(1 <= rotation.shift_length <= 10_000, "must be between 1 and 10000", "shift_length")
    try:
        ZoneInfo(rotation.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {rotation.timezone!r}", field="timezone") from None


def validate_absence(absence: Absence) -> None:
    aware = absence.starts_at.tzinfo is not None and absence.ends_at.tzinfo is not None
    _require(aware, "must include a UTC offset", "starts_at")
    _require(absence.starts_at < absence.ends_at, "must be before ends_at", "starts_at")
    _require(absence.replacement != absence.person, "cannot be the absent person", "replacement")


def validate_policy(policy: EscalationPolicy) -> None:
    _check_name(policy.name)
    _require(len(policy.tiers) > 0, "needs at least one tier", "tiers")
    _require(5 <= policy.ring_timeout <= 600, "must be between 5 and 600 seconds", "ring_timeout")
    _require(1 <= policy.rounds <= 10, "must be between 1 and 10", "rounds")
    _require(0 <= policy.round_delay <= 3600, "must be between 0 and 3600 seconds", "round_delay")


def find_cycle(children: Mapping[str, Sequence[str]], start: str) -> list[str] | None:
    """Return a nesting path ``start -> ... -> start`` if one exists, else ``None``.

    ``children`` maps a group name to the names of the groups it directly contains.
    Iterative depth-first search, so any depth and any graph terminates.
    """
    parent: dict[str, str | None] = {start: None}
    stack = [(start, iter(children.get(start, ())))]
    while stack:
        node, kids = stack[-1]
        child = next(kids, None)
        if child is None:
            stack.pop()
            continue
        if child == start:
            path = [child, node]
            back = parent[node]
            while back is not None:
                path.append(back)
                back = parent[back]
            return path[::-1]
        if child not in parent:
            parent[child] = node
            stack.append((child, iter(children.get(child, ()))))
    return None


def check_no_cycle(children: Mapping[str, Sequence[str]], group: Group) -> None:
    """Raise :class:`CycleError` if saving ``group`` over ``children`` creates a cycle."""
    graph = dict(children)
    graph[group.name] = [m.group for m in group.members if isinstance(m, GroupMember)]
    path = find_cycle(graph, group.name)
    if path is not None:
        raise CycleError(path)
