"""Live calls and conference bridges for the hotline and incident pages.

Read through the same services as ``GET /api/v1/live-calls`` (:class:`LiveCalls`) and
``GET /api/v1/bridges`` (:class:`BridgeQueries`). A hunt stores when each of its legs was
dialled, answered, connected, bridged and ended; :func:`hunt_timeline` lays those instants out
in order. A bridge keeps its own timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.bootstrap import Container
from hotline.domain.bridge import Bridge
from hotline.ports import LiveCallRecord
from hotline.services.bridges import BridgeQueries

RECENT = 20
LINKED_SCAN = 500  # the newest hunts searched for the ones an incident came from


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str
    detail: str


def hunt_timeline(record: LiveCallRecord) -> list[Step]:
    """Everything a hunt stored, oldest first (ties keep the order the call went through)."""
    hunt = record.hunt
    who = record.caller_name or record.caller
    steps = [Step(hunt.started_at, "started", f"{who} asked for {hunt.group}")]
    for leg in hunt.legs:
        callee = hunt.callee(leg.number)
        name = f"{callee.name} ({callee.phone})"
        steps.append(Step(leg.dialed_at, "called", name))
        if leg.answered_at:
            steps.append(Step(leg.answered_at, "answered", callee.name))
        if leg.connected_at:
            steps.append(Step(leg.connected_at, "pressed", f"{callee.name} pressed a key"))
        if leg.bridged_at:
            steps.append(Step(leg.bridged_at, "talking", f"{callee.name} and {who}"))
        if leg.ended_at:
            outcome = leg.outcome.value if leg.outcome else "ended"
            steps.append(Step(leg.ended_at, "leg ended", f"{callee.name}: {outcome}"))
    if hunt.ended_at:
        reason = hunt.end_reason.value if hunt.end_reason else "ended"
        steps.append(Step(hunt.ended_at, "ended", reason))
    order = {id(s): i for i, s in enumerate(steps)}
    return sorted(steps, key=lambda s: (s.at, order[id(s)]))


@dataclass(frozen=True)
class LiveCallView:
    record: LiveCallRecord
    timeline: list[Step]

    @property
    def id(self) -> int | None:
        return self.record.id


async def live_calls(container: Container, limit: int = RECENT) -> list[LiveCallView]:
    """The newest hunts, newest first."""
    return [LiveCallView(r, hunt_timeline(r)) for r in await container.live_calls.recent(limit)]


async def live_calls_of(container: Container, incident_id: int) -> list[LiveCallView]:
    """The hunts whose caller left the message ``incident_id`` was opened from."""
    found = await container.live_calls.recent(LINKED_SCAN)
    return [LiveCallView(r, hunt_timeline(r)) for r in found if r.incident_id == incident_id]


async def bridges(container: Container, limit: int = RECENT) -> list[Bridge]:
    """The newest conference bridges, newest first, with invitations and timeline."""
    return await BridgeQueries(container.paging).recent(limit)
