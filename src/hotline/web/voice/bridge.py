"""Conference bridges: the caller's wait loop (``/voice/hotline/bridge``), the invitees'
calls, the room's hold music, events and announcements. URLs carry only the bridge id and invitation
number; every reply is rendered from what the service committed.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from hotline.domain import voice as v
from hotline.services.bridge_calls import BridgeCalls
from hotline.services.bridges import Bridges
from hotline.web.voice.security import require_twilio_signature
from hotline.web.voice.twiml import twiml

router = APIRouter(
    prefix="/voice", dependencies=[Depends(require_twilio_signature)], include_in_schema=False
)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(val) for k, val in form.items()}


def _bridges(request: Request) -> Bridges:
    bridges: Bridges = request.app.state.container.bridges
    return bridges


def _calls(request: Request) -> BridgeCalls:
    calls: BridgeCalls = request.app.state.container.bridge_calls
    return calls


@router.post("/hotline/bridge")
async def caller_turn(request: Request) -> Response:
    """The caller handed over to a bridge: hold until someone joins, then the room."""
    form = await _form(request)
    return twiml(request, await _bridges(request).caller_turn(form.get("CallSid", "")))


@router.post("/bridge/hold")
async def hold(request: Request) -> Response:
    """The room's wait music (``waitUrl``), played until someone else enters."""
    return twiml(request, [v.Play(_bridges(request).config.hold_url, loop=0)])


@router.post("/bridge/{bridge_id}/left")
async def left(bridge_id: int, request: Request) -> Response:
    """A participant's ``<Dial>`` ended: the room closed or they were the last one."""
    return twiml(request, [v.Say(_bridges(request).config.phrases.ended), v.Hangup()])


@router.post("/bridge/{bridge_id}/conference")
async def conference(bridge_id: int, request: Request) -> Response:
    form = await _form(request)
    event, call_sid = form.get("StatusCallbackEvent", ""), form.get("CallSid", "")
    conference_sid = form.get("ConferenceSid", "")
    await _calls(request).conference_event(bridge_id, event, call_sid, conference_sid)
    return Response(status_code=204)


@router.post("/bridge/{bridge_id}/announce/{index}")
async def announce(bridge_id: int, index: int, request: Request) -> Response:
    """What the carrier plays to the whole room: who joined (event ``index``)."""
    return twiml(request, await _calls(request).announcement(bridge_id, index))


@router.post("/bridge/{bridge_id}/invite/{number}")
async def invite_answered(bridge_id: int, number: int, request: Request) -> Response:
    return twiml(request, await _calls(request).answered(bridge_id, number))


@router.post("/bridge/{bridge_id}/invite/{number}/keys")
async def invite_keys(bridge_id: int, number: int, request: Request) -> Response:
    form = await _form(request)
    digits = form.get("Digits", "")
    return twiml(request, await _calls(request).keys(bridge_id, number, digits))


@router.post("/bridge/{bridge_id}/invite/{number}/status")
async def invite_status(bridge_id: int, number: int, request: Request) -> Response:
    form = await _form(request)
    await _calls(request).status(bridge_id, number, form.get("CallStatus", ""))
    return Response(status_code=204)
