"""The engine: the simulator's state and the services every part of a call uses.

It owns the registries (calls, messages, recordings, transcriptions, numbers, scripts,
conferences, queues), the shared webhook client, the background tasks, and builds the
standard webhook parameters (spec §1.2). It runs nothing by itself: ``calls`` starts
calls, ``interpreter`` runs their TwiML.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from hotline.simulator.calllog import CallLog
from hotline.simulator.conferences import Conferences
from hotline.simulator.formats import utcnow
from hotline.simulator.line import Line
from hotline.simulator.phones import Phone
from hotline.simulator.queues import Queues
from hotline.simulator.records import Call, Message, PhoneNumber, Recording, Transcription
from hotline.simulator.scripts import PhoneScript
from hotline.simulator.webhooks import Exchange, Webhooks

API_VERSION = "2010-04-01"
GEO_FIELDS = ("City", "State", "Zip", "Country")
Transcriber = Callable[[bytes, str | None], Awaitable[str | None]]


async def script_transcriber(wav: bytes, transcript: str | None) -> str | None:
    """The default transcriber: the phone script's ``transcript``; None (failed) without."""
    return transcript


class Engine:
    """Shared state of one simulator (see the module docstring)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        time_scale: float,
        default_script: PhoneScript,
        public_base_url: str | None,
        transcriber: Transcriber,
        keep_empty_recordings: bool,
        max_connections: int,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.time_scale = time_scale
        self.default_script = default_script
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.transcriber = transcriber
        self.keep_empty_recordings = keep_empty_recordings
        self.webhooks = Webhooks(auth_token, max_connections=max_connections)
        self.calls: dict[str, Call] = {}
        self.messages: dict[str, Message] = {}
        self.recordings: dict[str, Recording] = {}
        self.transcriptions: dict[str, Transcription] = {}
        self.numbers: dict[str, PhoneNumber] = {}
        self.scripts: dict[str, PhoneScript] = {}
        self.conferences = Conferences()
        self.queues = Queues()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.seen_base_url: str | None = None

    # -- tasks ---------------------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, Any], call: Call | None = None) -> asyncio.Task[Any]:
        """Run ``work`` in the background, tracked by ``call`` (or by the engine)."""
        task = asyncio.get_running_loop().create_task(work)
        owner = call.tasks if call is not None else self.tasks
        owner.add(task)
        task.add_done_callback(owner.discard)
        return task

    # -- registries ----------------------------------------------------------------------

    def add_number(self, number: str) -> PhoneNumber:
        """The owned number ``number``, created if new."""
        if number not in self.numbers:
            self.numbers[number] = PhoneNumber(number, self.account_sid)
        return self.numbers[number]

    def configure_number(self, number: str, **changes: str | None) -> PhoneNumber:
        """Create or change an owned number (attributes of ``PhoneNumber``)."""
        owned = self.add_number(number)
        for name, value in changes.items():
            if not hasattr(owned, name) or name in ("sid", "phone_number", "account_sid"):
                raise ValueError(f"{name} is not a setting of a phone number")
            setattr(owned, name, value)
        owned.date_updated = utcnow()
        return owned

    def script_for(self, number: str) -> PhoneScript:
        return self.scripts.get(number, self.default_script)

    def new_call(
        self,
        *,
        from_: str,
        to: str,
        direction: str,
        parent: Call | None = None,
        script: PhoneScript | None = None,
        **fields: Any,
    ) -> Call:
        """A new leg, registered; its phone is the callee (or the caller, when inbound)."""
        line = Line(self.time_scale, parent.line.absolute() if parent is not None else 0.0)
        if parent is not None:
            line.follow = [parent.line]
        log = parent.log if parent is not None else CallLog()
        party = from_ if direction == "inbound" else to
        phone = Phone(party, script or self.script_for(party))
        call = Call(self.account_sid, from_, to, direction, line, log, phone, parent, **fields)
        owned = self.numbers.get(to if direction == "inbound" else from_)
        call.phone_number_sid = owned.sid if owned is not None else None
        self.calls[call.sid] = call
        parent_sid = parent.sid if parent is not None else None
        call.note(
            "leg", direction=direction, parent_call_sid=parent_sid, **{"from": from_, "to": to}
        )
        return call

    def active_calls(self, number: str) -> list[Call]:
        """Legs not yet ended whose virtual phone is ``number``, oldest first."""
        return [c for c in self.calls.values() if c.phone.number == number and not c.ended]

    def last_ended_call(self, number: str) -> Call | None:
        """The leg on virtual phone ``number`` created last, if it has ended."""
        for call in reversed(self.calls.values()):
            if call.phone.number == number:
                return call if call.ended else None
        return None

    # -- URLs ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where the REST API is reachable (configured, else seen on a request)."""
        return self.public_base_url or self.seen_base_url or "http://127.0.0.1"

    def resource_url(self, path: str) -> str:
        """Absolute URL of ``/2010-04-01/Accounts/AC…/{path}``."""
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/{path}"

    # -- webhooks ------------------------------------------------------------------------

    def standard_params(self, call: Call, status: str | None = None) -> dict[str, str]:
        """Spec §1.2: sent with every TwiML request and status callback of ``call``."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": status or call.status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": call.direction,
            "From": call.from_,
            "To": call.to,
        }
        for prefix in ("From", "To", "Caller", "Called"):
            for suffix in GEO_FIELDS:
                params[prefix + suffix] = ""
        if call.parent is not None:
            params["ParentCallSid"] = call.parent.sid
        if call.answered_by is not None:
            params["AnsweredBy"] = call.answered_by
        if call.stir_verstat is not None:
            params["StirVerstat"] = call.stir_verstat
        return params

    async def notify(
        self, call: Call, url: str, method: str, params: dict[str, str], purpose: str
    ) -> Exchange:
        """Send a callback whose response is ignored; log it on ``call``."""
        exchange = await self.webhooks.send(
            method, url, params, purpose=purpose, cookies=call.cookies
        )
        self.log_exchange(call, exchange)
        return exchange

    def log_exchange(self, call: Call, exchange: Exchange) -> None:
        call.note("webhook", **exchange.record())
