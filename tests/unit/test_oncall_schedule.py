"""Unit tests for the directory's 7-day view: ``hotline.services.oncall_schedule``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.directory import (
    Absence,
    Group,
    Person,
    PersonMember,
    Phone,
    Rotation,
    RotationMember,
    ShiftUnit,
)
from hotline.domain.oncall import oncall
from hotline.services.oncall_schedule import handoffs, schedule, snapshot

START = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)  # a Wednesday; Paris moves to CEST on the 29th
WEEK = START + timedelta(days=7)


def person(name: str, n: int) -> Person:
    return Person(name=name, phones=(Phone(f"+1202555{n:04d}", voice=True),))


PEOPLE = [person("Ann", 1), person("Bob", 2), person("Cat", 3), person("Dan", 4)]


def daily(handoff: time = time(9, 0), tz: str = "Europe/Paris") -> Rotation:
    return Rotation(
        name="ops",
        participants=("Ann", "Bob"),
        start=date(2026, 3, 1),
        shift_length=1,
        shift_unit=ShiftUnit.DAYS,
        handoff=handoff,
        timezone=tz,
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def group(*members: str | RotationMember) -> Group:
    return Group(
        name="g",
        members=tuple(m if isinstance(m, RotationMember) else PersonMember(m) for m in members),
    )


def test_a_daily_rotation_hands_off_at_its_local_time_across_daylight_saving() -> None:
    found = handoffs(daily(), START, WEEK)
    # 09:00 in Paris: 08:00 UTC in CET, 07:00 UTC from Sunday 29 March (CEST).
    assert found == [
        at(26, 8),
        at(27, 8),
        at(28, 8),
        at(29, 7),
        at(30, 7),
        at(31, 7),
        datetime(2026, 4, 1, 7, tzinfo=UTC),
    ]


def test_hour_shifts_hand_off_every_shift_length_from_the_first() -> None:
    rotation = Rotation(
        name="r",
        participants=("Ann", "Bob"),
        start=date(2026, 3, 25),
        shift_length=8,
        shift_unit=ShiftUnit.HOURS,
        handoff=time(6, 0),
        timezone="UTC",
    )
    assert handoffs(rotation, START, START + timedelta(days=1)) == [
        at(25, 14),
        at(25, 22),
        at(26, 6),
    ]


def test_each_hand_off_and_absence_edge_starts_a_shift() -> None:
    rotation = daily()
    away = Absence("Bob", at(27, 20), at(28, 10), replacement="Cat")
    directory = snapshot(PEOPLE, [group(RotationMember("ops"), "Dan")], [rotation], [away])
    shifts = schedule(directory, "g", START, WEEK)
    # Rotation day k (from 1 March, 09:00 Paris) has Ann on even k, Bob on odd k:
    # 25 March 09:00 starts day 24 (Ann), 26th day 25 (Bob), 27th Ann, 28th Bob, ...
    assert [(s.start, s.end, s.names) for s in shifts] == [
        (START, at(26, 8), ("Ann", "Dan")),
        (at(26, 8), at(27, 8), ("Bob", "Dan")),
        (at(27, 8), at(28, 8), ("Ann", "Dan")),
        (at(28, 8), at(28, 10), ("Cat", "Dan")),  # Bob is away; Cat covers
        (at(28, 10), at(29, 7), ("Bob", "Dan")),
        (at(29, 7), at(30, 7), ("Ann", "Dan")),
        (at(30, 7), at(31, 7), ("Bob", "Dan")),
        (at(31, 7), datetime(2026, 4, 1, 7, tzinfo=UTC), ("Ann", "Dan")),
        (datetime(2026, 4, 1, 7, tzinfo=UTC), WEEK, ("Bob", "Dan")),
    ]


def test_a_group_without_rotations_is_one_shift_and_nobody_is_a_shift_too() -> None:
    directory = snapshot(PEOPLE, [group("Ann"), Group("empty", ())], [daily()], [])
    [only] = schedule(directory, "g", START, WEEK)
    assert (only.start, only.end, only.names) == (START, WEEK, ("Ann",))
    [nobody] = schedule(directory, "empty", START, WEEK)
    assert nobody.entries == ()


OFFSETS = st.integers(min_value=0, max_value=7 * 24 * 60 - 1).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(
    handoff=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    tz=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
    absence=st.tuples(OFFSETS, OFFSETS),
    probe=OFFSETS,
)
def test_the_shift_covering_an_instant_lists_who_paging_would_call(
    handoff: time, tz: str, absence: tuple[timedelta, timedelta], probe: timedelta
) -> None:
    begin, finish = sorted(absence)
    away = [Absence("Ann", START + begin, START + finish + timedelta(minutes=1), "Cat")]
    directory = snapshot(PEOPLE, [group(RotationMember("ops"), "Dan")], [daily(handoff, tz)], away)
    shifts = schedule(directory, "g", START, WEEK)
    assert shifts[0].start == START and shifts[-1].end == WEEK
    assert all(a.end == b.start and a.entries != b.entries for a, b in pairwise(shifts))
    moment = START + probe
    [covering] = [s for s in shifts if s.start <= moment < s.end]
    if not near_a_missing_handoff(handoff, tz, moment):
        assert covering.entries == tuple(oncall(directory, "g", moment))


def near_a_missing_handoff(handoff: time, tz: str, moment: datetime) -> bool:
    """Whether the hand-off time does not exist (a daylight-saving gap) on the day of
    ``moment`` or the day before: there the change is shown up to an hour late."""
    zone = ZoneInfo(tz)
    today = moment.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)):
        wall = datetime.combine(day, handoff, tzinfo=zone).astimezone(UTC).astimezone(zone)
        if wall.time() != handoff:
            return True
    return False
