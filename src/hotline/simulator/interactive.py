"""Interactive control of a virtual phone (for a browser softphone, the CLI, tests).

``InteractivePhone(engine, number)`` acts on the number's oldest call still going: answer
or refuse it while it rings (phones in ``interactive`` mode), press keys, hang up,
upload what it says at a ``<Record>``. ``state()`` tells what the phone hears now: the text
said since the last prompt and whether a ``<Gather>``/``<Record>`` listens; on an idle
phone, what its last call said after its last prompt (``last_prompt``). An action
with no call to act on raises ``LookupError``; one the call cannot take returns False.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hotline.simulator.audio import wav_duration
from hotline.simulator.line import Keys, Speech
from hotline.simulator.records import Call
from hotline.simulator.scripts import KEYS

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine


class InteractivePhone:
    """The phone ``number``; see the module docstring."""

    def __init__(self, engine: Engine, number: str) -> None:
        self._engine = engine
        self.number = number

    def call(self) -> Call:
        """The call the phone is on (the oldest not ended)."""
        calls = self._engine.active_calls(self.number)
        if not calls:
            raise LookupError(f"{self.number} is not on a call")
        return calls[0]

    def state(self) -> dict[str, Any]:
        calls = self._engine.active_calls(self.number)
        if not calls:
            # What the last call said before it ended (its goodbye), so a person watching
            # the phone can read it after the line went quiet.
            last = self._engine.last_ended_call(self.number)
            return {
                "number": self.number,
                "call_sid": None,
                "status": "idle",
                "last_prompt": " ".join(last.heard) if last is not None else "",
            }
        call = calls[0]
        return {
            "number": self.number,
            "call_sid": call.sid,
            "status": call.status,
            "direction": call.direction,
            "ringing": call.phone.ringing,
            "listening": call.listening,
            "prompt": " ".join(call.heard),
        }

    def answer(self) -> bool:
        return self.call().phone.decide("answer")

    def decline(self) -> bool:
        return self.call().phone.decide("busy")

    def press(self, digits: str) -> bool:
        if not digits or not KEYS.fullmatch(digits):
            raise ValueError(f"keys are 0-9 A-D # *, not {digits!r}")
        call = self.call()
        call.note("press", digits=digits)
        return call.line.push(Keys(digits))

    def hang_up(self) -> bool:
        call = self.call()
        if call.phone.ringing and call.direction != "inbound":
            return call.phone.decide("busy")
        call.note("hangup", by="phone")
        call.line.hang_up("caller")
        return True

    def upload_recording(self, wav: bytes, finish_key: str | None = None) -> bool:
        """What the phone says at the current ``<Record>``, optionally ended by a key."""
        duration = wav_duration(wav)
        call = self.call()
        if call.listening != "record":
            return False
        accepted = call.line.push(Speech(wav, duration))
        if finish_key:
            call.line.push(Keys(finish_key))
        return accepted
