"""Unit tests for the directory's pure validation rules and nesting-cycle detection."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.directory import (
    Absence,
    EscalationPolicy,
    Group,
    GroupMember,
    Person,
    PersonMember,
    Phone,
    PhoneMember,
    Rotation,
    RotationMember,
    check_no_cycle,
    find_cycle,
    validate_absence,
    validate_group,
    validate_person,
    validate_policy,
    validate_rotation,
)
from hotline.domain.errors import Conflict, CycleError, Invalid

PROPERTY = settings(max_examples=200, deadline=None)
T0 = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


# --- find_cycle / check_no_cycle --------------------------------------------------------


def assert_cycle_path(children: Mapping[str, Sequence[str]], path: list[str], start: str) -> None:
    assert len(path) >= 2
    assert path[0] == start
    assert path[-1] == start
    for parent, child in pairwise(path):
        assert child in children.get(parent, ()), f"{parent} -> {child} is not an edge"
    inner = path[:-1]
    assert len(inner) == len(set(inner)), "the path repeats a group"


def test_find_cycle_direct_self_nesting() -> None:
    assert find_cycle({"a": ["a"]}, "a") == ["a", "a"]


def test_find_cycle_two_groups() -> None:
    assert find_cycle({"a": ["b"], "b": ["a"]}, "a") == ["a", "b", "a"]
    assert find_cycle({"a": ["b"], "b": ["a"]}, "b") == ["b", "a", "b"]


def test_find_cycle_long_cycle() -> None:
    n = 10_000
    children = {f"g{i}": [f"g{(i + 1) % n}"] for i in range(n)}
    path = find_cycle(children, "g0")
    assert path == [*(f"g{i}" for i in range(n)), "g0"]


def test_find_cycle_ignores_cycles_not_through_start() -> None:
    children = {"root": ["a"], "a": ["b"], "b": ["a"]}
    assert find_cycle(children, "root") is None
    path = find_cycle(children, "a")
    assert path == ["a", "b", "a"]


def test_find_cycle_diamond_is_fine() -> None:
    children = {"top": ["left", "right"], "left": ["bottom"], "right": ["bottom"], "bottom": []}
    assert find_cycle(children, "top") is None
    assert find_cycle(children, "bottom") is None


def test_find_cycle_unknown_and_dangling_groups() -> None:
    assert find_cycle({}, "a") is None
    assert find_cycle({"a": ["ghost"]}, "a") is None


def test_find_cycle_cycle_behind_a_diamond() -> None:
    children = {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": ["e"], "e": ["c", "x"], "x": ["a"]}
    path = find_cycle(children, "a")
    assert path is not None
    assert_cycle_path(children, path, "a")


def test_check_no_cycle_rejects_self_nesting() -> None:
    group = Group("ops", (GroupMember("ops"),))
    with pytest.raises(CycleError) as info:
        check_no_cycle({}, group)
    assert info.value.path == ["ops", "ops"]
    assert isinstance(info.value, Conflict)
    assert "ops -> ops" in str(info.value)


def test_check_no_cycle_rejects_long_cycle_through_saved_group() -> None:
    children = {"b": ["c"], "c": ["d"], "d": ["a"]}
    group = Group("a", (PersonMember("ann"), GroupMember("b")))
    with pytest.raises(CycleError) as info:
        check_no_cycle(children, group)
    assert info.value.path == ["a", "b", "c", "d", "a"]
    assert str(info.value) == "group nesting cycle: a -> b -> c -> d -> a"


def test_check_no_cycle_uses_new_members_not_stored_ones() -> None:
    # stored: a contains b, b contains a (a cycle); saving a without b removes it
    children = {"a": ["b"], "b": ["a"]}
    check_no_cycle(children, Group("a", (PersonMember("ann"),)))
    # and the stored graph itself is not modified
    assert children == {"a": ["b"], "b": ["a"]}


def test_check_no_cycle_accepts_diamond() -> None:
    children = {"left": ["bottom"], "right": ["bottom"], "bottom": []}
    check_no_cycle(children, Group("top", (GroupMember("left"), GroupMember("right"))))


def test_check_no_cycle_ignores_non_group_members() -> None:
    members = (PersonMember("a"), PhoneMember("+441234567"), RotationMember("a"))
    check_no_cycle({}, Group("a", members))


names = st.sampled_from([f"n{i}" for i in range(6)])
graphs = st.dictionaries(names, st.lists(st.sampled_from([f"n{i}" for i in range(8)]), max_size=4))


def reaches_itself(children: Mapping[str, Sequence[str]], start: str) -> bool:
    seen: set[str] = set()
    todo = list(children.get(start, ()))
    while todo:
        node = todo.pop()
        if node == start:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(children.get(node, ()))
    return False


@PROPERTY
@given(graphs, names)
def test_find_cycle_agrees_with_reachability(children: dict[str, list[str]], start: str) -> None:
    path = find_cycle(children, start)
    assert (path is not None) == reaches_itself(children, start)
    if path is not None:
        assert_cycle_path(children, path, start)


@PROPERTY
@given(graphs, names, st.lists(names, max_size=4))
def test_check_no_cycle_agrees_with_reachability(
    children: dict[str, list[str]], start: str, nested: list[str]
) -> None:
    group = Group(start, tuple(GroupMember(n) for n in nested))
    graph = {**children, start: nested}
    if reaches_itself(graph, start):
        with pytest.raises(CycleError) as info:
            check_no_cycle(children, group)
        assert_cycle_path(graph, info.value.path, start)
    else:
        check_no_cycle(children, group)


# --- validate_person --------------------------------------------------------------------


def invalid_field(check: Callable[[Any], None], value: object) -> str | None:
    with pytest.raises(Invalid) as info:
        check(value)
    return info.value.field


@pytest.mark.parametrize("name", ["", "   ", " ann", "ann ", "\tann", "x" * 201])
def test_person_bad_name(name: str) -> None:
    assert invalid_field(validate_person, Person(name)) == "name"


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        (["07700900123"], "phones[0].number"),
        (["+44 7700 900123"], "phones[0].number"),
        (["+447700900123", "447700900123"], "phones[1].number"),
        (["+"], "phones[0].number"),
        (["+1"], "phones[0].number"),
        (["+1234567890123456"], "phones[0].number"),  # 16 digits
        (["+44770090012a"], "phones[0].number"),
        (["+-4477009001"], "phones[0].number"),
        (["++447700900"], "phones[0].number"),
        (["+447700900123", "+447700900123"], "phones"),
    ],
)
def test_person_bad_phones(numbers: list[str], field: str) -> None:
    person = Person("ann", tuple(Phone(n) for n in numbers))
    assert invalid_field(validate_person, person) == field


@pytest.mark.parametrize("email", ["ann.example.com", "ann @example.com", "ann@example.com "])
def test_person_bad_email(email: str) -> None:
    assert invalid_field(validate_person, Person("ann", email=email)) == "email"


@pytest.mark.parametrize(
    "person",
    [
        Person("ann"),
        Person("x" * 200),
        Person("Ann O'Neil", (Phone("+12"),)),
        Person("ann", (Phone("+123456789012345"),)),  # 15 digits
        Person("ann", (Phone("+447700900123"), Phone("+447700900124", voice=False, sms=True))),
        Person("ann", email="ann@example.com", active=False),
    ],
)
def test_person_accepted(person: Person) -> None:
    validate_person(person)


@pytest.mark.parametrize("number", ["+\u0664\u0664\u0667\u0667", "+\u00b2\u00b3\u00b9"])
def test_person_non_ascii_digits_rejected(number: str) -> None:
    assert invalid_field(validate_person, Person("ann", (Phone(number),))) == "phones[0].number"


# --- validate_group ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", " ops", "ops ", "x" * 201])
def test_group_bad_name(name: str) -> None:
    assert invalid_field(validate_group, Group(name)) == "name"


def test_group_bad_phone_member() -> None:
    group = Group("ops", (PersonMember("ann"), PhoneMember("12345")))
    assert invalid_field(validate_group, group) == "members[1].phone"


def test_group_containing_itself_is_a_nesting_cycle() -> None:
    # The service runs validate_group and then check_no_cycle; self-nesting is a cycle (409).
    group = Group("ops", (PersonMember("ann"), GroupMember("ops")))
    with pytest.raises(CycleError) as info:
        check_no_cycle({"ops": []}, group)
    assert info.value.path == ["ops", "ops"]


def test_group_accepted() -> None:
    members = (
        PersonMember("ann"),
        GroupMember("other"),
        PhoneMember("+447700900123", "Pager"),
        RotationMember("rota"),
    )
    validate_group(Group("ops", members))
    validate_group(Group("ops"))


# --- validate_rotation ------------------------------------------------------------------


def rotation(**changes: object) -> Rotation:
    fields: dict[str, object] = {
        "name": "rota",
        "participants": ("ann",),
        "start": date(2024, 1, 1),
    }
    fields.update(changes)
    return Rotation(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": " rota"}, "name"),
        ({"participants": ()}, "participants"),
        ({"shift_length": 0}, "shift_length"),
        ({"shift_length": -1}, "shift_length"),
        ({"shift_length": 10_001}, "shift_length"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"timezone": "/UTC"}, "timezone"),
        ({"timezone": "Europe"}, "timezone"),
        ({"timezone": "zone.tab"}, "timezone"),
    ],
)
def test_rotation_rejected(changes: dict[str, object], field: str) -> None:
    assert invalid_field(validate_rotation, rotation(**changes)) == field


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"shift_length": 1},
        {"shift_length": 10_000},
        {"timezone": "Europe/London"},
        {"participants": ("ann", "bo", "ann")},
    ],
)
def test_rotation_accepted(changes: dict[str, object]) -> None:
    validate_rotation(rotation(**changes))


# --- validate_absence -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("absence", "field"),
    [
        (Absence("ann", T0.replace(tzinfo=None), T0 + timedelta(hours=1)), "starts_at"),
        (Absence("ann", T0, (T0 + timedelta(hours=1)).replace(tzinfo=None)), "starts_at"),
        (Absence("ann", T0, T0), "starts_at"),
        (Absence("ann", T0, T0 - timedelta(seconds=1)), "starts_at"),
        (Absence("ann", T0, T0 + timedelta(hours=1), replacement="ann"), "replacement"),
    ],
)
def test_absence_rejected(absence: Absence, field: str) -> None:
    assert invalid_field(validate_absence, absence) == field


@pytest.mark.parametrize("replacement", [None, "bo"])
def test_absence_accepted(replacement: str | None) -> None:
    validate_absence(Absence("ann", T0, T0 + timedelta(microseconds=1), replacement))


# --- validate_policy --------------------------------------------------------------------


def policy(**changes: object) -> EscalationPolicy:
    fields: dict[str, object] = {"name": "major", "tiers": ("ops",)}
    fields.update(changes)
    return EscalationPolicy(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "major "}, "name"),
        ({"tiers": ()}, "tiers"),
        ({"ring_timeout": 4}, "ring_timeout"),
        ({"ring_timeout": 601}, "ring_timeout"),
        ({"rounds": 0}, "rounds"),
        ({"rounds": 11}, "rounds"),
        ({"round_delay": -1}, "round_delay"),
        ({"round_delay": 3601}, "round_delay"),
    ],
)
def test_policy_rejected(changes: dict[str, object], field: str) -> None:
    assert invalid_field(validate_policy, policy(**changes)) == field


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"ring_timeout": 5, "rounds": 1, "round_delay": 0},
        {"ring_timeout": 600, "rounds": 10, "round_delay": 3600},
        {"tiers": ("ops", "managers", "ops")},
    ],
)
def test_policy_accepted(changes: dict[str, object]) -> None:
    validate_policy(policy(**changes))
