"""Where a TwiML document runs, which verbs it may use there, and how a run can end."""

from __future__ import annotations

from enum import Enum

from hotline.simulator.twiml import VERBS


class Mode(Enum):
    """The context of a document."""

    CALL = "call"  # the call's own TwiML
    SCREEN = "screen"  # <Number url>: the callee, before the bridge
    QUEUE_WAIT = "queue-wait"  # <Enqueue waitUrl>: the caller on hold
    CONFERENCE_WAIT = "conference-wait"  # <Conference waitUrl>: before the start
    ANNOUNCE = "announce"  # <Queue url>: the dequeued caller, before the bridge


ALLOWED: dict[Mode, frozenset[str]] = {
    Mode.CALL: VERBS,
    Mode.SCREEN: frozenset({"Say", "Play", "Pause", "Gather", "Hangup", "Redirect"}),
    Mode.QUEUE_WAIT: frozenset({"Say", "Play", "Pause", "Gather", "Hangup", "Redirect", "Leave"}),
    Mode.CONFERENCE_WAIT: frozenset({"Say", "Play", "Pause", "Redirect"}),
    Mode.ANNOUNCE: frozenset({"Say", "Play", "Pause", "Redirect"}),
}


class Outcome(Enum):
    """How a document run ended (an action's new document replaces it, not ends it)."""

    EXHAUSTED = "exhausted"  # no verbs left
    HANGUP = "hangup"  # <Hangup>, or <Reject> once answered
    REJECTED = "rejected"  # <Reject> before the call was answered
    LEAVE = "leave"  # <Leave>
