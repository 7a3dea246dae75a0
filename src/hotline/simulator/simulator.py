"""``Simulator``: the public face of the fake carrier (see the package docstring)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from starlette.types import ASGIApp

from hotline.simulator import calls, resources, rest, testapi
from hotline.simulator.asgi import build_app
from hotline.simulator.engine import Engine, Transcriber, script_transcriber
from hotline.simulator.interactive import InteractivePhone
from hotline.simulator.scripts import PhoneScript

CLOSE_GRACE_SECONDS = 5.0


class Simulator:
    """A Twilio-compatible fake carrier: REST API, TwiML interpreter, virtual phones.

    No I/O happens before ``start()``; ``close()`` hangs up every call and stops the
    background work. ``asgi`` is the HTTP face (REST + ``/_sim`` test API), mountable
    under any prefix. ``time_scale`` multiplies every simulated wait (rings, speech,
    pauses, prompts); reported durations stay in simulated seconds. ``transcriber``
    turns a recording (WAV bytes, the phone script's ``transcript``) into text, or None
    for a failed transcription. ``keep_empty_recordings`` makes a silent ``<Record>``
    still request its action (Twilio's current behaviour) instead of falling through.
    ``max_connections`` bounds the webhook requests in flight (others wait their turn,
    outside Twilio's 15 s limit).
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        numbers: Sequence[str] = (),
        time_scale: float = 1.0,
        default_script: PhoneScript | None = None,
        public_base_url: str | None = None,
        transcriber: Transcriber = script_transcriber,
        keep_empty_recordings: bool = False,
        max_connections: int = 16,
    ) -> None:
        self.account_sid = account_sid
        self.engine = Engine(
            account_sid,
            auth_token,
            time_scale=time_scale,
            default_script=default_script or PhoneScript(),
            public_base_url=public_base_url,
            transcriber=transcriber,
            keep_empty_recordings=keep_empty_recordings,
            max_connections=max_connections,
        )
        for number in numbers:
            self.engine.add_number(number)
        self.asgi: ASGIApp = build_app(
            self.engine, [*rest.routes(self.engine), *testapi.routes(self.engine)]
        )

    async def start(self) -> None:
        await self.engine.webhooks.start()

    async def close(self) -> None:
        for call in self.engine.calls.values():
            call.line.hang_up("simulator-closed")
        try:
            await self.idle(timeout=CLOSE_GRACE_SECONDS)
        except TimeoutError:
            tasks = [*self.engine.tasks, *(t for c in self.engine.calls.values() for t in c.tasks)]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.engine.webhooks.close()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

    # -- configuration -------------------------------------------------------------------

    def configure_number(
        self,
        number: str,
        *,
        voice_url: str | None = None,
        voice_method: str = "POST",
        voice_fallback_url: str | None = None,
        status_callback: str | None = None,
        status_callback_method: str = "POST",
    ) -> dict[str, Any]:
        """Own ``number`` (if new) and set where its inbound calls go; its REST JSON."""
        owned = self.engine.configure_number(
            number,
            voice_url=voice_url,
            voice_method=voice_method.upper(),
            voice_fallback_url=voice_fallback_url,
            status_callback=status_callback,
            status_callback_method=status_callback_method.upper(),
        )
        return resources.number_json(owned)

    def set_script(self, number: str, script: PhoneScript) -> None:
        """How the virtual phone ``number`` behaves from the next call on."""
        self.engine.scripts[number] = script

    def phone(self, number: str) -> InteractivePhone:
        """Run-time control of the phone ``number`` (answer, press, hang up, record)."""
        return InteractivePhone(self.engine, number)

    # -- calls ---------------------------------------------------------------------------

    async def inbound_call(
        self,
        from_: str,
        to: str,
        script: PhoneScript | None = None,
        *,
        stir_verstat: str | None = None,
    ) -> str:
        """Have the phone ``from_`` call the owned number ``to``; the new CallSid.

        ``script`` (else the script set for ``from_``, else the default) drives the caller.
        ``stir_verstat`` is sent as the ``StirVerstat`` parameter (the carrier's STIR/SHAKEN
        verdict); None leaves it out, as for an unsigned call. ``LookupError`` if ``to`` is
        not owned.
        """
        return calls.start_inbound(self.engine, from_, to, script, stir_verstat).sid

    def call_log(self, call_sid: str) -> list[dict[str, Any]]:
        """The log of a call: with every child leg for a call, only its own for a leg."""
        call = self.engine.calls[call_sid]
        return call.log.entries(None if call.parent is None else call.sid)

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every call leg, oldest first, in the REST JSON shape."""
        return [resources.call_json(c) for c in self.engine.calls.values()]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every SMS sent, oldest first, in the REST JSON shape."""
        return [resources.message_json(m) for m in self.engine.messages.values()]

    def recording(self, recording_sid: str) -> bytes:
        """The WAV bytes of a recording."""
        return self.engine.recordings[recording_sid].wav

    async def wait_for_call_end(
        self,
        call_sid: str,
        timeout: float = 30.0,  # noqa: ASYNC109 - the public API
    ) -> dict[str, Any]:
        """Wait until the leg ended and its final callbacks were sent; its REST JSON."""
        call = self.engine.calls[call_sid]
        await asyncio.wait_for(asyncio.shield(call.done), timeout)
        return resources.call_json(call)

    async def idle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - the public API
        """Wait until every call ended and no background work is left."""
        async with asyncio.timeout(timeout):
            while True:
                pending: list[asyncio.Future[Any]] = [
                    c.done for c in self.engine.calls.values() if not c.done.done()
                ]
                pending.extend(self.engine.tasks)
                if not pending:
                    return
                await asyncio.wait(pending)
