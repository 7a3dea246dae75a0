"""Benchmark of the on-call resolver ``hotline.domain.oncall.oncall``.

Builds directories of 100 to 100,000 people whose root group expands to everybody through
nested groups (depth up to 5), with rotations, absences with replacements and duplicates,
and times ``oncall()`` on the root group against a cost floor: a plain loop over the same
flat member list that builds a list of tuples.

    .venv/bin/python bench/oncall.py           # 100, 1,000, 10,000 and 100,000 people
    .venv/bin/python bench/oncall.py --quick   # 100 and 1,000 only
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

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
from hotline.domain.oncall import oncall

AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
TEAM_SIZE = 10  # people per leaf group
MAX_DEPTH = 5  # group levels, root included
REPEATS = {100: 200, 1_000: 50, 10_000: 21, 100_000: 7}
HEADER = (
    f"{'people':>8} {'expanded':>9} {'returned':>9} {'median ms':>10} {'us/member':>10} "
    f"{'growth':>7} {'floor ms':>9} {'x floor':>8}"
)


def phone(i: int) -> str:
    return f"+1555{i:07d}"


def build(people_count: int, seed: int = 1) -> Directory:
    """A directory whose group ``root`` expands to all ``people_count`` people."""
    rng = random.Random(seed)
    names = [f"person-{i}" for i in range(people_count)]
    people: dict[str, Person] = {}
    for i, name in enumerate(names):
        phones = [Phone(phone(i))]
        if i % 7 == 0:  # an sms-only phone first: voice number is the second one
            phones.insert(0, Phone(phone(people_count + i), voice=False, sms=True))
        people[name] = Person(name, tuple(phones), active=i % 97 != 0)

    # leaf teams: ten people each, plus duplicates, a rotation now and then, a pager line
    rotations: dict[str, Rotation] = {}
    groups: dict[str, Group] = {}
    level: list[str] = []
    for t, first in enumerate(range(0, people_count, TEAM_SIZE)):
        team = names[first : first + TEAM_SIZE]
        members: list[Member] = [PersonMember(n) for n in team]
        members.append(PersonMember(rng.choice(names)))  # somebody from anywhere: a duplicate
        members.append(PersonMember(team[0]))  # the same person twice in one group
        if t % 5 == 0:
            rota = f"rota-{t}"
            rotations[rota] = Rotation(
                rota, tuple(team[:5]), date(2024, 1, 1), shift_unit=ShiftUnit.DAYS
            )
            members.insert(1, RotationMember(rota))
        if t % 10 == 0:
            members.append(PhoneMember(phone(3 * people_count + t), f"pager {t}"))
        name = f"team-{t}"
        groups[name] = Group(name, tuple(members))
        level.append(name)

    # parents with a fan-out that keeps the whole tree within MAX_DEPTH levels
    fan_out = max(2, math.ceil(len(level) ** (1 / (MAX_DEPTH - 1))))
    depth = 1
    while len(level) > 1 or depth == 1:
        depth += 1
        parents: list[str] = []
        for p, first in enumerate(range(0, len(level), fan_out)):
            kids: list[Member] = [GroupMember(k) for k in level[first : first + fan_out]]
            if p > 0:  # diamond: the previous parent's first child again, already expanded
                kids.append(GroupMember(level[first - fan_out]))
            name = f"level{depth}-{p}"
            groups[name] = Group(name, tuple(kids))
            parents.append(name)
        level = parents
    groups["root"] = Group("root", groups.pop(level[0]).members)
    assert depth <= MAX_DEPTH, depth

    # absences: 2% away with a replacement (sometimes a chain), 1% away without
    absences: dict[str, list[Absence]] = {}
    start, end = AT - timedelta(days=1), AT + timedelta(days=1)
    for name in rng.sample(names, people_count * 3 // 100):
        replacement = rng.choice(names) if len(absences) % 3 else None
        if replacement == name:
            replacement = None
        absences[name] = [Absence(name, start, end, replacement)]
    return Directory(people, groups, rotations, absences)


def flatten(directory: Directory, group: str) -> list[Member]:
    """The non-group members of ``group``, depth first, each nested group expanded once."""
    out: list[Member] = []
    expanded = {group}
    stack = [iter(directory.groups[group].members)]
    while stack:
        member = next(stack[-1], None)
        if member is None:
            stack.pop()
        elif isinstance(member, GroupMember):
            if member.group not in expanded:
                expanded.add(member.group)
                stack.append(iter(directory.groups[member.group].members))
        else:
            out.append(member)
    return out


def floor_loop(directory: Directory, flat: list[Member]) -> list[tuple[str, str]]:
    """The cost floor: one pass over the flat members, one tuple each."""
    people = directory.people
    out: list[tuple[str, str]] = []
    for member in flat:
        if isinstance(member, PersonMember):
            person = people[member.person]
            out.append((person.name, person.phones[0].number))
        elif isinstance(member, PhoneMember):
            out.append((member.label or member.number, member.number))
        elif isinstance(member, RotationMember):
            out.append((member.rotation, ""))
    return out


def median_ms(func: Callable[[], object], repeats: int) -> float:
    """Median wall time in ms; the garbage collector is off while timing, as in ``timeit``."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            began = time.perf_counter()
            func()
            times.append(time.perf_counter() - began)
    finally:
        gc.enable()
    return statistics.median(times) * 1000


