"""``<Dial>`` of numbers, clients and SIP addresses (spec §1.8, §1.15, §2.2, §2.4).

Every target is a child leg (``outbound-dial``, ``ParentCallSid``) rung at once for the
Dial ``timeout`` (default 30 s); the first to answer wins and the others are canceled.
A ``<Number url>`` runs screening TwiML on the callee first: a ``<Hangup>`` there refuses
the bridge. Bridged parties stay connected until one hangs up, ``timeLimit`` passes or
(``hangupOnStar``) the caller presses ``*``. Then the ``action`` gets ``DialCallStatus``,
``DialCallSid``, ``DialCallDuration`` (answered legs only) and ``DialBridged``; without an
``action`` the next verb runs. The caller hanging up ends the child legs too.
``<Conference>`` and ``<Queue>`` nouns are handled by ``conferences`` and ``queues``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.simulator import conferences, legs, queues
from hotline.simulator.documents import AppError, Document, application_error, log_error
from hotline.simulator.line import HungUp, Interrupt, Redirected
from hotline.simulator.modes import Mode, Outcome
from hotline.simulator.records import Call
from hotline.simulator.speech import play_digits
from hotline.simulator.twiml import SCHEMA_ERROR, Node

if TYPE_CHECKING:
    from hotline.simulator.interpreter import Run

UNANSWERED_ORDER = ("no-answer", "busy", "canceled", "failed")


def _future() -> asyncio.Future[object]:
    return asyncio.get_running_loop().create_future()


@dataclass
class Dialing:
    """The race between the legs of one ``<Dial>``."""

    legs: int
    settled: asyncio.Future[object] = field(default_factory=_future)  # the winner, or None
    bridged: asyncio.Future[object] = field(default_factory=_future)  # screening passed?
    released: asyncio.Future[object] = field(default_factory=_future)  # winner moved away
    outcomes: list[str] = field(default_factory=list)

    def claim(self) -> bool:
        return not self.settled.done()

    def lost(self, status: str) -> None:
        self.outcomes.append(status)
        if len(self.outcomes) == self.legs and not self.settled.done():
            self.settled.set_result(None)

    def decide(self, accepted: bool) -> None:
        if not self.bridged.done():
            self.bridged.set_result(accepted)


async def finish(run: Run, verb: Node, params: dict[str, str]) -> Document | None:
    """After a Dial: its ``action`` with ``params``, or None (the next verb)."""
    run.call.note("dial-result", **params)
    action = verb.get("action")
    if not action:
        return None
    return await run.load(run.resolve(action), verb.method(), params, purpose="dial-action")


async def dial(run: Run, verb: Node) -> Document | None:
    special = [n for n in verb.children if n.name in ("Conference", "Queue")]
    if special and len(verb.children) > 1:
        raise AppError(SCHEMA_ERROR, "<Conference> or <Queue> must be the only noun of <Dial>")
    if special and special[0].name == "Conference":
        return await finish(run, verb, await conferences.join(run, verb, special[0]))
    if special:
        return await finish(run, verb, await queues.dequeue(run, verb, special[0]))
    targets = _targets(verb)
    if not targets:
        raise AppError(SCHEMA_ERROR, "<Dial> has nothing to dial")
    return await finish(run, verb, await _dial(run, verb, targets))


def _targets(verb: Node) -> list[tuple[str, Node | None]]:
    if verb.text:
        return [(verb.text, None)]
    targets: list[tuple[str, Node | None]] = []
    for noun in verb.children:
        if noun.name == "Client":
            identity = noun.text or next(
                (c.text for c in noun.children if c.name == "Identity"), ""
            )
            targets.append((f"client:{identity}", noun))
        else:
            targets.append((noun.text, noun))
    return targets


async def _dial(run: Run, verb: Node, targets: list[tuple[str, Node | None]]) -> dict[str, str]:
    engine, call = run.engine, run.call
    ring_seconds = verb.integer("timeout", 30)
    caller_id = verb.get("callerId") or call.from_
    dialing = Dialing(len(targets))
    children = []
    for address, noun in targets:
        callback = noun.get("statusCallback") if noun is not None else None
        events = (noun.get("statusCallbackEvent") or "completed") if noun is not None else ""
        child = engine.new_call(
            from_=caller_id,
            to=address,
            direction="outbound-dial",
            parent=call,
            status_callback=run.resolve(callback) if callback else None,
            status_callback_method=noun.method("statusCallbackMethod") if noun else "POST",
            status_callback_events=frozenset(events.split()),
            machine_detection=noun.get("machineDetection") if noun is not None else None,
        )
        children.append(child)
        engine.spawn(_leg(run, child, noun, dialing, ring_seconds), call)
    call.note("dial", to=[a for a, _ in targets], timeout=ring_seconds)
    call.line.follow = [child.line for child in children]
    try:
        await call.line.until(dialing.settled)
        winner = dialing.settled.result()
        if not isinstance(winner, Call):
            status = next((s for s in UNANSWERED_ORDER if s in dialing.outcomes), "failed")
            return {
                "DialBridged": "false",
                "DialCallSid": children[0].sid,
                "DialCallStatus": status,
            }
        for other in children:
            if other is not winner:
                other.line.hang_up("canceled", call.line.committed())
        await call.line.until(dialing.bridged)
        bridged = dialing.bridged.result() is True
        if bridged:
            call.note("bridge", to=winner.sid)
            how = await call.line.bridged(
                winner.line.ended,
                dialing.released,
                seconds=verb.integer("timeLimit", 14400),
                hang_up_on_star=verb.flag("hangupOnStar", False),
            )
            call.note("unbridge", reason=how)
        params = {"DialBridged": "true" if bridged else "false", "DialCallSid": winner.sid}
        params["DialCallStatus"] = "completed"
        if dialing.released.done():
            return params
        winner.line.hang_up("bridge-ended", call.line.committed())
        await call.line.until(winner.done)
        params["DialCallDuration"] = str(winner.duration)
        return params
    except Interrupt:
        for child in children:
            child.line.hang_up("parent", call.line.committed())
        raise
    finally:
        call.line.follow = []


async def _leg(
    run: Run, child: Call, noun: Node | None, dialing: Dialing, ring_seconds: int
) -> None:
    """Ring one child leg, screen it, keep it bridged; always finalize it."""
    engine = run.engine
    winner = False
    try:
        legs.progress(engine, child, "initiated")
        outcome = await legs.ring(engine, child, ring_seconds)
        if outcome not in legs.ANSWERED:
            dialing.lost(outcome)
            await legs.finalize(engine, child, outcome)
            return
        if not dialing.claim():
            await legs.finalize(engine, child, "canceled")
            return
        dialing.settled.set_result(child)
        winner = True
        await legs.answer(engine, child, outcome)
        if noun is not None and noun.get("sendDigits"):
            await play_digits(child, noun.attrs["sendDigits"])
        accepted = await _screen(run, child, noun)
        dialing.decide(accepted)
        if accepted:
            await child.line.until()  # bridged until a hang-up
    except HungUp:
        if not winner:
            dialing.lost("canceled")
    except Redirected:  # moved away by REST: leave the bridge, run the new TwiML
        dialing.decide(False)
        dialing.released.set_result(None)
        await run.drive(child, child.line.take_redirect())
    except Exception:  # a simulator bug: fail this leg, never leave the caller waiting
        if not winner:
            dialing.lost("failed")
        raise
    finally:
        dialing.decide(False)
        await legs.finalize(engine, child, "completed" if child.answered else "canceled")


async def _screen(run: Run, child: Call, noun: Node | None) -> bool:
    """Run ``<Number url>`` on the callee; False if it refused the bridge."""
    url = noun.get("url") if noun is not None else None
    if not url:
        return True
    try:
        document = await run.load(
            run.resolve(url), noun.method() if noun else "POST", purpose="screen", call=child
        )
        return await run.execute(document, Mode.SCREEN, call=child) is Outcome.EXHAUSTED
    except AppError as error:
        log_error(child, error)
        await application_error(child)
        return False
