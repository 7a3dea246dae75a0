"""The virtual phone at the far end of a leg, driven by its ``PhoneScript``.

For a leg the simulator dials (outbound-api, outbound-dial) the phone is the callee; for an
inbound leg it is the caller. The phone decides how ringing ends (``ring``), starts its
hang-up timer when the call is answered (``answered``) and reacts to prompts
(``prompted``): a scripted phone schedules its key presses, speech or hang-up on the line;
an interactive phone waits for ``decide``/the line's ``push``/``hang_up`` from the API.
"""

from __future__ import annotations

import asyncio

from hotline.simulator.line import HangUpRequest, Keys, Line, Speech
from hotline.simulator.scripts import PhoneScript

BUSY_SECONDS = 1.0  # how long a busy signal takes to come back


class Phone:
    """One phone on one leg."""

    def __init__(self, number: str, script: PhoneScript) -> None:
        self.number = number
        self.script = script
        self._decision: asyncio.Future[str] | None = None
        self.ringing = False

    @property
    def interactive(self) -> bool:
        return self.script.mode == "interactive"

    @property
    def rings(self) -> bool:
        """Whether the network gets as far as ringing (not for busy or failing phones)."""
        return self.script.mode not in ("busy", "fail")

    async def ring(self, line: Line, seconds: float) -> str:
        """How the ringing ends: ``answer``, ``machine``, ``busy``, ``failed``, ``no-answer``.

        ``seconds`` is the ring timeout. Raises the line's interrupts (a REST cancel, the
        caller giving up).
        """
        mode = self.script.mode
        if mode == "fail":
            return "failed"
        if mode == "busy":
            await line.pause(BUSY_SECONDS)
            return "busy"
        self.ringing = True
        try:
            if mode == "interactive":
                self._decision = asyncio.get_running_loop().create_future()
                if await line.until(self._decision, seconds=seconds):
                    return self._decision.result()
                return "no-answer"
            if mode == "no-answer" or self.script.answer_after >= seconds:
                await line.pause(seconds)
                return "no-answer"
            await line.pause(self.script.answer_after)
            return "machine" if mode == "machine" else "answer"
        finally:
            self.ringing = False

    def decide(self, outcome: str) -> bool:
        """An interactive phone's answer (``answer``) or refusal (``busy``) while ringing."""
        if self._decision is None or self._decision.done() or not self.ringing:
            return False
        self._decision.set_result(outcome)
        return True

    def answered(self, line: Line) -> None:
        """Start the hang-up-after countdown, if the script has one."""
        if self.script.hangup_after is not None and not self.interactive:
            line.hang_up_after(self.script.hangup_after, "caller")

    def prompted(self, line: Line, kind: str, index: int) -> None:
        """React to the 0-based ``index``-th prompt, a ``gather`` or a ``record``.

        A ``gather`` is answered ``think_time`` after it starts listening; at a ``record``
        the phone speaks its recording first, then presses or hangs up.
        """
        script = self.script
        if self.interactive:
            return
        keys = script.keys_at(index)
        if kind == "gather":
            if script.hangs_up_at(index):
                line.schedule(script.think_time, HangUpRequest(), index)
            elif keys:
                line.schedule(script.think_time, Keys(keys), index)
            return
        audio = script.audio()
        if audio is not None:
            line.push(Speech(*audio), index)
        if script.hangs_up_at(index):
            line.push(HangUpRequest(), index)
        elif keys:
            line.push(Keys(keys), index)