@dataclass
class Row:
    people: int
    expanded: int
    returned: int
    ms: float
    floor_ms: float


def measure(people_count: int) -> Row:
    directory = build(people_count)
    flat = flatten(directory, "root")
    repeats = REPEATS.get(people_count, 3)
    returned = len(oncall(directory, "root", AT))  # also warms up
    ms = median_ms(lambda: oncall(directory, "root", AT), repeats)
    floor_ms = median_ms(lambda: floor_loop(directory, flat), repeats)
    return Row(people_count, len(flat), returned, ms, floor_ms)


def hundred_member_group() -> tuple[int, float]:
    """Median ms for a nested group that expands to exactly 100 members."""
    directory = build(1_000)
    groups = dict(directory.groups)
    # 10 teams of 10, no duplicates or rotations: two levels below the root
    teams = []
    for t in range(10):
        team = [PersonMember(f"person-{10 * t + i}") for i in range(10)]
        groups[f"hundred-{t}"] = Group(f"hundred-{t}", tuple(team))
        teams.append(GroupMember(f"hundred-{t}"))
    groups["hundred"] = Group("hundred", tuple(teams))
    directory = Directory(directory.people, groups, directory.rotations, directory.absences)
    size = len(flatten(directory, "hundred"))
    oncall(directory, "hundred", AT)
    return size, median_ms(lambda: oncall(directory, "hundred", AT), 500)


def exponent(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(time) against log(size): 1 is linear, 2 quadratic."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="only 100 and 1,000 people")
    args = parser.parse_args(argv)
    sizes = [100, 1_000] if args.quick else [100, 1_000, 10_000, 100_000]

    print(
        f"oncall() on the root group at {AT.isoformat()}, Python {sys.version.split()[0]}, "
        "median of several runs, garbage collector off while timing"
    )
    print(HEADER)
    rows: list[Row] = []
    for size in sizes:
        row = measure(size)
        growth = f"{row.ms / rows[-1].ms:6.1f}x" if rows else f"{'-':>7}"
        per_member = row.ms * 1000 / row.expanded
        print(
            f"{row.people:>8,} {row.expanded:>9,} {row.returned:>9,} {row.ms:>10.3f} "
            f"{per_member:>10.3f} {growth:>7} {row.floor_ms:>9.3f} "
            f"{row.ms / row.floor_ms:>7.1f}x",
            flush=True,
        )
        rows.append(row)

    size, ms = hundred_member_group()
    verdict = "met" if ms < 1.0 else "MISSED"
    print(f"{size}-member expanded group: median {ms:.3f} ms (target < 1 ms: {verdict})")

    big = [r for r in rows if r.expanded >= 1_000]
    if len(big) >= 2:
        slope = exponent([(r.expanded, r.ms) for r in big])
        floor_slope = exponent([(r.expanded, r.floor_ms) for r in big])
        linear = slope <= 1.3 or slope <= floor_slope + 0.1
        print(
            f"growth: time ~ n^{slope:.2f} over {big[0].expanded:,}-{big[-1].expanded:,} members "
            f"(floor loop ~ n^{floor_slope:.2f}): "
            f"{'roughly linear' if linear else 'NOT roughly linear'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
