"""What the call-in hotline offers and says: actions, groups, limits and phrases.

Every phrase is configurable; the defaults are our own words.

Placeholders in braces are filled by :func:`fill`: ``{digit}``, ``{label}``, ``{group}``,
``{severity}`` and ``{reference}``, depending on the phrase. A placeholder a phrase does not
know, or a stray brace, is left as written: a typo in configuration never breaks a call.
Spoken menus are never written out by hand; :func:`options_text` generates them from a digit
map, so what the caller hears always matches what the keys do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from hotline.domain.errors import Invalid
from hotline.domain.incidents import SEVERITY_NAMES

MAX_GROUPS = 9


class Action(StrEnum):
    ALERT = "alert"
    CONFERENCE = "conference"
    INCIDENT = "incident"
    LIVE_CALL = "live-call"
    JOIN_BRIDGE = "join-bridge"

    @property
    def needs_group(self) -> bool:
        return self is not Action.JOIN_BRIDGE

    @property
    def needs_recording(self) -> bool:
        return self in (Action.ALERT, Action.CONFERENCE, Action.INCIDENT)


@dataclass(frozen=True, slots=True)
class ActionPhrases:
    """The phrases of one main-menu action."""

    label: str  # fills ``{label}`` in :attr:`Phrases.option`
    choose_group: str = ""  # the question before the group menu
    one_group: str = ""  # said instead of the group menu when only one group exists
    done: str = ""  # said once the outcome has been stored


def _alert() -> ActionPhrases:
    return ActionPhrases(
        label="an alert to a group",
        choose_group="Which group should I alert?",
        one_group="Right, the alert goes to {group}.",
        done="Done. {group} has been alerted. Goodbye.",
    )


def _conference() -> ActionPhrases:
    return ActionPhrases(
        label="a conference bridge with a group",
        choose_group="Which group should join you on the bridge?",
        one_group="Right, I will invite {group} to a bridge.",
        done="{group} has been invited. Connecting you to the bridge now.",
    )


def _incident() -> ActionPhrases:
    return ActionPhrases(
        label="a new incident",
        choose_group="Which group should own the incident?",
        one_group="Right, the incident goes to {group}.",
        done="Done. A {severity} incident is open for {group}. Goodbye.",
    )


def _live_call() -> ActionPhrases:
    return ActionPhrases(
        label="a live call with whoever is on call",
        choose_group="Whose on-call person do you want to talk to?",
        one_group="Right, I will find the person on call for {group}.",
        done="Looking for the person on call for {group}. Please hold.",
    )


def _join_bridge() -> ActionPhrases:
    return ActionPhrases(label="joining an open bridge", done="Connecting you to the bridge.")


@dataclass(frozen=True, slots=True)
class Phrases:
    # authorisation
    refused: str = "Sorry, this line cannot take your call. Please ask your Hotline administrator."
    rate_limited: str = (
        "Sorry, this line has had too many calls from your number just now. "
        "Please try again in a few minutes, or reach your on-call team another way."
    )
    ask_number: str = "Your number is hidden. Key in your phone number, then the hash key."
    ask_pin: str = "Key in your PIN, then the hash key."
    pin_wrong: str = "That PIN did not work. Please try again."
    number_pin_wrong: str = "That number and PIN do not match. Please try again."
    # menus
    menu_intro: str = "Hotline. What do you need?"
    option: str = "For {label}, press {digit}."
    star_hint: str = "Star takes you back here at any time."
    main_menu: str = "Main menu."
    invalid: str = "That key is not on the menu."
    give_up: str = "I did not get a usable answer, so I will end the call. Goodbye."
    group_option: str = "For {group}, press {digit}."
    nobody_on_call: str = "Nobody in {group} is on call at the moment."
    pick_another_group: str = "Please pick another group."
    pick_something_else: str = "Please pick something else."
    severity_question: str = "How serious is it?"
    severity_option: str = "For {label}, press {digit}."
    # recording
    record: str = "Describe the problem after the tone, then press any key."
    too_short: str = "I did not catch enough of that."
    confirm: str = (
        "To send this recording, press 1. To record it again, press any other key. "
        "For the main menu, press star."
    )
    record_again: str = "All right, once more."
    # joining a bridge
    ask_bridge_code: str = "Key in the bridge code, then the hash key."
    no_such_bridge: str = "No open bridge has that code."
    # outcome
    pending: str = "Thank you. One moment, please."
    failed: str = (
        "Something went wrong and nothing was sent. Please raise this another way. Goodbye."
    )
    alert: ActionPhrases = field(default_factory=_alert)
    conference: ActionPhrases = field(default_factory=_conference)
    incident: ActionPhrases = field(default_factory=_incident)
    live_call: ActionPhrases = field(default_factory=_live_call)
    join_bridge: ActionPhrases = field(default_factory=_join_bridge)

    def for_action(self, action: Action) -> ActionPhrases:
        by_action = {
            Action.ALERT: self.alert,
            Action.CONFERENCE: self.conference,
            Action.INCIDENT: self.incident,
            Action.LIVE_CALL: self.live_call,
            Action.JOIN_BRIDGE: self.join_bridge,
        }
        return by_action[action]


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, **values: str) -> str:
    """``template`` with its placeholders filled; anything it cannot fill stays as written."""
    try:
        return template.format_map(_KeepUnknown(values))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template


def options_text(template: str, options: Iterable[tuple[str, str]]) -> str:
    """One sentence per ``(digit, label)``, in order: the spoken form of a digit map."""
    return " ".join(
        fill(template, digit=digit, label=label, group=label) for digit, label in options
    )


def sentence(*parts: str) -> str:
    """Join non-empty phrases with single spaces."""
    return " ".join(part.strip() for part in parts if part.strip())


# --- the menu ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MenuGroup:
    """A group the caller can pick; ``on_call`` is False when nobody can be reached."""

    name: str
    spoken: str = ""
    on_call: bool = True

    @property
    def say(self) -> str:
        return self.spoken or self.name


@dataclass(frozen=True, slots=True)
class Menu:
    """The hotline's configuration, snapshotted into each conversation."""

    actions: tuple[Action, ...]
    groups: tuple[MenuGroup, ...] = ()
    default_severity: int | None = None
    max_recording: int = 90
    min_recording: int = 2
    timeout: int = 8
    phrases: Phrases = field(default_factory=Phrases)

    def __post_init__(self) -> None:
        if not self.actions or len(set(self.actions)) != len(self.actions):
            raise Invalid("the hotline needs at least one action, each once", field="actions")
        if len(self.groups) > MAX_GROUPS:
            raise Invalid(f"at most {MAX_GROUPS} hotline groups", field="groups")
        if any(action.needs_group for action in self.actions) and not self.groups:
            raise Invalid("these actions need at least one hotline group", field="groups")
        if self.default_severity is not None and self.default_severity not in SEVERITY_NAMES:
            raise Invalid("the default severity must be 1 to 5", field="default_severity")
        if not 0 <= self.min_recording < self.max_recording:
            raise Invalid("recording limits out of order", field="max_recording")

    @property
    def action_digits(self) -> dict[str, Action]:
        """The main menu's digit map: digit = position in the configured order."""
        return {str(position): action for position, action in enumerate(self.actions, 1)}

    @property
    def group_digits(self) -> dict[str, MenuGroup]:
        return {str(position): group for position, group in enumerate(self.groups, 1)}

    def menu_text(self) -> str:
        p = self.phrases
        options = [(d, p.for_action(a).label) for d, a in self.action_digits.items()]
        return sentence(p.menu_intro, options_text(p.option, options), p.star_hint)

    def group_text(self, action: Action) -> str:
        p = self.phrases
        options = [(d, g.say) for d, g in self.group_digits.items()]
        question = p.for_action(action).choose_group
        return sentence(question, options_text(p.group_option, options))

    def severity_text(self) -> str:
        p = self.phrases
        options = [(str(level), name) for level, name in SEVERITY_NAMES.items()]
        return sentence(p.severity_question, options_text(p.severity_option, options))


SEVERITY_DIGITS: dict[str, int] = {str(level): level for level in SEVERITY_NAMES}
