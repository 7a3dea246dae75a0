"""The test API under ``/_sim`` (same Basic auth as the REST API), JSON in and out.

GET  /_sim/calls                       every call leg (REST JSON shape)
GET  /_sim/calls/{CallSid}             one leg
GET  /_sim/calls/{CallSid}/log         {"call_sid", "entries": [...]} (call log)
GET  /_sim/calls/{CallSid}/wait?timeout=S   wait until the leg ended, then the leg
GET  /_sim/messages                    SMS sent, with their status callbacks
POST /_sim/inbound                     {"from", "to", "script"?, "stir_verstat"?}
                                       -> 201 {"call_sid"}
GET  /_sim/numbers                     owned numbers (REST JSON shape)
PUT  /_sim/numbers/{number}            {"voice_url", "status_callback", ...}
GET  /_sim/phones/{number}             what the phone hears now (interactive state)
PUT  /_sim/phones/{number}             a phone script (mapping) for the number
POST /_sim/phones/{number}/answer|decline|hangup
POST /_sim/phones/{number}/press       {"digits": "1#"}
POST /_sim/phones/{number}/recording?finish_key=%23   body: WAV bytes
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hotline.simulator import calls, resources
from hotline.simulator.asgi import TwilioError
from hotline.simulator.interactive import InteractivePhone
from hotline.simulator.scripts import PhoneScript

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

NUMBER_SETTINGS = frozenset(
    {
        "voice_url",
        "voice_method",
        "voice_fallback_url",
        "voice_fallback_method",
        "status_callback",
        "status_callback_method",
        "sms_url",
        "friendly_name",
    }
)


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as error:
        raise TwilioError(400, 400, f"body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise TwilioError(400, 400, "body must be a JSON object")
    return data


def routes(engine: Engine) -> list[Route]:
    def call_of(request: Request) -> Any:
        call = engine.calls.get(request.path_params["sid"])
        if call is None:
            raise TwilioError(404, 20404, "no such call")
        return call

    async def list_calls(request: Request) -> Response:
        return JSONResponse({"calls": [resources.call_json(c) for c in engine.calls.values()]})

    async def get_call(request: Request) -> Response:
        return JSONResponse(resources.call_json(call_of(request)))

    async def call_log(request: Request) -> Response:
        call = call_of(request)
        entries = call.log.entries(None if call.parent is None else call.sid)
        return JSONResponse({"call_sid": call.sid, "entries": entries})

    async def wait_call(request: Request) -> Response:
        call = call_of(request)
        try:
            seconds = float(request.query_params.get("timeout", "30"))
            await asyncio.wait_for(asyncio.shield(call.done), seconds)
        except ValueError:
            raise TwilioError(400, 400, "timeout is a number of seconds") from None
        except TimeoutError:
            raise TwilioError(408, 408, "the call has not ended yet") from None
        return JSONResponse(resources.call_json(call))

    async def list_messages(request: Request) -> Response:
        items = [
            {**resources.message_json(m), "status_callbacks": m.callbacks}
            for m in engine.messages.values()
        ]
        return JSONResponse({"messages": items})

    async def inbound(request: Request) -> Response:
        data = await _json(request)
        try:
            script = PhoneScript.from_mapping(data["script"]) if data.get("script") else None
            verstat = str(data["stir_verstat"]) if data.get("stir_verstat") else None
            call = calls.start_inbound(engine, str(data["from"]), str(data["to"]), script, verstat)
        except KeyError as error:
            raise TwilioError(400, 400, f"missing {error}") from None
        except ValueError as error:
            raise TwilioError(400, 400, str(error)) from None
        except LookupError as error:
            raise TwilioError(404, 20404, str(error)) from None
        return JSONResponse({"call_sid": call.sid}, status_code=201)

    async def list_numbers(request: Request) -> Response:
        items = [resources.number_json(n) for n in engine.numbers.values()]
        return JSONResponse({"incoming_phone_numbers": items})

    async def put_number(request: Request) -> Response:
        data = await _json(request)
        unknown = set(data) - NUMBER_SETTINGS
        if unknown:
            raise TwilioError(400, 400, f"unknown settings: {', '.join(sorted(unknown))}")
        number = engine.configure_number(request.path_params["number"], **data)
        return JSONResponse(resources.number_json(number))

    async def phone(request: Request) -> Response:
        number = request.path_params["number"]
        if request.method == "PUT":
            try:
                script = PhoneScript.from_mapping(await _json(request))
            except ValueError as error:
                raise TwilioError(400, 400, str(error)) from None
            engine.scripts[number] = script
            return JSONResponse({"number": number, "script": script.to_mapping()})
        return JSONResponse(InteractivePhone(engine, number).state())

    async def act(request: Request) -> Response:
        handset = InteractivePhone(engine, request.path_params["number"])
        action = request.path_params["action"]
        try:
            if action == "answer":
                done = handset.answer()
            elif action == "decline":
                done = handset.decline()
            elif action == "hangup":
                done = handset.hang_up()
            elif action == "press":
                done = handset.press(str((await _json(request)).get("digits", "")))
            elif action == "recording":
                key = request.query_params.get("finish_key") or None
                done = handset.upload_recording(await request.body(), key)
            else:
                raise TwilioError(404, 20404, f"no phone action {action!r}")
        except LookupError as error:
            raise TwilioError(409, 409, str(error)) from None
        except ValueError as error:
            raise TwilioError(400, 400, str(error)) from None
        return JSONResponse({"ok": done, **handset.state()})

    return [
        Route("/_sim/calls", list_calls, methods=["GET"]),
        Route("/_sim/calls/{sid}", get_call, methods=["GET"]),
        Route("/_sim/calls/{sid}/log", call_log, methods=["GET"]),
        Route("/_sim/calls/{sid}/wait", wait_call, methods=["GET"]),
        Route("/_sim/messages", list_messages, methods=["GET"]),
        Route("/_sim/inbound", inbound, methods=["POST"]),
        Route("/_sim/numbers", list_numbers, methods=["GET"]),
        Route("/_sim/numbers/{number}", put_number, methods=["PUT"]),
        Route("/_sim/phones/{number}", phone, methods=["GET", "PUT"]),
        Route("/_sim/phones/{number}/{action}", act, methods=["POST"]),
    ]
