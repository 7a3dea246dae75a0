"""Read models for the dashboard's incident pages, built from the paging service's data.

Nothing here writes: the incident, its timeline and attempts come from
:meth:`PagingService.get`; the ServiceNow sync state of each note is the state of the
incident's ``ticket_update`` jobs in the outbox; a call-in recording and its transcript are
the lines the hotline wrote into the incident's description.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hotline.domain.incident import Attempt, Incident, TimelineEvent
from hotline.services.callin_outcomes import TRANSCRIPT_PENDING
from hotline.services.paging import PagingService


@dataclass(frozen=True)
class NoteSync:
    """One ServiceNow write of an incident: ``status`` is the outbox job's status."""

    number: int
    status: str
    tries: int
    last_error: str | None


@dataclass(frozen=True)
class Recording:
    link: str
    transcript: str | None


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    timeline: list[TimelineEvent]
    attempts: list[Attempt]
    notes: list[NoteSync]
    recording: Recording | None

    @property
    def retries(self) -> int:
        """How many job runs failed and were tried again (calls, notes, notices)."""
        return sum(1 for e in self.timeline if e.kind == "job_failed")


async def load(paging: PagingService, incident_id: int) -> IncidentView:
    """Everything the detail page shows; ``NotFound`` for an unknown incident."""
    incident, timeline, attempts = await paging.get(incident_id)
    async with paging.unit_of_work(read_only=True) as uow:
        states = await uow.jobs.status_of(incident_id)
    notes = [
        NoteSync(i, status, tries, error)
        for i, (kind, status, tries, error) in enumerate(
            (s for s in states if s[0] == "ticket_update"), 1
        )
    ]
    return IncidentView(incident, timeline, attempts, notes, recording_of(incident, timeline))


def recording_of(incident: Incident, timeline: Sequence[TimelineEvent] = ()) -> Recording | None:
    """The call-in recording link and transcript written into the description, if any. A
    transcript that came after the incident was opened ("transcript pending" in the
    description) is the latest ``transcript`` event of the timeline."""
    link = transcript = None
    for line in (incident.description or "").splitlines():
        if line.startswith("Recording: "):
            link = line.removeprefix("Recording: ").strip()
        elif line.startswith("Transcript: "):
            transcript = line.removeprefix("Transcript: ").strip()
    late = [e.detail for e in timeline if e.kind == "transcript"]
    if transcript == TRANSCRIPT_PENDING and late:
        transcript = late[-1].removeprefix("Transcript: ").strip()
    return Recording(link, transcript) if link else None
