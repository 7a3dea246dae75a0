"""The incident aggregate, as the services see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hotline.domain.incidents import IncidentStatus, Source
from hotline.domain.ladder import Ladder


@dataclass
class Incident:
    title: str
    severity: int
    source: Source
    created_at: datetime
    status: IncidentStatus = IncidentStatus.TRIGGERED
    description: str | None = None
    external_id: str | None = None
    external_number: str | None = None
    dedup_key: str | None = None
    group: str | None = None
    policy: str | None = None
    assignee: str | None = None
    first_call_at: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    ladder: Ladder | None = None
    id: int | None = None

    @property
    def spoken_number(self) -> str:
        return self.external_number or str(self.id)


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str
    detail: str
    data: dict[str, object] = field(default_factory=dict)


@dataclass
class Attempt:
    """One call of a ladder; ``token`` is the opaque id used in callback URLs."""

    token: str
    incident_id: int
    number: int
    round: int
    tier: int
    position: int
    name: str
    phone: str
    timeout: int
    created_at: datetime
    person: str | None = None
    call_sid: str | None = None
    state: str = "queued"  # queued -> placing -> placed -> answered -> ended
    outcome: str | None = None
    digit: str | None = None
    placing_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int | None = None
