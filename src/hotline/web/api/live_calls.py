"""Live calls REST API: each hunt, who was called when, how each call ended."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from hotline.ports import LiveCallRecord
from hotline.services.live_calls import LiveCalls
from hotline.web.api.directory import ERRORS
from hotline.web.auth import require_token

router = APIRouter(
    prefix="/api/v1/live-calls",
    dependencies=[Depends(require_token)],
    responses=ERRORS,
    tags=["live calls"],
)


def service(request: Request) -> LiveCalls:
    svc: LiveCalls = request.app.state.container.live_calls
    return svc


Service = Annotated[LiveCalls, Depends(service)]


class LegOut(BaseModel):
    number: int
    name: str
    phone: str
    state: str
    outcome: str | None
    called_at: datetime
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    duration: int | None
    talk_seconds: int | None


class LiveCallOut(BaseModel):
    id: int
    group: str
    caller: str
    caller_name: str | None
    status: str
    end_reason: str | None
    connected: str | None
    incident_id: int | None
    started_at: datetime
    ended_at: datetime | None
    legs: list[LegOut]

    @classmethod
    def of(cls, r: LiveCallRecord) -> LiveCallOut:
        h = r.hunt
        assert r.id is not None
        connected = h.connected
        return cls(
            id=r.id,
            group=h.group,
            caller=r.caller,
            caller_name=r.caller_name,
            status=h.status.value,
            end_reason=h.end_reason.value if h.end_reason else None,
            connected=connected.name if connected else None,
            incident_id=r.incident_id,
            started_at=h.started_at,
            ended_at=h.ended_at,
            legs=[
                LegOut(
                    number=g.number,
                    name=h.callee(g.number).name,
                    phone=h.callee(g.number).phone,
                    state=g.state.value,
                    outcome=g.outcome.value if g.outcome else None,
                    called_at=g.dialed_at,
                    answered_at=g.answered_at,
                    connected_at=g.connected_at,
                    ended_at=g.ended_at,
                    duration=g.duration,
                    talk_seconds=g.talk_seconds,
                )
                for g in h.legs
            ],
        )


@router.get("", response_model=list[LiveCallOut], summary="Recent live calls, newest first")
async def recent(svc: Service, limit: int = Query(100, ge=1, le=1000)) -> list[LiveCallOut]:
    return [LiveCallOut.of(r) for r in await svc.recent(limit)]


@router.get("/{live_call_id}", response_model=LiveCallOut, summary="One live call and its calls")
async def get(live_call_id: int, svc: Service) -> LiveCallOut:
    return LiveCallOut.of(await svc.get(live_call_id))
