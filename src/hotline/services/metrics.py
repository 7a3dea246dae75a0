"""Response figures over a period: MTTA, MTTR, escalation rate, answer and accept rate per
person, calls per incident, incidents per day. ``compute`` is pure; ``gather`` reads the
incidents created in the period and their attempts through the paging service."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean

from hotline.domain.incident import Attempt, Incident
from hotline.services.paging import PagingService

MAX_INCIDENTS = 5000  # the newest incidents a period is computed from


@dataclass(frozen=True)
class PersonFigures:
    name: str
    calls: int
    answered: int
    accepted: int

    @property
    def answer_rate(self) -> float:
        return self.answered / self.calls if self.calls else 0.0

    @property
    def accept_rate(self) -> float:
        return self.accepted / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class Figures:
    start: datetime
    end: datetime
    incidents: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    mtta: float | None = None  # seconds, created -> accepted
    mttr: float | None = None  # seconds, created -> resolved
    escalation_rate: float = 0.0  # share of paged incidents where someone pressed 3
    calls: int = 0
    calls_per_incident: float = 0.0
    people: list[PersonFigures] = field(default_factory=list)
    per_day: list[tuple[date, int]] = field(default_factory=list)


def compute(items: list[tuple[Incident, list[Attempt]]], start: datetime, end: datetime) -> Figures:
    """The figures of the incidents created in ``[start, end)``."""
    chosen = [(i, a) for i, a in items if start <= i.created_at < end]
    if not chosen:
        return Figures(start, end, per_day=_days(start, end, Counter()))
    accepted = [(i.accepted_at - i.created_at).total_seconds() for i, _ in chosen if i.accepted_at]
    resolved = [(i.resolved_at - i.created_at).total_seconds() for i, _ in chosen if i.resolved_at]
    paged = [a for _, a in chosen if a]
    escalated = sum(1 for a in paged if any(x.outcome == "escalated" for x in a))
    calls: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    took: Counter[str] = Counter()
    for _, attempts in chosen:
        for a in attempts:
            calls[a.name] += 1
            answered[a.name] += a.answered_at is not None
            took[a.name] += a.outcome == "accepted"
    total_calls = sum(calls.values())
    return Figures(
        start=start,
        end=end,
        incidents=len(chosen),
        by_status=dict(Counter(i.status.value for i, _ in chosen)),
        mtta=mean(accepted) if accepted else None,
        mttr=mean(resolved) if resolved else None,
        escalation_rate=escalated / len(paged) if paged else 0.0,
        calls=total_calls,
        calls_per_incident=total_calls / len(chosen),
        people=[PersonFigures(n, calls[n], answered[n], took[n]) for n in sorted(calls)],
        per_day=_days(start, end, Counter(i.created_at.date() for i, _ in chosen)),
    )


def _days(start: datetime, end: datetime, counts: Counter[date]) -> list[tuple[date, int]]:
    days, day = [], start.date()
    while day <= (end - timedelta(microseconds=1)).date():
        days.append((day, counts[day]))
        day += timedelta(days=1)
    return days


async def gather(paging: PagingService, start: datetime, end: datetime) -> Figures:
    """Read the period's incidents and attempts (one read transaction) and compute."""
    async with paging.unit_of_work(read_only=True) as uow:
        recent = await uow.incidents.recent(None, MAX_INCIDENTS)
        items = []
        for incident in recent:
            if start <= incident.created_at < end and incident.id is not None:
                items.append((incident, await uow.incidents.attempts(incident.id)))
    return compute(items, start, end)
