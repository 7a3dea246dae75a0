"""Who a new incident pages: the policy it uses and its tiers resolved to people, once."""

from __future__ import annotations

from datetime import datetime

from hotline.domain import ladder as lad
from hotline.domain.directory import EscalationPolicy
from hotline.domain.errors import Invalid
from hotline.domain.oncall import oncall
from hotline.ports import UnitOfWork
from hotline.services.inputs import IncidentIn


async def choose_policy(uow: UnitOfWork, data: IncidentIn) -> EscalationPolicy:
    """The incident's policy; a group alone pages as a one-tier policy with defaults."""
    if data.group:
        if not await uow.directory.group_labels([data.group]):
            raise Invalid(f"no group named {data.group!r}", field="group")
        return EscalationPolicy(name=f"group {data.group}", tiers=(data.group,))
    name = data.policy or "default"
    policy = await uow.directory.get_policy(name)
    if policy is None:
        if data.policy:
            raise Invalid(f"no escalation policy named {name!r}", field="policy")
        raise Invalid(
            "give a group or a policy: there is no policy named 'default'", field="policy"
        )
    return policy


async def snapshot_tiers(
    uow: UnitOfWork, policy: EscalationPolicy, now: datetime
) -> tuple[lad.Tier, ...]:
    """The policy's tiers resolved to people at this instant (never re-read later)."""
    directory = await uow.directory.load_for_oncall(list(policy.tiers), now)
    tiers = []
    for group in policy.tiers:
        targets = []
        for entry in oncall(directory, group, now):
            person = directory.people.get(entry.person) if entry.person else None
            targets.append(
                lad.Target(
                    name=entry.name,
                    phone=entry.phone,
                    say_name=entry.spoken_name,
                    person=entry.person,
                    email=person.email if person else None,
                    sms=tuple(person.sms_numbers) if person else (),
                    servicenow_user_id=person.servicenow_user_id if person else None,
                )
            )
        tiers.append(lad.Tier(group, tuple(targets)))
    return tuple(tiers)
