"""The TwiML interpreter: runs documents verb by verb for a call (spec §2).

``drive`` runs a call's TwiML from its first document until the call ends: a REST
redirect replaces the running document at once, an application error plays the error
prompt (after the fallback URL failed too), a hang-up stops everything. ``execute`` runs
one document in a ``Mode``: top to bottom, one verb at a time; a verb whose action
returns a new document hands it full control; no verbs left means ``Outcome.EXHAUSTED``
(for a call: hang up). The simple verbs live here; ``prompts``, ``dial``, ``queues`` and
``conferences`` hold the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.simulator import dial, prompts, queues
from hotline.simulator.documents import (
    AppError,
    Document,
    application_error,
    from_twiml,
    load,
    log_error,
    resolve,
)
from hotline.simulator.legs import answer
from hotline.simulator.line import HungUp, Interrupt, Redirected
from hotline.simulator.modes import ALLOWED, Mode, Outcome
from hotline.simulator.records import Call
from hotline.simulator.speech import play, play_digits, say
from hotline.simulator.twiml import SCHEMA_ERROR, Node

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

Step = Document | Outcome | None
Handler = Callable[["Run", Node], Awaitable[Step]]
_ANSWERLESS = frozenset({"Pause", "Reject", "Redirect"})  # verbs that leave a call ringing


@dataclass(frozen=True)
class Instructions:
    """Where a call's TwiML comes from: a URL (and method) or literal REST ``Twiml``."""

    url: str | None = None
    method: str = "POST"
    twiml: str | None = None


@dataclass
class Run:
    """One document being executed for one call, in one mode."""

    engine: Engine
    call: Call
    mode: Mode
    document: Document

    def resolve(self, target: str) -> str:
        """``target`` against the current document URL."""
        return resolve(self.document.url, target)

    def own_url(self, verb: str) -> str:
        """The current document URL, the default ``action`` of Gather and Record."""
        if self.document.url is None:
            raise AppError(11100, f"<{verb}> needs an absolute action in REST-supplied Twiml")
        return self.document.url

    async def load(
        self,
        url: str,
        method: str = "POST",
        extra: dict[str, str] | None = None,
        *,
        purpose: str,
        call: Call | None = None,
    ) -> Document:
        """Fetch a document for this run's call (or ``call``)."""
        return await load(self.engine, call or self.call, url, method, extra, purpose=purpose)

    async def execute(self, document: Document, mode: Mode, call: Call | None = None) -> Outcome:
        """Run a nested document (hold music, screening, …) to its end."""
        return await execute(self.engine, call or self.call, document, mode)

    async def drive(self, call: Call, instructions: Instructions) -> Outcome | None:
        """Run ``call``'s TwiML to its end, as for a call of its own."""
        return await drive(self.engine, call, instructions)

    async def perform(self, verb: Node, *, barge_in: bool = False) -> bool:
        """A Say, Play or Pause; True if input interrupted it (``barge_in``)."""
        call, loop = self.call, verb.integer("loop", 1)
        if verb.name == "Say":
            voice, language = verb.get("voice"), verb.get("language")
            return await say(
                call, verb.text, loop=loop, barge_in=barge_in, voice=voice, language=language
            )
        if verb.name == "Play":
            if "digits" in verb.attrs:
                await play_digits(call, verb.attrs["digits"])
                return False
            return await play(call, self.resolve(verb.text), loop=loop, barge_in=barge_in)
        seconds = verb.integer("length", 1)
        call.note("pause", seconds=seconds)
        return await call.line.pause(seconds, barge_in=barge_in)


async def execute(engine: Engine, call: Call, document: Document, mode: Mode) -> Outcome:
    """Run ``document`` (and the documents its verbs hand over to) until it ends."""
    run = Run(engine, call, mode, document)
    while True:
        for verb in run.document.verbs:
            call.line.check()
            if verb.name not in ALLOWED[mode]:
                message = f"<{verb.name}> is not allowed in {mode.value} TwiML"
                raise AppError(SCHEMA_ERROR, message, url=run.document.url)
            if mode is Mode.CALL and not call.answered and verb.name not in _ANSWERLESS:
                await answer(engine, call)
            step = await HANDLERS[verb.name](run, verb)
            if isinstance(step, Document):
                run.document = step
                break
            if isinstance(step, Outcome):
                return step
        else:
            return Outcome.EXHAUSTED


async def drive(engine: Engine, call: Call, instructions: Instructions) -> Outcome | None:
    """Run ``call``'s TwiML until it ends; None when it ended by hang-up or error."""
    while True:
        try:
            if instructions.twiml is not None:
                document = from_twiml(call, instructions.twiml)
            elif instructions.url:
                document = await load(
                    engine, call, instructions.url, instructions.method, purpose="voice"
                )
            else:
                raise AppError(11100, "the call has no voice URL")
            return await execute(engine, call, document, Mode.CALL)
        except Redirected:
            instructions = call.line.take_redirect()
        except AppError as error:
            log_error(call, error)
            with contextlib.suppress(Interrupt):  # the caller may hang up meanwhile
                if not call.answered:
                    await answer(engine, call)
                await application_error(call)
            return None
        except HungUp:
            return None


async def _say_play_pause(run: Run, verb: Node) -> Step:
    await run.perform(verb)
    return None


async def _redirect(run: Run, verb: Node) -> Step:
    target = verb.text or run.own_url("Redirect")
    return await run.load(run.resolve(target), verb.method(), purpose="redirect")


async def _hangup(run: Run, verb: Node) -> Step:
    run.call.note("hangup", by="application")
    return Outcome.HANGUP


async def _reject(run: Run, verb: Node) -> Step:
    reason = verb.get("reason") or "rejected"
    if run.mode is Mode.CALL and not run.call.answered and run.call.direction == "inbound":
        run.call.rejected = reason
        run.call.note("hangup", by="application", rejected=reason)
        return Outcome.REJECTED
    run.call.note("hangup", by="application")
    return Outcome.HANGUP


async def _leave(run: Run, verb: Node) -> Step:
    if run.mode is Mode.QUEUE_WAIT:
        return Outcome.LEAVE
    run.call.note("warning", message="<Leave> outside a queue is ignored")
    return None


HANDLERS: dict[str, Handler] = {
    "Say": _say_play_pause,
    "Play": _say_play_pause,
    "Pause": _say_play_pause,
    "Gather": prompts.gather,
    "Record": prompts.record,
    "Dial": dial.dial,
    "Enqueue": queues.enqueue,
    "Leave": _leave,
    "Redirect": _redirect,
    "Hangup": _hangup,
    "Reject": _reject,
}
