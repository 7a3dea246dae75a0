"""On-call resolution: who do we phone for a group, in which order, at a given instant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from hotline.domain.directory import (
    Directory,
    GroupMember,
    Member,
    Person,
    PersonMember,
    PhoneMember,
    RotationMember,
)
from hotline.domain.errors import Invalid, NotFound


@dataclass(frozen=True, slots=True)
class OnCall:
    """One reachable entry: a person with a voice number, or a bare phone line."""

    name: str
    phone: str
    spoken_name: str
    person: str | None = None


def oncall(directory: Directory, group: str, at: datetime) -> list[OnCall]:
    """Ordered, duplicate-free list of reachable people for ``group`` at instant ``at``.

    - Nested groups are expanded in place, depth first, keeping member order.
      A group already expanded once adds nothing new, so it is skipped: this makes the
      walk linear in the size of the expanded group and terminates even on a cycle.
    - A rotation contributes the participant on shift at ``at``.
    - An absent person is replaced at the same position by their replacement (whose own
      absence is honoured in turn), or dropped when there is none.
    - Inactive people, unknown names, people without a voice number and duplicates (same
      person or same number; the first occurrence wins) are dropped.
    """
    if at.tzinfo is None:
        raise Invalid("the instant must include a UTC offset", field="at")
    root = directory.groups.get(group)
    if root is None:
        raise NotFound(f"no group named {group!r}")

    result: list[OnCall] = []
    seen_people: set[str] = set()
    seen_numbers: set[str] = set()

    def add(entry: OnCall) -> None:
        if entry.phone in seen_numbers or (
            entry.person is not None and entry.person in seen_people
        ):
            return
        seen_numbers.add(entry.phone)
        if entry.person is not None:
            seen_people.add(entry.person)
        result.append(entry)

    for member in _walk(directory, root.members, root.name):
        if isinstance(member, PhoneMember):
            add(OnCall(member.label or member.number, member.number, member.label or member.number))
            continue
        if isinstance(member, RotationMember):
            rotation = directory.rotations.get(member.rotation)
            name = rotation.on_shift(at) if rotation else None
        else:
            name = member.person
        person = _present(directory, name, at) if name is not None else None
        if person is not None and (number := person.voice_number) is not None:
            add(OnCall(person.name, number, person.say_name, person.name))
    return result


def _walk(
    directory: Directory, members: tuple[Member, ...], root: str
) -> Iterator[PersonMember | PhoneMember | RotationMember]:
    """Yield the non-group members in depth-first order, each nested group expanded once."""
    expanded = {root}
    stack = [iter(members)]
    while stack:
        member = next(stack[-1], None)
        if member is None:
            stack.pop()
        elif isinstance(member, GroupMember):
            nested = directory.groups.get(member.group)
            if nested is not None and nested.name not in expanded:
                expanded.add(nested.name)
                stack.append(iter(nested.members))
        else:
            yield member


def _present(directory: Directory, name: str, at: datetime) -> Person | None:
    """The active person who answers for ``name`` at ``at``, following replacements."""
    visited: set[str] = set()
    current: str | None = name
    while current is not None and current not in visited:
        visited.add(current)
        person = directory.people.get(current)
        if person is None or not person.active:
            return None
        away = [a for a in directory.absences.get(current, ()) if a.covers(at)]
        if not away:
            return person
        current = next((a.replacement for a in away if a.replacement is not None), None)
    return None
