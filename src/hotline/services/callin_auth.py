"""Who may use the call-in hotline: caller ID normalisation, directory match, group
membership and PIN checks.

The verdict is an :class:`~hotline.domain.hotline_menu.Access`; the conversation machine
decides what the caller hears.
"""

from __future__ import annotations

from typing import Any

from hotline.domain import hotline_menu as hm
from hotline.domain.directory import Group, GroupMember, Person, PersonMember, RotationMember
from hotline.domain.errors import Invalid
from hotline.ports import CallRecord, UnitOfWork
from hotline.services import phones
from hotline.services.callin_config import HotlineConfig
from hotline.services.pins import verify_pin

WITHHELD = frozenset({"", "anonymous", "restricted", "unknown", "private", "+266696687"})


class CallerAuth:
    def __init__(self, config: HotlineConfig) -> None:
        self.config = config

    def normalise(self, raw: str) -> str | None:
        """The caller's number in E.164, or None when withheld or unusable."""
        if raw.strip().lower() in WITHHELD:
            return None
        try:
            return phones.normalise(raw, self.config.region, field="From")
        except Invalid:
            return None

    async def authorise(
        self, uow: UnitOfWork, caller: str | None
    ) -> tuple[Person | None, hm.Access]:
        config = self.config
        if caller is None:
            ask = config.withheld == "ask"
            return None, hm.Access.NEEDS_NUMBER_AND_PIN if ask else hm.Access.REFUSED
        person = await person_by_number(uow, caller)
        if config.callers == "everyone":
            if config.require_pin and person is not None and person.pin_hash:
                return person, hm.Access.NEEDS_PIN
            return person, hm.Access.AUTHORISED
        if person is None or not await self.allowed(uow, person):
            return person, hm.Access.REFUSED
        if config.require_pin:
            access = hm.Access.NEEDS_PIN if person.pin_hash else hm.Access.REFUSED
            return person, access
        return person, hm.Access.AUTHORISED

    async def allowed(self, uow: UnitOfWork, person: Person) -> bool:
        if self.config.callers != "groups":
            return True
        groups = {g.name: g for g in await uow.directory.list_groups()}
        rotations = {r.name: r for r in await uow.directory.list_rotations()}
        return any(
            _member(groups, rotations, name, person.name, set())
            for name in self.config.caller_groups
        )

    async def check_pin(self, uow: UnitOfWork, record: CallRecord, command: hm.VerifyPin) -> bool:
        """Check the PIN; a keyed-in number that matches an allowed person becomes the caller."""
        person: Person | None = None
        if command.number is not None:
            number = self.normalise(command.number)
            person = await person_by_number(uow, number) if number else None
            if person is not None and await self.allowed(uow, person):
                record.person, record.caller = person.name, number or record.caller
            else:
                person = None
        elif record.person is not None:
            person = await uow.directory.get_person(record.person)
        if person is None or not person.pin_hash:
            return False
        return verify_pin(person.pin_hash, command.pin)


async def person_by_number(uow: UnitOfWork, number: str) -> Person | None:
    """The active person with ``number`` among their voice numbers (any of them)."""
    for person in await uow.directory.list_people():
        if person.active and any(p.voice and p.number == number for p in person.phones):
            return person
    return None


def _member(
    groups: dict[str, Group], rotations: dict[str, Any], group: str, person: str, seen: set[str]
) -> bool:
    if group in seen or group not in groups:
        return False
    seen.add(group)
    for m in groups[group].members:
        if isinstance(m, PersonMember) and m.person == person:
            return True
        rotation = rotations.get(m.rotation) if isinstance(m, RotationMember) else None
        if rotation is not None and person in rotation.participants:
            return True
        if isinstance(m, GroupMember) and _member(groups, rotations, m.group, person, seen):
            return True
    return False
