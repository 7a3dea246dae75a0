"""The Conference REST resource (spec §3.5): ``GET /Conferences.json``,
``GET|POST /Conferences/{CF}.json``.

An update with ``AnnounceUrl`` fetches that URL once for the room (a signed request with
``AccountSid``, ``ApiVersion``, ``ConferenceSid``, ``FriendlyName``; ``<Redirect>`` is
followed) and plays the resulting ``<Say>``/``<Play>``/``<Pause>`` on every participant's
leg, beside whatever the leg is doing (bridged or waiting), logged in each leg's call log.
The REST answer does not wait for it. ``Status=completed`` ends the room. Participant
subresources and ``announcement-end``/``-fail`` events are not simulated.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from hotline.simulator import conferences, resources
from hotline.simulator.asgi import TwilioError
from hotline.simulator.conferences import Conference
from hotline.simulator.documents import AppError, Document, document_of, resolve
from hotline.simulator.engine import API_VERSION
from hotline.simulator.formats import rfc2822
from hotline.simulator.forms import INVALID_PARAMETER, Form
from hotline.simulator.interpreter import execute
from hotline.simulator.line import Interrupt
from hotline.simulator.modes import Mode
from hotline.simulator.records import Call
from hotline.simulator.twiml import SCHEMA_ERROR, Node

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

MAX_REDIRECTS = 10  # an announcement that redirects more often is an application error
_SPOKEN = frozenset({"Say", "Play", "Pause"})


def conference_json(room: Conference, account_sid: str) -> dict[str, Any]:
    base = f"{resources.account_uri(account_sid)}/Conferences/{room.sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "call_sid_ending_conference": room.call_sid_ending,
        "date_created": rfc2822(room.date_created),
        "date_updated": rfc2822(room.date_updated),
        "friendly_name": room.name,
        "reason_conference_ended": room.reason_ended,
        "region": "us1",
        "sid": room.sid,
        "status": room.status,
        "subresource_uris": {
            "participants": f"{base}/Participants.json",
            "recordings": f"{base}/Recordings.json",
        },
        "uri": f"{base}.json",
    }


def update(engine: Engine, room: Conference, form: Form) -> None:
    """Apply ``POST /Conferences/{CF}.json``; raises ``TwilioError`` for a bad request.
    A room that has ended cannot be changed (404)."""
    url, status = form.url("AnnounceUrl"), form.get("Status")
    if not url and not status:
        raise TwilioError(400, INVALID_PARAMETER, "AnnounceUrl or Status is required")
    if status not in (None, "completed"):
        raise TwilioError(400, INVALID_PARAMETER, "Status must be completed")
    method = form.method("AnnounceMethod")
    if room.ended.done():
        raise TwilioError(404, 20404, f"The conference {room.sid} has ended")
    if url:
        engine.spawn(announce(engine, room, url, method))
    if status == "completed":
        conferences.end(engine, room)


async def announce(engine: Engine, room: Conference, url: str, method: str) -> None:
    """Fetch the announcement once and play it to everyone in the room."""
    try:
        document = await _announcement(engine, room, url, method)
    except AppError as error:
        for participant in room.participants:
            participant.call.note(
                "error", code=error.code, message=error.message, url=error.url, document=error.body
            )
        return
    for participant in list(room.participants):
        engine.spawn(_play(engine, participant.call, document), participant.call)


async def _announcement(engine: Engine, room: Conference, url: str, method: str) -> Document:
    """The announcement's Say/Play/Pause verbs, following ``<Redirect>``."""
    params = {
        "AccountSid": engine.account_sid,
        "ApiVersion": API_VERSION,
        "ConferenceSid": room.sid,
        "FriendlyName": room.name,
    }
    verbs: list[Node] = []
    for _ in range(MAX_REDIRECTS + 1):
        exchange = await engine.webhooks.send(method, url, params, purpose="conference-announce")
        for participant in room.participants:
            engine.log_exchange(participant.call, exchange)
        document = document_of(exchange)
        redirect = None
        for verb in document.verbs:
            if verb.name == "Redirect":
                redirect = verb
                break
            if verb.name not in _SPOKEN:
                message = f"<{verb.name}> is not allowed in a conference announcement"
                raise AppError(SCHEMA_ERROR, message, url=exchange.url)
            verbs.append(verb)
        if redirect is None:
            return Document(exchange.url, tuple(verbs))
        url, method = resolve(exchange.url, redirect.text or exchange.url), redirect.method()
    raise AppError(SCHEMA_ERROR, "the announcement redirects too often", url=url)


async def _play(engine: Engine, call: Call, document: Document) -> None:
    # The leg may hang up or leave meanwhile: the announcement just stops for it.
    with contextlib.suppress(Interrupt, AppError):
        await execute(engine, call, document, Mode.ANNOUNCE)
