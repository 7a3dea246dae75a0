"""Conference bridges REST API (read-only): who was invited, who joined, what happened."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from hotline.domain.bridge import Bridge
from hotline.services.bridges import BridgeQueries
from hotline.web.api.directory import ERRORS
from hotline.web.auth import require_token

router = APIRouter(
    prefix="/api/v1/bridges",
    dependencies=[Depends(require_token)],
    responses=ERRORS,
    tags=["bridges"],
)


def queries(request: Request) -> BridgeQueries:
    return BridgeQueries(request.app.state.container.paging)


Queries = Annotated[BridgeQueries, Depends(queries)]


class InviteOut(BaseModel):
    name: str
    phone: str
    state: str
    joined_at: datetime | None
    ended_at: datetime | None


class EventOut(BaseModel):
    at: datetime
    kind: str
    detail: str


class BridgeOut(BaseModel):
    id: int
    code: str
    status: str
    group: str
    host: str
    caller: str
    transcript: str
    recording: str
    opened_at: datetime
    closed_at: datetime | None
    invites: list[InviteOut]
    timeline: list[EventOut]

    @classmethod
    def of(cls, bridge: Bridge) -> "BridgeOut":
        assert bridge.id is not None
        return cls(
            id=bridge.id,
            code=bridge.code,
            status=bridge.status.value,
            group=bridge.group,
            host=bridge.host,
            caller=bridge.caller,
            transcript=bridge.transcript,
            recording=bridge.recording,
            opened_at=bridge.opened_at,
            closed_at=bridge.closed_at,
            invites=[
                InviteOut(
                    name=i.name,
                    phone=i.phone,
                    state=i.state.value,
                    joined_at=i.joined_at,
                    ended_at=i.ended_at,
                )
                for i in bridge.invites
            ],
            timeline=[EventOut(at=e.at, kind=e.kind, detail=e.detail) for e in bridge.events],
        )


@router.get("")
async def list_bridges(
    q: Queries, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[BridgeOut]:
    """The most recent bridges, newest first."""
    return [BridgeOut.of(b) for b in await q.recent(limit)]


@router.get("/{bridge_id}")
async def get_bridge(bridge_id: int, q: Queries) -> BridgeOut:
    return BridgeOut.of(await q.get(bridge_id))
