"""Status changes of a leg and their status callbacks (spec §1.3, §1.9, §1.10, §1.15).

``progress`` moves a leg to ``initiated``, ``ringing`` or ``in-progress`` and sends the
matching status callback only if its event was subscribed (``answered`` is sent with
``CallStatus=in-progress``); ``finalize`` ends the leg, sends the final callback (event
``completed``, the default subscription) after every earlier one, with ``CallDuration``,
``Duration`` and ``SipResponseCode``, and waits for the leg's background work.
Callbacks carry ``CallbackSource``, a per-leg ``SequenceNumber`` from 0 and ``Timestamp``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from hotline.simulator.formats import billed_minutes, rfc2822, utcnow, whole_seconds
from hotline.simulator.records import Call

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

EVENTS = {"initiated": "initiated", "ringing": "ringing", "in-progress": "answered"}
SIP_RESPONSES = {"completed": "200", "busy": "486", "no-answer": "487", "canceled": "487"}
SIP_FAILED = "500"
DETECTION_SECONDS = 2.0  # answering machine detection listens this long (synchronous AMD)
ANSWERED = frozenset({"answer", "machine"})


def _callback_params(engine: Engine, call: Call, status: str) -> dict[str, str]:
    params = engine.standard_params(call, status)
    params["CallbackSource"] = "call-progress-events"
    params["SequenceNumber"] = str(call.sequence)
    params["Timestamp"] = rfc2822(utcnow()) or ""
    call.sequence += 1
    return params


def progress(engine: Engine, call: Call, status: str) -> None:
    """Move ``call`` to a non-final ``status``; its callback is sent in the background,
    after the call's earlier callbacks."""
    call.set_status(status)
    if not call.status_callback or EVENTS[status] not in call.status_callback_events:
        return
    params = _callback_params(engine, call, status)
    url, method, previous = call.status_callback, call.status_callback_method, call.callbacks

    async def send() -> None:
        if previous is not None:
            await asyncio.wait({previous})
        await engine.notify(call, url, method, params, "status-callback")

    call.callbacks = engine.spawn(send(), call)


async def ring(engine: Engine, call: Call, seconds: float) -> str:
    """Ring at most ``seconds``: answer, machine, busy, failed or no-answer."""
    if call.phone.rings:
        progress(engine, call, "ringing")
    return await call.phone.ring(call.line, seconds)


async def answer(engine: Engine, call: Call, outcome: str = "answer") -> None:
    """The phone picked up (``outcome`` from ``ring``): detection if asked, then in-progress."""
    call.answered_at = call.line.now()
    call.start_time = utcnow()
    if call.machine_detection:
        await call.line.pause(DETECTION_SECONDS)
        if outcome == "answer":
            call.answered_by = "human"
        elif call.machine_detection == "DetectMessageEnd":
            call.answered_by = "machine_end_beep"
        else:
            call.answered_by = "machine_start"
    call.phone.answered(call.line)
    if call.time_limit:
        call.line.hang_up_after(call.time_limit, "time-limit")
    progress(engine, call, "in-progress")


async def drain(call: Call) -> None:
    """Wait for every background task of ``call`` (callbacks, child legs, transcriptions)."""
    while call.tasks:
        await asyncio.gather(*list(call.tasks), return_exceptions=True)


async def finalize(engine: Engine, call: Call, status: str, *, notify: bool = True) -> None:
    """End ``call`` with a final ``status``; ``notify=False`` sends no callback at all."""
    if call.ended:
        return
    call.line.hang_up(status)
    call.duration = whole_seconds(call.talk_seconds())
    call.set_status(status)
    await drain(call)
    if notify and call.status_callback and "completed" in call.status_callback_events:
        params = _callback_params(engine, call, status)
        params["CallDuration"] = str(call.duration)
        params["Duration"] = str(billed_minutes(call.duration))
        params["SipResponseCode"] = SIP_RESPONSES.get(status, SIP_FAILED)
        await engine.notify(
            call, call.status_callback, call.status_callback_method, params, "status-callback"
        )
    call.done.set_result(None)
