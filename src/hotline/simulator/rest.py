"""The REST API subset of ``2010-04-01`` (spec §3): Calls, Messages, Recordings (and their
media), Transcriptions, IncomingPhoneNumbers, Conferences (``conference_api``). Form bodies
(repeated keys allowed), ``.json`` paths, 201 on create, 204 on delete, Twilio's error
codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hotline.simulator import calls, conference_api, messaging, resources
from hotline.simulator.asgi import TwilioError
from hotline.simulator.formats import is_address
from hotline.simulator.forms import INVALID_PARAMETER, Form
from hotline.simulator.interpreter import Instructions
from hotline.simulator.records import Call

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
NUMBER_FIELDS = {  # IncomingPhoneNumbers update: form name -> (attribute, kind)
    "VoiceUrl": ("voice_url", "url"),
    "VoiceMethod": ("voice_method", "method"),
    "VoiceFallbackUrl": ("voice_fallback_url", "url"),
    "VoiceFallbackMethod": ("voice_fallback_method", "method"),
    "StatusCallback": ("status_callback", "url"),
    "StatusCallbackMethod": ("status_callback_method", "method"),
    "SmsUrl": ("sms_url", "url"),
    "SmsMethod": ("sms_method", "method"),
    "FriendlyName": ("friendly_name", "text"),
}


def routes(engine: Engine) -> list[Route]:
    account = "/2010-04-01/Accounts/{account}"

    def checked(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if request.path_params["account"] != engine.account_sid:
                raise _not_found(request)
            result: Response = await handler(request)
            return result

        return endpoint

    api = _Api(engine)
    table = [
        ("/Calls.json", api.calls, ["GET", "POST"]),
        ("/Calls/{sid}.json", api.call, ["GET", "POST", "DELETE"]),
        ("/Calls/{sid}/Recordings.json", api.call_recordings, ["GET"]),
        ("/Messages.json", api.messages, ["GET", "POST"]),
        ("/Messages/{sid}.json", api.message, ["GET"]),
        ("/Recordings.json", api.recordings, ["GET"]),
        ("/Recordings/{name}", api.recording, ["GET", "DELETE"]),
        ("/Recordings/{sid}/Transcriptions.json", api.recording_transcriptions, ["GET"]),
        ("/Transcriptions.json", api.transcriptions, ["GET"]),
        ("/Transcriptions/{sid}.json", api.transcription, ["GET"]),
        ("/IncomingPhoneNumbers.json", api.numbers, ["GET"]),
        ("/IncomingPhoneNumbers/{sid}.json", api.number, ["GET", "POST"]),
        ("/Conferences.json", api.conferences, ["GET"]),
        ("/Conferences/{sid}.json", api.conference, ["GET", "POST"]),
    ]
    return [Route(account + path, checked(h), methods=m) for path, h, m in table]


def _not_found(request: Request) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {request.url.path} was not found")


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


class _Api:
    """The endpoints, over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _uri(self, path: str) -> str:
        return f"{resources.account_uri(self.engine.account_sid)}/{path}"

    def _call(self, request: Request) -> Call:
        call = self.engine.calls.get(request.path_params["sid"])
        if call is None or call.deleted:
            raise _not_found(request)
        return call

    async def calls(self, request: Request) -> Response:
        if request.method == "POST":
            call = self._create_call(await Form.read(request))
            return JSONResponse(resources.call_json(call), status_code=201)
        query = _query(request)

        def wanted(call: Call) -> bool:
            parent = call.parent.sid if call.parent is not None else None
            return (
                not call.deleted
                and query.get("To", call.to) == call.to
                and query.get("From", call.from_) == call.from_
                and query.get("Status", call.status) == call.status
                and ("ParentCallSid" not in query or query["ParentCallSid"] == parent)
            )

        found = [c for c in reversed(self.engine.calls.values()) if wanted(c)]
        items = [resources.call_json(c) for c in found]
        return JSONResponse(resources.page("calls", items, self._uri("Calls.json"), query))

    def _create_call(self, form: Form) -> Call:
        to, from_ = form.get("To"), form.get("From")
        if not to:
            raise TwilioError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise TwilioError(400, 21213, "No 'From' number is specified")
        if not is_address(to):
            raise TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not is_address(from_):
            message = f"The 'From' number {from_} is not a valid phone number or client"
            raise TwilioError(400, 21212, message)
        url, twiml = form.url("Url", 21205), form.get("Twiml")
        if not url and not twiml:
            raise TwilioError(400, 21205, "Url parameter is required.")
        events = set(form.all("StatusCallbackEvent")) or {"completed"}
        if not events <= EVENTS:
            raise TwilioError(400, INVALID_PARAMETER, "StatusCallbackEvent is not valid")
        detection = form.get("MachineDetection") or None
        if detection not in (None, "Enable", "DetectMessageEnd"):
            raise TwilioError(400, INVALID_PARAMETER, "MachineDetection is not valid")
        call = self.engine.new_call(
            from_=from_,
            to=to,
            direction="outbound-api",
            url=url,
            method=form.method("Method"),
            twiml=None if url else twiml,
            fallback_url=form.url("FallbackUrl"),
            fallback_method=form.method("FallbackMethod"),
            status_callback=form.url("StatusCallback"),
            status_callback_method=form.method("StatusCallbackMethod"),
            status_callback_events=frozenset(events),
            timeout=form.integer("Timeout", 60, 1, 600),
            machine_detection=None if form.get("SendDigits") else detection,
            time_limit=form.integer("TimeLimit", None, 1, 86400),
        )
        calls.start_outbound(self.engine, call)
        return call

    async def call(self, request: Request) -> Response:
        call = self._call(request)
        if request.method == "DELETE":
            if not call.ended:
                raise TwilioError(400, 21220, "Call is in progress; it cannot be deleted.")
            call.deleted = True
            return Response(status_code=204)
        if request.method == "POST":
            self._update_call(call, await Form.read(request))
        return JSONResponse(resources.call_json(call))

    def _update_call(self, call: Call, form: Form) -> None:
        url, twiml = form.url("Url", 21205), form.get("Twiml")
        if url and twiml:
            raise TwilioError(400, INVALID_PARAMETER, "Url and Twiml are mutually exclusive")
        if form.get("StatusCallback"):
            call.status_callback = form.url("StatusCallback")
            call.status_callback_method = form.method("StatusCallbackMethod")
        if form.get("FallbackUrl"):
            call.fallback_url = form.url("FallbackUrl")
            call.fallback_method = form.method("FallbackMethod")
        status = form.get("Status")
        if status not in (None, "canceled", "completed"):
            raise TwilioError(400, INVALID_PARAMETER, "Status must be canceled or completed")
        if url or twiml:
            try:
                calls.redirect(call, Instructions(url, form.method("Method"), twiml))
            except calls.CallStateError as error:
                raise TwilioError(400, 21220, str(error)) from None
        if status == "canceled":
            calls.cancel(call)
        elif status == "completed":
            calls.complete(call)

    async def call_recordings(self, request: Request) -> Response:
        call = self._call(request)
        items = [
            resources.recording_json(r, self.engine.base_url)
            for r in reversed(self.engine.recordings.values())
            if r.call_sid == call.sid
        ]
        uri = self._uri(f"Calls/{call.sid}/Recordings.json")
        return JSONResponse(resources.page("recordings", items, uri, _query(request)))

    async def messages(self, request: Request) -> Response:
        if request.method == "POST":
            message = messaging.send(self.engine, await Form.read(request))
            return JSONResponse(resources.message_json(message), status_code=201)
        query = _query(request)
        items = [
            resources.message_json(m)
            for m in reversed(self.engine.messages.values())
            if query.get("To", m.to) == m.to and query.get("From", m.from_) == m.from_
        ]
        return JSONResponse(resources.page("messages", items, self._uri("Messages.json"), query))

    async def message(self, request: Request) -> Response:
        message = self.engine.messages.get(request.path_params["sid"])
        if message is None:
            raise _not_found(request)
        return JSONResponse(resources.message_json(message))

    async def recordings(self, request: Request) -> Response:
        items = [
            resources.recording_json(r, self.engine.base_url)
            for r in reversed(self.engine.recordings.values())
        ]
        uri = self._uri("Recordings.json")
        return JSONResponse(resources.page("recordings", items, uri, _query(request)))

    async def recording(self, request: Request) -> Response:
        name: str = request.path_params["name"]
        sid, _, extension = name.partition(".")
        recording = self.engine.recordings.get(sid)
        if recording is None or extension not in ("", "json", "wav"):
            raise _not_found(request)
        if request.method == "DELETE":  # Twilio: DELETE …/Recordings/RE….json, 204
            if extension != "json":
                raise _not_found(request)
            del self.engine.recordings[sid]
            return Response(status_code=204)
        if extension == "json":
            return JSONResponse(resources.recording_json(recording, self.engine.base_url))
        return Response(recording.wav, media_type="audio/x-wav")

    async def recording_transcriptions(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        if sid not in self.engine.recordings:
            raise _not_found(request)
        items = [
            resources.transcription_json(t)
            for t in reversed(self.engine.transcriptions.values())
            if t.recording_sid == sid
        ]
        uri = self._uri(f"Recordings/{sid}/Transcriptions.json")
        return JSONResponse(resources.page("transcriptions", items, uri, _query(request)))

    async def transcriptions(self, request: Request) -> Response:
        items = [resources.transcription_json(t) for t in self.engine.transcriptions.values()]
        uri = self._uri("Transcriptions.json")
        return JSONResponse(resources.page("transcriptions", items, uri, _query(request)))

    async def transcription(self, request: Request) -> Response:
        transcription = self.engine.transcriptions.get(request.path_params["sid"])
        if transcription is None:
            raise _not_found(request)
        return JSONResponse(resources.transcription_json(transcription))

    async def numbers(self, request: Request) -> Response:
        query = _query(request)
        wanted = query.get("PhoneNumber")
        items = [
            resources.number_json(n)
            for n in self.engine.numbers.values()
            if wanted is None or n.phone_number == wanted
        ]
        uri = self._uri("IncomingPhoneNumbers.json")
        return JSONResponse(resources.page("incoming_phone_numbers", items, uri, query))

    async def number(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        number = next((n for n in self.engine.numbers.values() if n.sid == sid), None)
        if number is None:
            raise _not_found(request)
        if request.method == "POST":
            form = await Form.read(request)
            changes: dict[str, str | None] = {}
            for name, (attribute, kind) in NUMBER_FIELDS.items():
                if form.get(name) is not None:
                    if kind == "url":
                        changes[attribute] = form.url(name)
                    else:
                        changes[attribute] = (
                            form.method(name) if kind == "method" else form.get(name)
                        )
            self.engine.configure_number(number.phone_number, **changes)
        return JSONResponse(resources.number_json(number))

    async def conferences(self, request: Request) -> Response:
        query = _query(request)
        items = [
            conference_api.conference_json(room, self.engine.account_sid)
            for room in reversed(self.engine.conferences.by_sid.values())
            if query.get("FriendlyName", room.name) == room.name
            and query.get("Status", room.status) == room.status
        ]
        uri = self._uri("Conferences.json")
        return JSONResponse(resources.page("conferences", items, uri, query))

    async def conference(self, request: Request) -> Response:
        room = self.engine.conferences.by_sid.get(request.path_params["sid"])
        if room is None:
            raise _not_found(request)
        if request.method == "POST":
            conference_api.update(self.engine, room, await Form.read(request))
        return JSONResponse(conference_api.conference_json(room, self.engine.account_sid))
