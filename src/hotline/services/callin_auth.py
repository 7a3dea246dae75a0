"""Who may use the call-in hotline: caller ID normalisation, the STIR/SHAKEN gate, the
per-caller rate limit, directory match, group membership and PIN checks.

The verdict is an :class:`~hotline.domain.hotline_menu.Access`; the conversation machine
decides what the caller hears. Gate refusals are logged here with the reason; the caller's
number is logged, never their PIN.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from hotline.domain import hotline_menu as hm
from hotline.domain.directory import Group, GroupMember, Person, PersonMember, RotationMember
from hotline.domain.errors import Invalid
from hotline.ports import CallRecord, UnitOfWork
from hotline.services import phones
from hotline.services.callin_config import HotlineConfig
from hotline.services.pins import verify_pin

log = logging.getLogger("hotline.callin")

WITHHELD = frozenset({"", "anonymous", "restricted", "unknown", "private", "+266696687"})
WITHHELD_KEY = "withheld"  # withheld callers share one rate-limit count under this name
# Full attestation (A: the carrier knows the caller and their right to the number) or partial
# (B: the carrier knows the caller, not the number). C, failed validation, no validation or
# no StirVerstat at all do not pass the gate.
ATTESTED = frozenset({"tn-validation-passed-a", "tn-validation-passed-b"})


def attested(verstat: str | None) -> bool:
    """True if Twilio's ``StirVerstat`` says the caller ID was signed with attestation A or B."""
    return verstat is not None and verstat.strip().lower() in ATTESTED


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
        self,
        uow: UnitOfWork,
        caller: str | None,
        *,
        now: datetime,
        verstat: str | None = None,
    ) -> tuple[Person | None, hm.Access]:
        """The verdict for a new call from ``caller`` (E.164, or None when withheld).

        The gates come first: without STIR/SHAKEN attestation A or B (``verstat``, when
        :attr:`HotlineConfig.require_stir_shaken`) or over the per-caller rate limit (counted
        from the stored conversations, so every replica sees the same count) the call is
        refused whoever the caller is. Call this before storing the new conversation.
        """
        config = self.config
        key = caller or WITHHELD_KEY
        if config.require_stir_shaken and not attested(verstat):
            log.warning(
                "call-in from %s refused: caller ID not attested (StirVerstat %s)",
                key,
                _printable(verstat),
            )
            return None, hm.Access.UNATTESTED
        if config.rate_limit > 0:
            recent = await uow.conversations.count_from(key, now - config.rate_window)
            if recent >= config.rate_limit:
                log.warning(
                    "call-in from %s refused: rate limit (%d calls in the last %s)",
                    key,
                    recent,
                    config.rate_window,
                )
                return None, hm.Access.RATE_LIMITED
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
    people = await uow.directory.people_with_voice_number(number)
    return next((person for person in people if person.active), None)


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


def _printable(value: str | None, limit: int = 40) -> str:
    """A carrier-supplied value fit for a log line: bounded, no control characters."""
    if value is None:
        return "absent"
    return repr("".join(c for c in value[:limit] if c.isprintable()))
