"""``GET /recordings/{id}?expires=…&sig=…``: a call-in recording, for whoever holds its link.

The signed link is the credential (it goes out by SMS and e-mail), so there is no other
authentication. A link that is malformed or not ours is 403, an authentic but expired one
410, a recording not kept 404, one the carrier cannot give yet 503; all as JSON errors.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from hotline.services.recordings import Recordings, Refusal
from hotline.web.errors import error_body

router = APIRouter(tags=["recordings"])

_REFUSED = {
    Refusal.INVALID: (403, "forbidden", "This recording link is not valid."),
    Refusal.EXPIRED: (410, "expired", "This recording link has expired."),
    Refusal.UNKNOWN: (404, "not_found", "There is no such recording."),
    Refusal.UNAVAILABLE: (503, "unavailable", "The recording is not available yet; try later."),
}
# Private to the link holder: no caching on the way, no link leaking on as a Referer.
_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get(
    "/recordings/{recording_id}",
    summary="A call-in recording, at the signed link sent out with the message",
    responses={
        200: {"content": {"audio/x-wav": {}}, "description": "The recording"},
        403: {"description": "Not a valid link"},
        410: {"description": "The link has expired"},
    },
)
async def recording(
    recording_id: str, request: Request, expires: str = "", sig: str = ""
) -> Response:
    recordings: Recordings = request.app.state.container.recordings
    result = await recordings.open(recording_id, expires, sig)
    if isinstance(result, Refusal):
        status, code, message = _REFUSED[result]
        return JSONResponse(error_body(code, message), status_code=status, headers=_HEADERS)
    headers = {**_HEADERS, "Content-Disposition": 'inline; filename="recording.wav"'}
    return Response(result.data, media_type=result.content_type, headers=headers)
