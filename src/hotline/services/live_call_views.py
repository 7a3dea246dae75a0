"""What the live-call webhooks answer, in Hotline's words: the phrases and the views the web
layer renders (built from committed state, so nobody hears something that was not stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hotline.domain.hotline_config import fill
from hotline.domain.hunt import Callee, Hunt


@dataclass(frozen=True, slots=True)
class LivePhrases:
    """Placeholders: ``{name}``, ``{group}``, ``{names}`` (the people tried)."""

    now_calling: str = "Now calling {name}."
    nobody_on_call: str = "Sorry, nobody in {group} can be reached right now."
    check: str = (
        "Hello {name}. You are on call for {group}, and a caller needs help. "
        "Press any key to connect."
    )
    connecting: str = "Connecting you now."
    connected: str = "You are now connected with {name}."
    no_key: str = "No key was pressed, so I will try someone else. Goodbye."
    caller_gone: str = "Sorry, the caller hung up before you could be connected. Goodbye."
    not_needed: str = "Thank you, this call is no longer needed. Goodbye."
    talk_over: str = "The call has ended. Goodbye."
    missed: str = "I tried {names}, but nobody could take your call."
    choices: str = (
        "To let them know you called, press 1. For the main menu, press 2. "
        "To leave a message for {group}, press 3. Or just hang up."
    )
    invalid: str = "That key is not on the menu."
    alerted: str = "Done. {names} will get a text and an e-mail saying you called. Goodbye."
    give_up: str = "I did not get a choice, so I will end the call. Goodbye."


def names(people: tuple[Callee, ...]) -> str:
    """ "A", "A and B", "A, B and C"."""
    spoken = [p.say_name for p in people]
    if len(spoken) <= 1:
        return "".join(spoken)
    return ", ".join(spoken[:-1]) + " and " + spoken[-1]


def say(template: str, hunt: Hunt, callee: Callee | None = None) -> str:
    return fill(
        template,
        name=callee.say_name if callee else "",
        group=hunt.group_say,
        names=names(hunt.tried),
    )


class CallerStep(StrEnum):
    HOLD = "hold"  # put the caller in the hunt's queue
    MUSIC = "music"  # one turn of the hold loop: announcements, then hold audio
    LEAVE = "leave"  # leave the queue: the hunt is over
    CHOICES = "choices"  # nobody reached: 1 alert, 2 main menu, 3 message
    MENU = "menu"  # back to the call-in menu (the web layer resumes the conversation)
    MESSAGE = "message"  # record a message for an incident (the same)
    GOODBYE = "goodbye"  # say and hang up


class CalleeStep(StrEnum):
    CHECK = "check"  # press any key to connect
    CONNECT = "connect"  # take the caller off hold
    ANNOUNCE = "announce"  # said to the caller just before the bridge
    GOODBYE = "goodbye"


@dataclass(frozen=True, slots=True)
class CallerView:
    step: CallerStep
    said: tuple[str, ...] = ()
    queue: str = ""


@dataclass(frozen=True, slots=True)
class CalleeView:
    step: CalleeStep
    said: str = ""
    queue: str = ""
    timeout: int = 15


def queue_name(token: str) -> str:
    """The carrier queue the caller waits in (at most 64 characters)."""
    return f"hunt-{token}"
