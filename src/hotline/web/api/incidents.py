"""Incidents REST API."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from hotline.domain.incident import Attempt, Incident, TimelineEvent
from hotline.domain.incidents import IncidentStatus, priority_of
from hotline.services.inputs import IncidentIn
from hotline.services.paging import PagingService
from hotline.web.api.directory import ERRORS
from hotline.web.auth import require_token

router = APIRouter(
    prefix="/api/v1/incidents",
    dependencies=[Depends(require_token)],
    responses=ERRORS,
    tags=["incidents"],
)


def paging(request: Request) -> PagingService:
    svc: PagingService = request.app.state.container.paging
    return svc


Paging = Annotated[PagingService, Depends(paging)]


class TimelineOut(BaseModel):
    at: datetime
    kind: str
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)


class AttemptOut(BaseModel):
    number: int
    round: int
    tier: int
    name: str
    phone: str
    state: str
    outcome: str | None
    digit: str | None
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration: int | None

    @classmethod
    def of(cls, a: Attempt) -> "AttemptOut":
        return cls(
            number=a.number,
            round=a.round,
            tier=a.tier + 1,
            name=a.name,
            phone=a.phone,
            state=a.state,
            outcome=a.outcome,
            digit=a.digit,
            created_at=a.created_at,
            answered_at=a.answered_at,
            ended_at=a.ended_at,
            duration=a.duration,
        )


class IncidentOut(BaseModel):
    id: int
    status: IncidentStatus
    title: str
    description: str | None
    severity: int
    priority: str
    source: str
    assignee: str | None
    external_id: str | None
    external_number: str | None
    dedup_key: str | None
    group: str | None
    policy: str | None
    created_at: datetime
    first_call_at: datetime | None
    accepted_at: datetime | None
    resolved_at: datetime | None
    timeline: list[TimelineOut] | None = None
    attempts: list[AttemptOut] | None = None

    @classmethod
    def of(
        cls,
        i: Incident,
        timeline: list[TimelineEvent] | None = None,
        attempts: list[Attempt] | None = None,
    ) -> "IncidentOut":
        assert i.id is not None
        return cls(
            id=i.id,
            status=i.status,
            title=i.title,
            description=i.description,
            severity=i.severity,
            priority=priority_of(i.severity).value,
            source=i.source.value,
            assignee=i.assignee,
            external_id=i.external_id,
            external_number=i.external_number,
            dedup_key=i.dedup_key,
            group=i.group,
            policy=i.policy,
            created_at=i.created_at,
            first_call_at=i.first_call_at,
            accepted_at=i.accepted_at,
            resolved_at=i.resolved_at,
            timeline=[
                TimelineOut(at=e.at, kind=e.kind, detail=e.detail, data=dict(e.data))
                for e in timeline
            ]
            if timeline is not None
            else None,
            attempts=[AttemptOut.of(a) for a in attempts] if attempts is not None else None,
        )


class ActorIn(BaseModel):
    by: str = Field("api", min_length=1, max_length=200, description="who did it")


@router.post(
    "",
    status_code=201,
    response_model=IncidentOut,
    summary="Create an incident and start paging (200 for a duplicate)",
)
async def create(data: IncidentIn, svc: Paging, response: Response) -> IncidentOut:
    incident, created = await svc.open(data)
    response.status_code = 201 if created else 200
    assert incident.id is not None
    full, timeline, attempts = await svc.get(incident.id)
    return IncidentOut.of(full, timeline, attempts)


@router.get("", response_model=list[IncidentOut], summary="Recent incidents, newest first")
async def list_incidents(
    svc: Paging,
    status: IncidentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[IncidentOut]:
    return [IncidentOut.of(i) for i in await svc.recent(status, limit)]


@router.get(
    "/{incident_id}",
    response_model=IncidentOut,
    summary="An incident with its timeline and call attempts",
)
async def get(incident_id: int, svc: Paging) -> IncidentOut:
    incident, timeline, attempts = await svc.get(incident_id)
    return IncidentOut.of(incident, timeline, attempts)


@router.post(
    "/{incident_id}/acknowledge",
    response_model=IncidentOut,
    summary="Accept outside the phone ladder: stops calling",
)
async def acknowledge(incident_id: int, svc: Paging, actor: ActorIn | None = None) -> IncidentOut:
    await svc.acknowledge(incident_id, (actor or ActorIn()).by)
    return await get(incident_id, svc)


@router.post("/{incident_id}/resolve", response_model=IncidentOut, summary="Resolve: stops calling")
async def resolve(incident_id: int, svc: Paging, actor: ActorIn | None = None) -> IncidentOut:
    await svc.resolve(incident_id, (actor or ActorIn()).by)
    return await get(incident_id, svc)
