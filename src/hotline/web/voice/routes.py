"""Voice routes of the Hotline number itself; the call-in menu (``/voice/incoming``) and the
page-out calls have their own modules."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from hotline.web.voice.security import require_twilio_signature

router = APIRouter(
    prefix="/voice", dependencies=[Depends(require_twilio_signature)], include_in_schema=False
)


@router.post("/status")
async def number_status(request: Request) -> Response:
    """Status callbacks of the Hotline number's own calls: a finished call-in call ends its
    conversation (a caller who hung up after confirming still gets the message sent)."""
    form = await request.form()
    if form.get("CallStatus") in ("completed", "busy", "failed", "no-answer", "canceled"):
        await request.app.state.container.hotline_calls.hung_up(str(form.get("CallSid", "")))
    return Response(status_code=204)
