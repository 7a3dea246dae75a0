"""Unit tests for ``Rotation.on_shift``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.directory import Rotation, ShiftUnit

LONDON = ZoneInfo("Europe/London")
PROPERTY = settings(max_examples=200, deadline=None)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --- weekly, 09:00 Europe/London, across daylight-saving changes --------------------------


def test_weekly_handoff_stays_at_0900_local_across_spring_change() -> None:
    # Clocks go forward on Sunday 2024-03-31: 09:00 is 09:00 UTC before, 08:00 UTC after.
    rota = Rotation("rota", ("ann", "bo", "cy"), date(2024, 3, 25), timezone="Europe/London")
    assert rota.on_shift(utc(2024, 3, 25, 8, 59, 59)) is None
    assert rota.on_shift(utc(2024, 3, 25, 9, 0)) == "ann"
    assert rota.on_shift(utc(2024, 3, 31, 12, 0)) == "ann"
    assert rota.on_shift(utc(2024, 4, 1, 7, 59, 59)) == "ann"
    assert rota.on_shift(utc(2024, 4, 1, 8, 0)) == "bo"
    assert rota.on_shift(datetime(2024, 4, 1, 8, 59, 59, tzinfo=LONDON)) == "ann"
    assert rota.on_shift(datetime(2024, 4, 1, 9, 0, tzinfo=LONDON)) == "bo"


def test_weekly_handoff_stays_at_0900_local_across_autumn_change() -> None:
    # Clocks go back on Sunday 2024-10-27: 09:00 is 08:00 UTC before, 09:00 UTC after.
    rota = Rotation("rota", ("ann", "bo"), date(2024, 10, 21), timezone="Europe/London")
    assert rota.on_shift(utc(2024, 10, 21, 7, 59, 59)) is None
    assert rota.on_shift(utc(2024, 10, 21, 8, 0)) == "ann"
    assert rota.on_shift(utc(2024, 10, 28, 8, 59, 59)) == "ann"
    assert rota.on_shift(utc(2024, 10, 28, 9, 0)) == "bo"


def test_wraps_around_participants() -> None:
    rota = Rotation("rota", ("ann", "bo", "cy"), date(2024, 3, 25), timezone="Europe/London")
    week = [rota.on_shift(utc(2024, 3, 25, 12) + timedelta(weeks=k)) for k in range(7)]
    assert week == ["ann", "bo", "cy", "ann", "bo", "cy", "ann"]


def test_multi_week_shifts() -> None:
    rota = Rotation("rota", ("ann", "bo"), date(2024, 1, 1), shift_length=2)
    assert rota.on_shift(utc(2024, 1, 1, 9)) == "ann"
    assert rota.on_shift(utc(2024, 1, 15, 8, 59)) == "ann"
    assert rota.on_shift(utc(2024, 1, 15, 9)) == "bo"
    assert rota.on_shift(utc(2024, 1, 29, 9)) == "ann"


# --- other units ------------------------------------------------------------------------


def test_days_unit() -> None:
    rota = Rotation(
        "rota",
        ("ann", "bo", "cy"),
        date(2024, 6, 1),
        shift_length=2,
        shift_unit=ShiftUnit.DAYS,
        handoff=time(8, 0),
    )
    assert rota.on_shift(utc(2024, 6, 1, 7, 59)) is None
    assert rota.on_shift(utc(2024, 6, 1, 8)) == "ann"
    assert rota.on_shift(utc(2024, 6, 3, 7, 59)) == "ann"
    assert rota.on_shift(utc(2024, 6, 3, 8)) == "bo"
    assert rota.on_shift(utc(2024, 6, 5, 8)) == "cy"
    assert rota.on_shift(utc(2024, 6, 7, 8)) == "ann"


def test_days_unit_keeps_local_handoff_across_dst() -> None:
    rota = Rotation(
        "rota",
        ("ann", "bo"),
        date(2024, 3, 30),
        shift_unit=ShiftUnit.DAYS,
        timezone="Europe/London",
    )
    assert rota.on_shift(utc(2024, 3, 30, 9)) == "ann"  # 09:00 GMT
    assert rota.on_shift(utc(2024, 3, 31, 7, 59)) == "ann"
    assert rota.on_shift(utc(2024, 3, 31, 8)) == "bo"  # 09:00 BST


def test_hours_unit() -> None:
    rota = Rotation(
        "rota",
        ("ann", "bo", "cy"),
        date(2024, 6, 1),
        shift_length=8,
        shift_unit=ShiftUnit.HOURS,
        handoff=time(6, 0),
    )
    assert rota.on_shift(utc(2024, 6, 1, 5, 59, 59)) is None
    assert rota.on_shift(utc(2024, 6, 1, 6)) == "ann"
    assert rota.on_shift(utc(2024, 6, 1, 13, 59)) == "ann"
    assert rota.on_shift(utc(2024, 6, 1, 14)) == "bo"
    assert rota.on_shift(utc(2024, 6, 1, 22)) == "cy"
    assert rota.on_shift(utc(2024, 6, 2, 6)) == "ann"


def test_hours_unit_counts_elapsed_hours_across_dst() -> None:
    # First hand-off 09:00 GMT on 2024-03-30; the night has only 23 hours on 03-31.
    rota = Rotation(
        "rota",
        ("ann", "bo"),
        date(2024, 3, 30),
        shift_length=12,
        shift_unit=ShiftUnit.HOURS,
        timezone="Europe/London",
    )
    assert rota.on_shift(utc(2024, 3, 30, 21)) == "bo"
    assert rota.on_shift(utc(2024, 3, 31, 8, 59)) == "bo"
    assert rota.on_shift(utc(2024, 3, 31, 9)) == "ann"  # 24 elapsed hours, 10:00 BST


def test_hours_unit_same_instant_in_local_time_gives_same_answer() -> None:
    rota = Rotation(
        "rota",
        ("ann", "bo"),
        date(2024, 3, 30),
        shift_length=12,
        shift_unit=ShiftUnit.HOURS,
        timezone="Europe/London",
    )
    instant = utc(2024, 3, 31, 8, 30)  # 23.5 elapsed hours: still bo's shift
    assert rota.on_shift(instant) == "bo"
    assert rota.on_shift(instant.astimezone(LONDON)) == "bo"


@pytest.mark.parametrize("unit", list(ShiftUnit))
def test_before_start_nobody(unit: ShiftUnit) -> None:
    rota = Rotation("rota", ("ann",), date(2024, 6, 1), shift_unit=unit)
    assert rota.on_shift(utc(2024, 5, 1)) is None
    assert rota.on_shift(utc(2024, 6, 1, 8, 59, 59, 999999)) is None
    assert rota.on_shift(utc(2024, 6, 1, 9)) == "ann"


def test_no_participants_nobody() -> None:
    assert Rotation("rota", (), date(2024, 1, 1)).on_shift(utc(2024, 6, 1)) is None


# --- properties -------------------------------------------------------------------------

# Zones whose clock changes happen between 00:00 and 04:00 local, so a 04:00-23:59 hand-off
# never falls into a gap or fold.
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Australia/Sydney"]
ANY_ZONES = [*ZONES, "Asia/Kolkata", "America/Santiago", "Pacific/Chatham", "Asia/Tehran"]
INSTANTS = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@st.composite
def rotations(draw: st.DrawFn, zones: list[str], handoffs: st.SearchStrategy[time]) -> Rotation:
    return Rotation(
        "rota",
        tuple(draw(st.lists(st.sampled_from(["ann", "bo", "cy", "dee", "eve"]), min_size=1))),
        start=draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))),
        shift_length=draw(st.integers(1, 30)),
        shift_unit=draw(st.sampled_from(ShiftUnit)),
        handoff=draw(handoffs),
        timezone=draw(st.sampled_from(zones)),
    )


safe_handoffs = st.builds(time, st.integers(4, 23), st.integers(0, 59))


def handoff_instant(rota: Rotation, k: int) -> datetime:
    """The k-th hand-off as a UTC instant, computed independently of ``on_shift``."""
    tz = ZoneInfo(rota.timezone)
    first = datetime.combine(rota.start, rota.handoff, tzinfo=tz).astimezone(UTC)
    if rota.shift_unit is ShiftUnit.HOURS:
        return first + timedelta(hours=k * rota.shift_length)
    days = rota.shift_length * (7 if rota.shift_unit is ShiftUnit.WEEKS else 1)
    local_day = rota.start + timedelta(days=k * days)
    return datetime.combine(local_day, rota.handoff, tzinfo=tz).astimezone(UTC)


def shift_index(rota: Rotation, at: datetime) -> int:
    """Largest k with handoff_instant(k) <= at (-1 before the first hand-off)."""
    first = handoff_instant(rota, 0)
    if at < first:
        return -1
    unit = {ShiftUnit.HOURS: 3600, ShiftUnit.DAYS: 86400, ShiftUnit.WEEKS: 7 * 86400}
    k = int((at - first).total_seconds() // (unit[rota.shift_unit] * rota.shift_length))
    while handoff_instant(rota, k) > at:
        k -= 1
    while handoff_instant(rota, k + 1) <= at:
        k += 1
    return k


@PROPERTY
@given(rotations(ANY_ZONES, st.times()), INSTANTS)
def test_on_shift_is_a_participant_or_none(rota: Rotation, at: datetime) -> None:
    assert rota.on_shift(at) in (*rota.participants, None)


@PROPERTY
@given(rotations(ZONES, safe_handoffs), INSTANTS)
def test_participant_changes_only_at_handoff_instants(rota: Rotation, at: datetime) -> None:
    """Constant over each shift [H(k), H(k+1)), the next participant from H(k+1)."""
    k = shift_index(rota, at)
    tick = timedelta(microseconds=1)
    if k < 0:
        first = handoff_instant(rota, 0)
        assert rota.on_shift(at) is None
        assert rota.on_shift(first - tick) is None
        assert rota.on_shift(first) == rota.participants[0]
        return
    n = len(rota.participants)
    begin, end = handoff_instant(rota, k), handoff_instant(rota, k + 1)
    expected = rota.participants[k % n]
    assert rota.on_shift(begin) == expected
    assert rota.on_shift(at) == expected
    assert rota.on_shift(end - tick) == expected
    assert rota.on_shift(end) == rota.participants[(k + 1) % n]


@PROPERTY
@given(rotations(ANY_ZONES, st.times()), INSTANTS, st.sampled_from(ANY_ZONES))
def test_day_and_week_shifts_ignore_how_the_instant_is_expressed(
    rota: Rotation, at: datetime, zone: str
) -> None:
    if rota.shift_unit is ShiftUnit.HOURS:
        rota = Rotation(rota.name, rota.participants, rota.start, rota.shift_length)
    assert rota.on_shift(at.astimezone(ZoneInfo(zone))) == rota.on_shift(at)
