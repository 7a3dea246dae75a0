"""Who is on call from when to when: a group's on-call list laid out over a period.

Pure (no I/O): given a directory snapshot, the on-call list can only change at a rotation's
hand-off or at the start or end of an absence, so :func:`schedule` evaluates
:func:`hotline.domain.oncall.oncall` at the period's start and at each of those instants,
and merges neighbours that call the same people in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.domain.directory import Absence, Directory, Group, Person, Rotation, ShiftUnit
from hotline.domain.oncall import OnCall, oncall


@dataclass(frozen=True)
class Shift:
    """``entries`` (in calling order; empty: nobody) are on call during ``[start, end)``."""

    start: datetime
    end: datetime
    entries: tuple[OnCall, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)


def snapshot(
    people: list[Person],
    groups: list[Group],
    rotations: list[Rotation],
    absences: list[Absence],
) -> Directory:
    """A directory snapshot from the directory service's lists."""
    away: dict[str, list[Absence]] = {}
    for absence in absences:
        away.setdefault(absence.person, []).append(absence)
    return Directory(
        people={p.name: p for p in people},
        groups={g.name: g for g in groups},
        rotations={r.name: r for r in rotations},
        absences=away,
    )


def handoffs(rotation: Rotation, start: datetime, end: datetime) -> list[datetime]:
    """The rotation's hand-off instants in ``(start, end)``, in UTC, ascending.

    Day and week shifts hand over at the local hand-off time (every local day is a
    candidate; days that hand over to the same person are merged by :func:`schedule`). A
    hand-off time that does not exist on a daylight-saving day is placed at its
    standard-offset instant.
    """
    tz = ZoneInfo(rotation.timezone)
    found: list[datetime] = []
    if rotation.shift_unit is ShiftUnit.HOURS:
        first = datetime.combine(rotation.start, rotation.handoff, tzinfo=tz).astimezone(UTC)
        step = timedelta(hours=rotation.shift_length)
        k = max(0, math.ceil((start - first) / step))
        while (at := first + k * step) < end:
            if at > start:
                found.append(at)
            k += 1
        return found
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        at = datetime.combine(day, rotation.handoff, tzinfo=tz).astimezone(UTC)
        if start < at < end:
            found.append(at)
        day += timedelta(days=1)
    return found


def change_points(directory: Directory, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in ``(start, end)`` at which someone's on-call state may change."""
    points: set[datetime] = set()
    for rotation in directory.rotations.values():
        points.update(handoffs(rotation, start, end))
    for absences in directory.absences.values():
        for a in absences:
            for edge in (a.starts_at.astimezone(UTC), a.ends_at.astimezone(UTC)):
                if start < edge < end:
                    points.add(edge)
    return sorted(points)


def schedule(directory: Directory, group: str, start: datetime, end: datetime) -> list[Shift]:
    """``group``'s on-call lists covering ``[start, end)`` (aware instants), in order; each
    shift differs from the one before it. ``NotFound`` for an unknown group."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    shifts: list[Shift] = []
    for at in [start, *change_points(directory, start, end)]:
        entries = tuple(oncall(directory, group, at))
        if shifts and shifts[-1].entries == entries:
            continue
        if shifts:
            shifts[-1] = Shift(shifts[-1].start, at, shifts[-1].entries)
        shifts.append(Shift(at, end, entries))
    return shifts
