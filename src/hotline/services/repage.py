"""Page again: an incident nobody accepted starts a fresh ladder with whoever is on call now.

Same pattern as every paging change: load (locked), check the lifecycle allows it, resolve
the policy's tiers at this instant, feed ``Start`` to a new ladder and apply the decision
(attempts, timeline, ``place_call`` jobs) in one transaction. Attempt numbers carry on from
the previous ladder so every call of the incident keeps a distinct number.
"""

from __future__ import annotations

from datetime import datetime

from hotline.domain import ladder as lad
from hotline.domain.errors import Conflict, NotFound
from hotline.domain.incident import Incident
from hotline.domain.incidents import IncidentStatus, check_transition
from hotline.ports import UnitOfWork
from hotline.services.inputs import IncidentIn
from hotline.services.paging import PagingService
from hotline.services.paging_plan import choose_policy, snapshot_tiers


async def page_again(paging: PagingService, incident_id: int, by: str) -> Incident:
    """Restart paging of an ``unanswered`` incident; ``Conflict`` in any other status."""

    async def work(uow: UnitOfWork, now: datetime) -> Incident:
        incident = await uow.incidents.get(incident_id, for_update=True)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        if incident.status is not IncidentStatus.UNANSWERED:
            raise Conflict(f"only an unanswered incident can be paged again, not {incident.status}")
        check_transition(incident.status, IncidentStatus.PAGING)
        policy = await choose_policy(
            uow,
            IncidentIn(
                title=incident.title,
                severity=incident.severity,
                group=incident.group,
                policy=None if incident.group else incident.policy,
            ),
        )
        tiers = await snapshot_tiers(uow, policy, now)
        previous = incident.ladder.attempt if incident.ladder else 0
        ladder = lad.Ladder(
            tiers, policy.ring_timeout, policy.rounds, policy.round_delay, attempt=previous
        )
        await paging.record(uow, incident, now, "repage", f"Paged again by {by}.", by=by)
        await paging.apply(uow, incident, lad.decide(ladder, lad.Start(), now), now)  # saves
        return incident

    return await paging.transact(work)
