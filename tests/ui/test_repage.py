"""Page again (``hotline.services.repage``) on SQLite and PostgreSQL: an unanswered incident
starts a fresh ladder with whoever is on call now, numbering its calls on from the last one;
any other status is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.bootstrap import Container
from hotline.domain.errors import Conflict, NotFound
from hotline.domain.incidents import IncidentStatus
from hotline.services.inputs import AbsenceIn, GroupIn, IncidentIn, PersonIn, PolicyIn
from hotline.services.repage import page_again

ANN, BOB = "+12025550111", "+12025550112"


async def unanswered(container: Container) -> int:
    """An incident whose only call (to Ann) went unanswered; its id."""
    svc = container.directory
    for name, number in (("Ann", ANN), ("Bob", BOB)):
        await svc.create_person(PersonIn(name=name, phones=[{"number": number, "voice": True}]))
    await svc.create_group(GroupIn(name="ops", members=[{"person": "Ann"}]))
    await svc.create_policy(PolicyIn(name="default", tiers=["ops"], rounds=1))
    incident, _ = await container.paging.open(IncidentIn(title="Disk full", severity=2))
    assert incident.id is not None
    _, _, [attempt] = await container.paging.get(incident.id)
    await container.page_calls.status(attempt.token, {"CallStatus": "no-answer"})
    again, _, _ = await container.paging.get(incident.id)
    assert again.status is IncidentStatus.UNANSWERED
    return incident.id


async def test_page_again_calls_whoever_is_on_call_now(container: Container) -> None:
    incident_id = await unanswered(container)
    now = container.clock.now()
    await container.directory.create_absence(
        AbsenceIn(person="Ann", starts_at=now, ends_at=now + timedelta(days=1), replacement="Bob")
    )
    paged = await page_again(container.paging, incident_id, "alice")
    assert paged.status is IncidentStatus.PAGING
    incident, timeline, attempts = await container.paging.get(incident_id)
    assert incident.status is IncidentStatus.PAGING
    assert [(a.number, a.name, a.phone) for a in attempts] == [(1, "Ann", ANN), (2, "Bob", BOB)]
    repage = [e for e in timeline if e.kind == "repage"]
    assert [e.detail for e in repage] == ["Paged again by alice."]
    async with container.paging.unit_of_work(read_only=True) as uow:
        jobs = await uow.jobs.status_of(incident_id)
    assert [kind for kind, *_ in jobs].count("place_call") == 2


async def test_only_an_unanswered_incident_can_be_paged_again(container: Container) -> None:
    incident_id = await unanswered(container)
    await page_again(container.paging, incident_id, "alice")
    with pytest.raises(Conflict, match="only an unanswered incident"):
        await page_again(container.paging, incident_id, "alice")
    await container.paging.resolve(incident_id, "alice")
    with pytest.raises(Conflict):
        await page_again(container.paging, incident_id, "alice")
    with pytest.raises(NotFound):
        await page_again(container.paging, incident_id + 100, "alice")
    _, _, attempts = await container.paging.get(incident_id)
    assert len(attempts) == 2  # the refusals placed no calls
