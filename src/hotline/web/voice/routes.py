"""Voice entry points. The call-in menu and the page-out calls add their own routes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from hotline.domain import voice as v
from hotline.web.voice.security import require_twilio_signature
from hotline.web.voice.twiml import twiml

router = APIRouter(
    prefix="/voice", dependencies=[Depends(require_twilio_signature)], include_in_schema=False
)

NOT_OPEN = (
    "Thank you for calling Hotline. This number does not take calls yet. "
    "Please contact your on-call team another way. Goodbye."
)


@router.post("/incoming")
async def incoming(request: Request) -> Response:
    """The URL a phone number's "a call comes in" points at."""
    return twiml(request, [v.Say(NOT_OPEN), v.Hangup()])


@router.post("/status")
async def number_status(request: Request) -> Response:
    """Status callbacks of the Hotline number's own calls: acknowledged, nothing to do."""
    return Response(status_code=204)
