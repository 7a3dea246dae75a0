"""Starting calls and changing them from the REST API (spec §1.15, §3.2, §3.3).

Outbound (``outbound-api``): queued for a moment (a dialling slot), ``initiated``,
``ringing``, then answered (after answering machine detection, if asked) and its ``Url`` or
``Twiml`` runs; not answered → the final status only, the ``Url`` is never fetched;
canceled while queued → no status callbacks at all.
Inbound: the number's voice URL is requested with ``CallStatus=ringing``; the first verb
other than ``<Pause>``/``<Redirect>`` answers, a first ``<Reject>`` refuses the call
(``busy`` or ``no-answer``); the number's ``StatusCallback`` gets the final status.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from hotline.simulator import legs
from hotline.simulator.interpreter import Instructions, drive
from hotline.simulator.line import HungUp
from hotline.simulator.modes import Outcome
from hotline.simulator.records import Call
from hotline.simulator.scripts import PhoneScript

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

QUEUED_SECONDS = 0.5  # simulated wait for a dialling slot before "initiated"


class CallStateError(Exception):
    """The call is in no state for the requested change (Twilio error 21220)."""


def instructions(call: Call) -> Instructions:
    """What a call runs once answered: ``Url`` wins over ``Twiml`` (spec §3.2)."""
    if call.url:
        return Instructions(url=call.url, method=call.method)
    return Instructions(twiml=call.twiml)


log = logging.getLogger(__name__)


async def _guarded(engine: Engine, call: Call, work: Coroutine[Any, Any, None]) -> None:
    """Run a call; a simulator bug fails that call (logged) instead of leaving it open."""
    try:
        await work
    except Exception as error:
        log.exception("simulator failure on call %s", call.sid)
        call.note(
            "error", code=None, message=f"simulator failure: {error!r}", url=None, document=""
        )
        await legs.finalize(engine, call, "failed")


def start_outbound(engine: Engine, call: Call) -> None:
    engine.spawn(_guarded(engine, call, _outbound(engine, call)))


async def _outbound(engine: Engine, call: Call) -> None:
    try:
        await call.line.pause(QUEUED_SECONDS)
    except HungUp:
        await legs.finalize(engine, call, "canceled", notify=False)
        return
    try:
        legs.progress(engine, call, "initiated")
        outcome = await legs.ring(engine, call, call.timeout)
        if outcome not in legs.ANSWERED:
            await legs.finalize(engine, call, outcome)
            return
        await legs.answer(engine, call, outcome)
    except HungUp:
        await legs.finalize(engine, call, "completed" if call.answered else "canceled")
        return
    await drive(engine, call, instructions(call))
    await legs.finalize(engine, call, "completed")


def start_inbound(
    engine: Engine,
    from_: str,
    to: str,
    script: PhoneScript | None,
    stir_verstat: str | None = None,
) -> Call:
    """A call from the virtual phone ``from_`` to the owned number ``to``; ``stir_verstat``
    (e.g. ``TN-Validation-Passed-A``) is sent as ``StirVerstat``, None sends nothing."""
    number = engine.numbers.get(to)
    if number is None:
        raise LookupError(f"{to} is not a number of this simulator")
    call = engine.new_call(
        from_=from_,
        to=to,
        direction="inbound",
        script=script,
        url=number.voice_url,
        method=number.voice_method,
        fallback_url=number.voice_fallback_url,
        fallback_method=number.voice_fallback_method,
        status_callback=number.status_callback,
        status_callback_method=number.status_callback_method,
        stir_verstat=stir_verstat,
    )
    call.set_status("ringing")
    engine.spawn(_guarded(engine, call, _inbound(engine, call)))
    return call


async def _inbound(engine: Engine, call: Call) -> None:
    outcome = await drive(engine, call, instructions(call))
    if outcome is Outcome.REJECTED:
        status = "busy" if call.rejected == "busy" else "no-answer"
    elif call.answered or call.line.hangup_reason is None:
        status = "completed"
    else:
        status = "canceled"  # the caller gave up before the call was answered
    await legs.finalize(engine, call, status)


def redirect(call: Call, target: Instructions) -> None:
    """New TwiML for a call: at once if it is running, else when it is answered."""
    if call.ended:
        raise CallStateError("Call is not in-progress. Cannot redirect.")
    if target.url:
        call.url, call.method, call.twiml = target.url, target.method, None
    else:
        call.url, call.twiml = None, target.twiml
    if call.answered:
        call.line.redirect(target)


def cancel(call: Call) -> None:
    """``Status=canceled``: hang up a queued or ringing call; no effect on others."""
    if call.status in ("queued", "ringing", "initiated") and not call.answered:
        call.line.hang_up("canceled")


def complete(call: Call) -> None:
    """``Status=completed``: hang up the call whatever its state."""
    call.line.hang_up("api")
