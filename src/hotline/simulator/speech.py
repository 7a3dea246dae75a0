"""What the caller hears: ``<Say>``, ``<Play>``, beeps, and how long each takes.

Durations are simulated seconds: speech is estimated from its length (about 14 characters
a second, at least half a second); media is never fetched, so a ``<Play>`` lasts
``PLAY_SECONDS``. Every utterance is logged and appended to ``call.heard`` (the text of the
current prompt, shown to interactive phones).
"""

from __future__ import annotations

from hotline.simulator.records import Call

CHARACTERS_PER_SECOND = 14.0
PLAY_SECONDS = 1.0
BEEP_SECONDS = 0.5
TONE_SECONDS = 0.25  # one DTMF tone of <Play digits>
UNTIL_HANGUP = 1000  # loop="0": "until the call ends, or 1000 times"


def say_seconds(text: str) -> float:
    return max(0.5, len(text) / CHARACTERS_PER_SECOND)


def repetitions(loop: int) -> int:
    return UNTIL_HANGUP if loop == 0 else loop


async def say(
    call: Call, text: str, *, loop: int = 1, barge_in: bool = False, **details: str | None
) -> bool:
    """Speak ``text`` ``loop`` times; True if input interrupted it (``barge_in``)."""
    call.note("say", text=text, loop=loop, **details)
    call.heard.append(text)
    for _ in range(repetitions(loop)):
        if await call.line.pause(say_seconds(text), barge_in=barge_in):
            return True
    return False


async def play(call: Call, url: str, *, loop: int = 1, barge_in: bool = False) -> bool:
    """Play the media at ``url`` (not fetched); True if input interrupted it."""
    call.note("play", url=url, loop=loop)
    for _ in range(repetitions(loop)):
        if await call.line.pause(PLAY_SECONDS, barge_in=barge_in):
            return True
    return False


async def play_digits(call: Call, digits: str) -> None:
    """Send DTMF tones (``w`` waits half a second, ``W`` a second)."""
    call.note("play", digits=digits)
    waits = {"w": 0.5, "W": 1.0}
    await call.line.pause(sum(waits.get(key, TONE_SECONDS) for key in digits))


async def beep(call: Call) -> None:
    call.note("beep")
    await call.line.pause(BEEP_SECONDS)
