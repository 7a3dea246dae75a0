"""Unit tests for the on-call resolver ``hotline.domain.oncall.oncall``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.directory import (
    Absence,
    Directory,
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
from hotline.domain.errors import Invalid, NotFound
from hotline.domain.oncall import OnCall, oncall

AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)

PROPERTY = settings(max_examples=200, deadline=None)


# --- helpers ----------------------------------------------------------------------------


def number(i: int) -> str:
    return f"+44700900{i:04d}"


def person(name: str, *numbers: str, active: bool = True, spoken: str | None = None) -> Person:
    return Person(name, tuple(Phone(n) for n in numbers), spoken_name=spoken, active=active)


def make_directory(
    people: Iterable[Person] = (),
    groups: Iterable[Group] = (),
    rotations: Iterable[Rotation] = (),
    absences: Iterable[Absence] = (),
) -> Directory:
    by_person: dict[str, list[Absence]] = {}
    for absence in absences:
        by_person.setdefault(absence.person, []).append(absence)
    return Directory(
        people={p.name: p for p in people},
        groups={g.name: g for g in groups},
        rotations={r.name: r for r in rotations},
        absences={name: tuple(items) for name, items in by_person.items()},
    )


def away(name: str, replacement: str | None = None, at: datetime = AT) -> Absence:
    """An absence of ``name`` covering ``at``."""
    return Absence(name, at - timedelta(days=1), at + timedelta(days=1), replacement)


def entry(p: Person) -> OnCall:
    assert p.voice_number is not None
    return OnCall(p.name, p.voice_number, p.say_name, p.name)


def names(result: Sequence[OnCall]) -> list[str]:
    return [e.name for e in result]


def pm(*names_: str) -> tuple[Member, ...]:
    return tuple(PersonMember(n) for n in names_)


# --- example-based tests -----------------------------------------------------------------


def test_naive_datetime_is_invalid() -> None:
    d = make_directory([person("ann", number(1))], [Group("ops", pm("ann"))])
    with pytest.raises(Invalid) as info:
        oncall(d, "ops", datetime(2024, 6, 3, 12, 0))  # deliberately naive
    assert info.value.field == "at"


def test_unknown_group_is_not_found() -> None:
    d = make_directory([person("ann", number(1))], [Group("ops", pm("ann"))])
    with pytest.raises(NotFound):
        oncall(d, "nope", AT)


def test_empty_group_gives_empty_list() -> None:
    d = make_directory([], [Group("ops")])
    assert oncall(d, "ops", AT) == []


def test_group_of_only_dangling_references_gives_empty_list() -> None:
    members = (PersonMember("ghost"), GroupMember("nowhere"), RotationMember("nothing"))
    d = make_directory([], [Group("ops", members)])
    assert oncall(d, "ops", AT) == []


def test_flat_group_keeps_member_order() -> None:
    people = [person(n, number(i)) for i, n in enumerate(["cy", "ann", "bo"])]
    d = make_directory(people, [Group("ops", pm("cy", "ann", "bo"))])
    assert oncall(d, "ops", AT) == [entry(p) for p in people]


def test_entry_carries_spoken_name() -> None:
    ann = person("ann", number(1), spoken="Annabel")
    d = make_directory([ann], [Group("ops", pm("ann"))])
    assert oncall(d, "ops", AT) == [OnCall("ann", number(1), "Annabel", "ann")]


def test_first_occurrence_wins_for_the_same_person() -> None:
    ann, bo = person("ann", number(1)), person("bo", number(2))
    d = make_directory([ann, bo], [Group("ops", pm("bo", "ann", "bo", "ann"))])
    assert names(oncall(d, "ops", AT)) == ["bo", "ann"]


def test_first_occurrence_wins_for_the_same_number() -> None:
    ann, twin = person("ann", number(1)), person("twin", number(1))
    members = (PhoneMember(number(1), "Pager"), *pm("ann", "twin"))
    d = make_directory([ann, twin], [Group("ops", members)])
    assert oncall(d, "ops", AT) == [OnCall("Pager", number(1), "Pager", None)]

    d = make_directory([ann, twin], [Group("ops", pm("twin", "ann"))])
    assert names(oncall(d, "ops", AT)) == ["twin"]


def test_person_reached_through_several_groups_appears_once() -> None:
    ann, bo = person("ann", number(1)), person("bo", number(2))
    groups = [
        Group("root", (GroupMember("a"), GroupMember("b"))),
        Group("a", pm("ann", "bo")),
        Group("b", pm("bo", "ann")),
    ]
    d = make_directory([ann, bo], groups)
    assert names(oncall(d, "root", AT)) == ["ann", "bo"]


def test_bare_phone_member_uses_its_label_as_name() -> None:
    d = make_directory([], [Group("ops", (PhoneMember(number(7), "Duty pager"),))])
    assert oncall(d, "ops", AT) == [OnCall("Duty pager", number(7), "Duty pager", None)]


def test_bare_phone_member_without_label_uses_its_number() -> None:
    d = make_directory([], [Group("ops", (PhoneMember(number(7)),))])
    assert oncall(d, "ops", AT) == [OnCall(number(7), number(7), number(7), None)]


def test_voice_number_is_first_voice_phone_in_priority_order() -> None:
    ann = Person(
        "ann",
        (
            Phone(number(1), voice=False, sms=True),
            Phone(number(2), voice=True, sms=True),
            Phone(number(3), voice=True),
        ),
    )
    d = make_directory([ann], [Group("ops", pm("ann"))])
    assert oncall(d, "ops", AT) == [OnCall("ann", number(2), "ann", "ann")]


def test_person_with_only_sms_phones_is_dropped() -> None:
    ann = Person("ann", (Phone(number(1), voice=False, sms=True),))
    nobody = Person("nobody")
    bo = person("bo", number(2))
    d = make_directory([ann, nobody, bo], [Group("ops", pm("ann", "nobody", "bo"))])
    assert names(oncall(d, "ops", AT)) == ["bo"]


def test_inactive_person_is_dropped() -> None:
    ann, bo = person("ann", number(1), active=False), person("bo", number(2))
    d = make_directory([ann, bo], [Group("ops", pm("ann", "bo"))])
    assert names(oncall(d, "ops", AT)) == ["bo"]


def test_absent_person_without_replacement_is_dropped() -> None:
    ann, bo = person("ann", number(1)), person("bo", number(2))
    d = make_directory([ann, bo], [Group("ops", pm("ann", "bo"))], absences=[away("ann")])
    assert names(oncall(d, "ops", AT)) == ["bo"]


def test_absence_is_half_open() -> None:
    ann = person("ann", number(1))
    absence = Absence("ann", AT, AT + timedelta(hours=1))
    d = make_directory([ann], [Group("ops", pm("ann"))], absences=[absence])
    assert oncall(d, "ops", AT - timedelta(microseconds=1)) == [entry(ann)]
    assert oncall(d, "ops", AT) == []
    assert oncall(d, "ops", AT + timedelta(hours=1)) == [entry(ann)]


def test_absence_ending_before_a_fold_instant_does_not_cover_it() -> None:
    london = ZoneInfo("Europe/London")
    # the absence ends at 01:45 BST (00:45 UTC); `at` is the second 01:30 (GMT, 01:30 UTC)
    absence = Absence(
        "ann", datetime(2024, 10, 26, tzinfo=london), datetime(2024, 10, 27, 1, 45, tzinfo=london)
    )
    at = datetime(2024, 10, 27, 1, 30, fold=1, tzinfo=london)
    assert at.astimezone(UTC) > absence.ends_at.astimezone(UTC)
    d = make_directory([person("ann", number(1))], [Group("ops", pm("ann"))], [], [absence])
    assert names(oncall(d, "ops", at.astimezone(UTC))) == ["ann"]
    assert names(oncall(d, "ops", at)) == ["ann"]  # gives []


def test_absent_person_is_replaced_in_place() -> None:
    ann, bo, cy, sub = (person(n, number(i)) for i, n in enumerate(["ann", "bo", "cy", "sub"]))
    d = make_directory(
        [ann, bo, cy, sub], [Group("ops", pm("ann", "bo", "cy"))], absences=[away("bo", "sub")]
    )
    assert names(oncall(d, "ops", AT)) == ["ann", "sub", "cy"]


def test_replacement_already_listed_is_not_repeated() -> None:
    ann, bo, cy = (person(n, number(i)) for i, n in enumerate(["ann", "bo", "cy"]))
    d = make_directory(
        [ann, bo, cy], [Group("ops", pm("ann", "bo", "cy"))], [], [away("bo", "ann")]
    )
    assert names(oncall(d, "ops", AT)) == ["ann", "cy"]


def test_chained_replacements_are_followed() -> None:
    people = [person(n, number(i)) for i, n in enumerate(["ann", "bo", "cy", "dee"])]
    absences = [away("ann", "bo"), away("bo", "cy")]
    d = make_directory(people, [Group("ops", pm("ann", "dee"))], absences=absences)
    assert names(oncall(d, "ops", AT)) == ["cy", "dee"]


def test_replacement_cycle_terminates_and_drops_the_entry() -> None:
    people = [person(n, number(i)) for i, n in enumerate(["ann", "bo", "cy"])]
    absences = [away("ann", "bo"), away("bo", "ann")]
    d = make_directory(people, [Group("ops", pm("ann", "bo", "cy"))], absences=absences)
    assert names(oncall(d, "ops", AT)) == ["cy"]


@pytest.mark.parametrize(
    "sub",
    [
        person("sub", number(9), active=False),
        Person("sub", (Phone(number(9), voice=False, sms=True),)),
    ],
    ids=["inactive", "no-voice"],
)
def test_unreachable_replacement_drops_the_entry(sub: Person) -> None:
    ann = person("ann", number(1))
    d = make_directory([ann, sub], [Group("ops", pm("ann"))], absences=[away("ann", "sub")])
    assert oncall(d, "ops", AT) == []


def test_unknown_replacement_drops_the_entry() -> None:
    ann = person("ann", number(1))
    d = make_directory([ann], [Group("ops", pm("ann"))], absences=[away("ann", "ghost")])
    assert oncall(d, "ops", AT) == []


def test_nested_groups_expand_in_place_depth_first() -> None:
    people = [person(f"p{i}", number(i)) for i in range(7)]
    groups = [
        Group("root", (PersonMember("p0"), GroupMember("a"), PersonMember("p5"))),
        Group("a", (PersonMember("p1"), GroupMember("b"), PersonMember("p4"))),
        Group("b", (PersonMember("p2"), PersonMember("p3"))),
    ]
    d = make_directory([*people, person("p6", number(6))], groups)
    assert names(oncall(d, "root", AT)) == ["p0", "p1", "p2", "p3", "p4", "p5"]


def test_nesting_cycle_terminates() -> None:
    people = [person(f"p{i}", number(i)) for i in range(4)]
    groups = [
        Group("a", (PersonMember("p0"), GroupMember("b"), PersonMember("p1"))),
        Group("b", (PersonMember("p2"), GroupMember("a"), PersonMember("p3"))),
    ]
    d = make_directory(people, groups)
    assert names(oncall(d, "a", AT)) == ["p0", "p2", "p3", "p1"]
    assert names(oncall(d, "b", AT)) == ["p2", "p0", "p1", "p3"]


def test_self_reference_terminates() -> None:
    ann = person("ann", number(1))
    d = make_directory([ann], [Group("ops", (GroupMember("ops"), PersonMember("ann")))])
    assert oncall(d, "ops", AT) == [entry(ann)]


def test_very_deep_nesting_does_not_recurse() -> None:
    depth = 5_000
    groups = [Group(f"g{i}", (GroupMember(f"g{i + 1}"),)) for i in range(depth)]
    groups.append(Group(f"g{depth}", pm("ann")))
    ann = person("ann", number(1))
    d = make_directory([ann], groups)
    assert oncall(d, "g0", AT) == [entry(ann)]


def test_rotation_member_contributes_person_on_shift() -> None:
    people = [person(n, number(i)) for i, n in enumerate(["ann", "bo", "cy"])]
    rota = Rotation("rota", ("ann", "bo"), date(2024, 6, 3), shift_unit=ShiftUnit.DAYS)
    members = (PersonMember("cy"), RotationMember("rota"))
    d = make_directory(people, [Group("ops", members)], [rota])
    assert names(oncall(d, "ops", datetime(2024, 6, 3, 9, 0, tzinfo=UTC))) == ["cy", "ann"]
    assert names(oncall(d, "ops", datetime(2024, 6, 4, 9, 0, tzinfo=UTC))) == ["cy", "bo"]
    # before the first hand-off nobody is on shift
    assert names(oncall(d, "ops", datetime(2024, 6, 3, 8, 59, tzinfo=UTC))) == ["cy"]


def test_rotation_participant_absence_is_honoured() -> None:
    people = [person(n, number(i)) for i, n in enumerate(["ann", "bo", "sub"])]
    rota = Rotation("rota", ("ann", "bo"), date(2024, 6, 3), shift_unit=ShiftUnit.DAYS)
    at = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)
    d = make_directory(
        people, [Group("ops", (RotationMember("rota"),))], [rota], [away("ann", "sub", at)]
    )
    assert names(oncall(d, "ops", at)) == ["sub"]


def test_unknown_rotation_and_unknown_participant_are_dropped() -> None:
    rota = Rotation("rota", ("ghost",), date(2024, 1, 1))
    members = (RotationMember("rota"), RotationMember("missing"))
    d = make_directory([], [Group("ops", members)], [rota])
    assert oncall(d, "ops", AT) == []


# --- random directories ---------------------------------------------------------------

PEOPLE = [f"p{i}" for i in range(8)]
GROUPS = [f"g{i}" for i in range(5)]
ROTATIONS = ["r0", "r1"]
NUMBERS = [number(i) for i in range(10)]  # a small pool, so numbers collide
ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Sydney"]
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2024, 12, 31), timezones=st.just(UTC)
)

PERSON_NAMES = [*PEOPLE, "ghost"]  # "ghost" and the other *_NAMES extras dangle
person_names = st.sampled_from(PERSON_NAMES)

# Every member the random groups may hold, drawn in one step (people twice as likely).
MEMBERS: list[Member] = [
    *(PersonMember(n) for n in PERSON_NAMES * 2),
    *(GroupMember(g) for g in [*GROUPS, "nowhere"]),
    *(PhoneMember(n, label) for n in NUMBERS[:5] for label in (None, "Pager")),
    *(RotationMember(r) for r in [*ROTATIONS, "missing"]),
]
members = st.sampled_from(MEMBERS)
PHONES = [Phone(n, voice, sms) for n in NUMBERS for voice in (True, False) for sms in (True, False)]
PHONES += [p for p in PHONES if p.voice]  # voice phones twice as likely


@st.composite
def people_strategy(draw: st.DrawFn, name: str) -> Person:
    phones = draw(st.lists(st.sampled_from(PHONES), max_size=3, unique_by=lambda p: p.number))
    return Person(
        name,
        tuple(phones),
        spoken_name=draw(st.sampled_from([None, f"{name} spoken"])),
        active=draw(st.sampled_from([True, True, False])),
    )


OFFSETS = [timedelta(hours=h) for h in range(-72, 49, 6)]
LENGTHS = [timedelta(hours=h) for h in (1, 6, 24, 72)]


@st.composite
def absences_strategy(draw: st.DrawFn, name: str, around: datetime) -> list[Absence]:
    result = []
    for _ in range(draw(st.integers(0, 2))):
        starts_at = around + draw(st.sampled_from(OFFSETS))
        ends_at = starts_at + draw(st.sampled_from(LENGTHS))
        replacement = draw(st.sampled_from([None, *PERSON_NAMES]))
        result.append(Absence(name, starts_at, ends_at, replacement))
    return result


@st.composite
def directories(draw: st.DrawFn) -> tuple[Directory, datetime]:
    at = draw(INSTANTS)
    defined = draw(st.lists(st.sampled_from(PEOPLE), min_size=3, unique=True))
    people = [draw(people_strategy(n)) for n in defined]
    groups = [
        Group(g, tuple(draw(st.lists(members, max_size=6))))
        for g in draw(st.lists(st.sampled_from(GROUPS), min_size=1, unique=True))
    ]
    rotations = [
        Rotation(
            r,
            tuple(draw(st.lists(person_names, max_size=4))),
            start=(at - timedelta(days=draw(st.integers(-3, 40)))).date(),
            shift_length=draw(st.integers(1, 3)),
            shift_unit=draw(st.sampled_from(ShiftUnit)),
            timezone=draw(st.sampled_from(ZONES)),
        )
        for r in draw(st.lists(st.sampled_from(ROTATIONS), unique=True))
    ]
    absences = [
        a for n in draw(st.lists(person_names, max_size=5)) for a in draw(absences_strategy(n, at))
    ]
    return make_directory(people, groups, rotations, absences), at


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Directory, str, datetime]:
    d, at = draw(directories())
    return d, draw(st.sampled_from(sorted(d.groups))), at


def is_away(d: Directory, name: str, at: datetime) -> bool:
    return any(a.covers(at) for a in d.absences.get(name, ()))


def all_phone_members(groups: Mapping[str, Group]) -> set[tuple[str, str | None]]:
    return {
        (m.number, m.label)
        for g in groups.values()
        for m in g.members
        if isinstance(m, PhoneMember)
    }


@PROPERTY
@given(directories())
def test_never_crashes_and_terminates(case: tuple[Directory, datetime]) -> None:
    """(a) Any nesting, including cycles, self-references and dangling names."""
    d, at = case
    for g in d.groups:
        result = oncall(d, g, at)
        assert isinstance(result, list)
        assert all(isinstance(e, OnCall) for e in result)


@PROPERTY
@given(scenario())
def test_no_duplicates(case: tuple[Directory, str, datetime]) -> None:
    """(b) No person twice and no phone number twice."""
    d, g, at = case
    result = oncall(d, g, at)
    people = [e.person for e in result if e.person is not None]
    assert len(people) == len(set(people))
    phones = [e.phone for e in result]
    assert len(phones) == len(set(phones))


@PROPERTY
@given(scenario())
def test_absent_people_never_returned(case: tuple[Directory, str, datetime]) -> None:
    """(c) Nobody whose absence covers ``at`` is returned."""
    d, g, at = case
    for e in oncall(d, g, at):
        if e.person is not None:
            assert not is_away(d, e.person, at)


@PROPERTY
@given(scenario())
def test_only_active_voice_capable_people(case: tuple[Directory, str, datetime]) -> None:
    """(f) Inactive people and people without a voice number never appear.

    Every entry is either a known, active person called on their voice number, or a bare
    phone line of some group.
    """
    d, g, at = case
    bare = all_phone_members(d.groups)
    for e in oncall(d, g, at):
        if e.person is None:
            label = None if e.name == e.phone else e.name
            assert (e.phone, label) in bare
            assert e.spoken_name == e.name
        else:
            p = d.people[e.person]
            assert p.active
            voice = [ph.number for ph in p.phones if ph.voice]
            assert voice, f"{p.name} has no voice phone"
            assert e == OnCall(p.name, voice[0], p.spoken_name or p.name, p.name)


@PROPERTY
@given(scenario(), st.data())
def test_absent_person_is_replaced_at_their_position(
    case: tuple[Directory, str, datetime], data: st.DataObject
) -> None:
    """(d) Make a listed person absent with a reachable replacement (possibly via a chain).

    A replacement not listed earlier takes the absentee's position; one already listed
    earlier is not repeated. The entries before that position do not change.
    """
    d, g, at = case
    # make sure somebody is listed: a fresh person somewhere in the group itself
    root = d.groups[g]
    k = data.draw(st.integers(0, len(root.members)), label="anchor position")
    anchored = Group(g, (*root.members[:k], PersonMember("anchor"), *root.members[k:]))
    d = replace(
        d,
        people={**d.people, "anchor": person("anchor", "+19990000099")},
        groups={**d.groups, g: anchored},
    )
    before = oncall(d, g, at)
    listed = [i for i, e in enumerate(before) if e.person is not None]
    assert listed
    i = data.draw(st.sampled_from(listed), label="absentee index")
    absentee = before[i].person
    assert absentee is not None
    earlier = [e.person for e in before[:i] if e.person is not None]
    use_earlier = bool(earlier) and data.draw(st.booleans(), label="replace by earlier entry")

    people = dict(d.people)
    absences = {k: list(v) for k, v in d.absences.items()}
    if use_earlier:
        final = people[data.draw(st.sampled_from(earlier), label="replacement")]
        chain = [final.name]
    else:
        # a chain of fresh people, every one but the last away too
        length = data.draw(st.integers(1, 3), label="chain length")
        chain = [f"sub{k}" for k in range(length)]
        for k, name in enumerate(chain):
            people[name] = person(name, f"+1999000000{k}")
        for name, nxt in pairwise(chain):
            absences.setdefault(name, []).append(away(name, nxt, at))
        final = people[chain[-1]]
    absences.setdefault(absentee, []).append(away(absentee, chain[0], at))
    changed = replace(d, people=people, absences=absences)

    after = oncall(changed, g, at)
    assert after[:i] == before[:i]
    assert absentee not in [e.person for e in after]
    if use_earlier:
        rest = after[i:]
        assert [e.person for e in after].count(final.name) == 1
    else:
        assert after[i] == entry(final)
        rest = after[i + 1 :]
    # later entries keep their order; the only newcomers share the absentee's old number,
    # which is no longer taken
    old_number = before[i].phone
    remaining = iter(rest)
    for e in before[i + 1 :]:
        assert any(x == e for x in remaining), f"{e} missing or out of order"
    assert {e.phone for e in rest} - {e.phone for e in before} <= {old_number}


@st.composite
def flat_case(draw: st.DrawFn) -> tuple[Directory, list[Person]]:
    count = draw(st.integers(0, 12))
    order = draw(st.permutations(range(count)))
    people = [
        Person(
            f"p{k}",
            (Phone(number(k), voice=draw(st.booleans() | st.just(True))),),
            active=draw(st.booleans() | st.just(True)),
        )
        for k in order
    ]
    group = Group("flat", pm(*(p.name for p in people)))
    return make_directory(people, [group]), people


@PROPERTY
@given(flat_case())
def test_flat_group_order_is_member_order(case: tuple[Directory, list[Person]]) -> None:
    """(e) Distinct present people: the member order filtered to the reachable ones."""
    d, people = case
    expected = [entry(p) for p in people if p.active and p.voice_number is not None]
    assert oncall(d, "flat", AT) == expected


Tree = str | list["Tree"]

trees = st.recursive(st.just("person"), lambda kids: st.lists(kids, max_size=4), max_leaves=25)


def build_tree(tree: Tree, groups: list[Group], order: list[str], shared: list[str]) -> Member:
    """Turn a nested list into groups; ``order`` receives person names depth first."""
    if isinstance(tree, str):
        name = f"p{len(order)}"
        order.append(name)
        return PersonMember(name)
    name = f"g{len(groups)}"
    groups.append(Group(name))  # placeholder, members filled below
    index = len(groups) - 1
    kids = [build_tree(t, groups, order, shared) for t in tree]
    # occasionally refer again to a group already expanded: it adds nothing new
    kids.extend(GroupMember(s) for s in shared[:1])
    groups[index] = Group(name, tuple(kids))
    shared.append(name)
    return GroupMember(name)


@PROPERTY
@given(trees.filter(lambda t: isinstance(t, list)), st.booleans())
def test_random_trees_expand_in_place_depth_first(tree: Tree, revisit: bool) -> None:
    """(e) Nested groups are expanded in place, depth first; a repeat visit adds nothing."""
    groups: list[Group] = []
    order: list[str] = []
    shared: list[str] = []
    build_tree(tree, groups, order, shared if revisit else [])
    people = [person(n, number(k)) for k, n in enumerate(order)]
    d = make_directory(people, groups)
    assert oncall(d, "g0", AT) == [entry(p) for p in people]


@PROPERTY
@given(directories())
def test_empty_group_is_always_empty(case: tuple[Directory, datetime]) -> None:
    """(g) An empty group gives [] whatever else is in the directory."""
    d, at = case
    groups = {**d.groups, "empty": Group("empty")}
    assert oncall(replace(d, groups=groups), "empty", at) == []


def model(d: Directory, group: str, at: datetime) -> list[OnCall]:
    """A straightforward recursive reading of the ``oncall`` docstring."""
    out: list[OnCall] = []
    people: set[str] = set()
    numbers: set[str] = set()
    expanded = {group}

    def answer(name: str | None, visited: frozenset[str] = frozenset()) -> Person | None:
        if name is None or name in visited:
            return None
        p = d.people.get(name)
        if p is None or not p.active:
            return None
        covering = [a for a in d.absences.get(name, ()) if a.covers(at)]
        if not covering:
            return p
        substitutes = [a.replacement for a in covering if a.replacement is not None]
        return answer(substitutes[0] if substitutes else None, visited | {name})

    def emit(e: OnCall) -> None:
        if e.phone not in numbers and e.person not in people:
            numbers.add(e.phone)
            if e.person is not None:
                people.add(e.person)
            out.append(e)

    def visit(ms: Sequence[Member]) -> None:
        for m in ms:
            if isinstance(m, GroupMember):
                if m.group in d.groups and m.group not in expanded:
                    expanded.add(m.group)
                    visit(d.groups[m.group].members)
            elif isinstance(m, PhoneMember):
                label = m.label or m.number
                emit(OnCall(label, m.number, label))
            else:
                if isinstance(m, PersonMember):
                    name: str | None = m.person
                else:
                    rota = d.rotations.get(m.rotation)
                    name = rota.on_shift(at) if rota else None
                p = answer(name)
                if p is not None and p.voice_number is not None:
                    emit(entry(p))

    visit(d.groups[group].members)
    return out


@PROPERTY
@given(scenario())
def test_agrees_with_recursive_model(case: tuple[Directory, str, datetime]) -> None:
    d, g, at = case
    assert oncall(d, g, at) == model(d, g, at)
