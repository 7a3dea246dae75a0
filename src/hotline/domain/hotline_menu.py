"""The call-in hotline conversation: a pure state machine, ``decide(state, event, now)``.

The caller is authorised first (the shell decides from configuration whether caller ID is
enough, a PIN is needed, or the number and PIN must be keyed in, and says so in
:class:`Begin`; the PIN itself is checked by the shell, whose verdict returns as
:class:`PinChecked`). Then the main menu offers the enabled actions, digit = position; a group
is chosen (skipped with a confirmation when there is only one), an incident gets a severity
(skipped when a default is configured), the message is recorded and confirmed, and the outcome
command is issued. The machine then waits until the shell reports the outcome stored
(:class:`OutcomeStored`) before announcing it. ``*`` returns to the main menu from every
prompt after authorisation; an invalid key or silence re-prompts at most
:data:`MAX_REPROMPTS` times in a row, then the call ends.

Prompts are render-agnostic: :class:`Ask`, :class:`Listen` and :class:`GoTo` name a
:class:`Step`, which the web layer maps to a callback URL; the state itself stays server-side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from hotline.domain.callin import (
    KEYPAD,
    MAX_PIN_TRIES,
    MAX_REPROMPTS,
    Access,
    Ask,
    Begin,
    CodeRejected,
    Command,
    Conversation,
    CreateIncident,
    Decision,
    Event,
    GoTo,
    HungUp,
    JoinBridge,
    Keys,
    Listen,
    OpenConference,
    Outcome,
    OutcomeFailed,
    OutcomeStored,
    PinChecked,
    Prompt,
    Recorded,
    Refusal,
    Refused,
    Resume,
    SendAlert,
    Stage,
    StartLiveCall,
    Step,
    Timeout,
    VerifyPin,
)
from hotline.domain.hotline_config import SEVERITY_DIGITS, Action, fill
from hotline.domain.incidents import SEVERITY_NAMES
from hotline.domain.voice import Hangup, Say

__all__ = [
    "KEYPAD",
    "MAX_PIN_TRIES",
    "MAX_REPROMPTS",
    "Access",
    "Ask",
    "Begin",
    "CodeRejected",
    "Command",
    "Conversation",
    "CreateIncident",
    "Decision",
    "Event",
    "GoTo",
    "HungUp",
    "JoinBridge",
    "Keys",
    "Listen",
    "OpenConference",
    "Outcome",
    "OutcomeFailed",
    "OutcomeStored",
    "PinChecked",
    "Prompt",
    "Recorded",
    "Refusal",
    "Refused",
    "Resume",
    "SendAlert",
    "Stage",
    "StartLiveCall",
    "Step",
    "Timeout",
    "VerifyPin",
    "current_prompts",
    "decide",
]

# --- transitions ---------------------------------------------------------------------------


def decide(state: Conversation, event: Event, now: datetime) -> Decision:
    """The next state, the commands to execute and what the caller hears next.

    ``now`` is accepted for uniformity with the other machines; silence arrives as
    :class:`Timeout`, so the menu needs no clock. An event the current stage does not expect
    (a duplicate or late webhook) changes nothing and repeats the current prompt.
    """
    handler = TRANSITIONS.get((state.stage, type(event)))
    if handler is None:
        return Decision(state, prompts=current_prompts(state))
    return handler(state, event)


def current_prompts(state: Conversation) -> tuple[Prompt, ...]:
    """What the caller hears in ``state`` (also what a re-prompt repeats)."""
    menu, p = state.menu, state.menu.phrases
    match state.stage:
        case Stage.NUMBER:
            return (Ask(p.ask_number, Step.NUMBER, None, menu.timeout),)
        case Stage.PIN:
            return (Ask(p.ask_pin, Step.PIN, None, menu.timeout),)
        case Stage.MENU:
            return (Ask(menu.menu_text(), Step.MENU, timeout=menu.timeout),)
        case Stage.GROUP if state.action is not None:
            return (Ask(menu.group_text(state.action), Step.GROUP, timeout=menu.timeout),)
        case Stage.SEVERITY:
            return (Ask(menu.severity_text(), Step.SEVERITY, timeout=menu.timeout),)
        case Stage.RECORDING:
            return (Say(p.record), Listen(Step.RECORDING, menu.max_recording))
        case Stage.CONFIRM:
            return (Ask(p.confirm, Step.CONFIRM, timeout=menu.timeout),)
        case Stage.BRIDGE_CODE:
            return (Ask(p.ask_bridge_code, Step.BRIDGE_CODE, None, menu.timeout),)
        case Stage.PENDING:
            return (GoTo(Step.WAIT),)
        case Stage.HANDED_OVER:
            return (GoTo(Step.LIVE_CALL if state.action is Action.LIVE_CALL else Step.BRIDGE),)
        case Stage.ENDED:
            return (Hangup(),)
    return ()  # START and CHECKING_PIN: the shell feeds the next event straight away


def _enter(
    state: Conversation, stage: Stage, *said: Prompt, commands: tuple[Command, ...] = ()
) -> Decision:
    new = replace(state, stage=stage, retries=0)
    return Decision(new, commands, (*said, *current_prompts(new)))


def _end(state: Conversation, text: str, commands: tuple[Command, ...] = ()) -> Decision:
    return Decision(replace(state, stage=Stage.ENDED), commands, (Say(text), Hangup()))


def _reprompt(state: Conversation, *said: Prompt) -> Decision:
    if state.retries >= MAX_REPROMPTS:
        return _end(state, state.menu.phrases.give_up)
    new = replace(state, retries=state.retries + 1)
    return Decision(new, prompts=(*said, *current_prompts(new)))


def _invalid(state: Conversation) -> Decision:
    return _reprompt(state, Say(state.menu.phrases.invalid))


def _main_menu(state: Conversation) -> Decision:
    fresh = replace(state, action=None, group=None, severity=None, recording=None)
    return _enter(fresh, Stage.MENU, Say(state.menu.phrases.main_menu))


def _keys(event: Event) -> str:
    assert isinstance(event, Keys)
    return event.digits


def _begin(state: Conversation, event: Event) -> Decision:
    assert isinstance(event, Begin)
    state = replace(state, access=event.access)
    p = state.menu.phrases
    if event.access is Access.REFUSED:
        return _end(state, p.refused, (Refused(Refusal.NOT_AUTHORISED),))
    if event.access is Access.UNATTESTED:
        return _end(state, p.refused, (Refused(Refusal.UNATTESTED),))
    if event.access is Access.RATE_LIMITED:
        return _end(state, p.rate_limited, (Refused(Refusal.RATE_LIMITED),))
    if event.access is Access.NEEDS_PIN:
        return _enter(state, Stage.PIN)
    if event.access is Access.NEEDS_NUMBER_AND_PIN:
        return _enter(state, Stage.NUMBER)
    return _enter(state, Stage.MENU)


def _no_input(state: Conversation, _: Event) -> Decision:
    return _reprompt(state)


def _number_keys(state: Conversation, event: Event) -> Decision:
    digits = _keys(event)
    if not digits:
        return _reprompt(state)
    if not set(digits) <= KEYPAD:
        return _invalid(state)
    return _enter(replace(state, number=digits), Stage.PIN)


def _pin_keys(state: Conversation, event: Event) -> Decision:
    digits = _keys(event)
    if not digits:
        return _reprompt(state)
    if not set(digits) <= KEYPAD:
        return _invalid(state)
    checking = replace(state, stage=Stage.CHECKING_PIN, retries=0)
    return Decision(checking, (VerifyPin(digits, state.number),))


def _pin_checked(state: Conversation, event: Event) -> Decision:
    assert isinstance(event, PinChecked)
    p = state.menu.phrases
    if event.ok:
        return _enter(replace(state, pin_tries=0), Stage.MENU)
    tries = state.pin_tries + 1
    if tries >= MAX_PIN_TRIES:
        return _end(replace(state, pin_tries=tries), p.refused, (Refused(Refusal.WRONG_PIN),))
    if state.access is Access.NEEDS_NUMBER_AND_PIN:
        retry = replace(state, pin_tries=tries, number=None)
        return _enter(retry, Stage.NUMBER, Say(p.number_pin_wrong))
    return _enter(replace(state, pin_tries=tries), Stage.PIN, Say(p.pin_wrong))


def _menu_keys(state: Conversation, event: Event) -> Decision:
    digits = _keys(event)
    if not digits:
        return _reprompt(state)
    if digits == "*":
        return _main_menu(state)
    action = state.menu.action_digits.get(digits)
    if action is None:
        return _invalid(state)
    chosen = replace(state, action=action, group=None, severity=None, recording=None)
    if action is Action.JOIN_BRIDGE:
        return _enter(replace(chosen, code=None, code_tries=0), Stage.BRIDGE_CODE)
    groups = state.menu.groups
    if len(groups) > 1:
        return _enter(chosen, Stage.GROUP)
    only, p = groups[0], state.menu.phrases
    if not only.on_call:  # nothing else to pick in this action: back to the main menu
        nobody = fill(p.nobody_on_call, group=only.say)
        return _reprompt(state, Say(nobody), Say(p.pick_something_else))
    confirmation = fill(p.for_action(action).one_group, group=only.say)
    return _group_chosen(replace(chosen, group=only), Say(confirmation))


def _group_keys(state: Conversation, event: Event) -> Decision:
    digits = _keys(event)
    if not digits:
        return _reprompt(state)
    if digits == "*":
        return _main_menu(state)
    group = state.menu.group_digits.get(digits)
    if group is None:
        return _invalid(state)
    if not group.on_call:
        p = state.menu.phrases
        nobody = fill(p.nobody_on_call, group=group.say)
        return _reprompt(state, Say(nobody), Say(p.pick_another_group))
    return _group_chosen(replace(state, group=group))


def _group_chosen(state: Conversation, *said: Prompt) -> Decision:
    if state.action is Action.LIVE_CALL:
        return _issue(state, *said)
    if state.action is Action.INCIDENT:
        if state.menu.default_severity is None:
            return _enter(state, Stage.SEVERITY, *said)
        state = replace(state, severity=state.menu.default_severity)
    return _enter(state, Stage.RECORDING, *said)


def _severity_keys(state: Conversation, event: Event) -> Decision:
    digits = _keys(event)
    if not digits:
        return _reprompt(state)
    if digits == "*":
        return _main_menu(state)
    severity = SEVERITY_DIGITS.get(digits)
    if severity is None:
        return _invalid(state)
    return _enter(replace(state, severity=severity), Stage.RECORDING)


def _bridge_code_keys(state: Conversation, event: Event) -> Decision:
    digits = _keys(event)
    if not digits:
        return _reprompt(state)
    if digits == "*":
        return _main_menu(state)
    if not set(digits) <= KEYPAD:
        return _invalid(state)
    return _issue(replace(state, code=digits))


def _code_rejected(state: Conversation, _: Event) -> Decision:
    p = state.menu.phrases
    tries = state.code_tries + 1
    if tries >= MAX_PIN_TRIES:
        return _end(replace(state, code_tries=tries), p.give_up)
    retry = replace(state, code=None, code_tries=tries)
    return _enter(retry, Stage.BRIDGE_CODE, Say(p.no_such_bridge))


def _resume(state: Conversation, event: Event) -> Decision:
    assert isinstance(event, Resume)
    if event.action is Action.INCIDENT and state.group is not None:
        fresh = replace(state, action=Action.INCIDENT, severity=None, recording=None)
        return _group_chosen(replace(fresh, confirmed=False))
    return _main_menu(state)


def _recorded(state: Conversation, event: Event) -> Decision:
    assert isinstance(event, Recorded)
    if event.key == "*":
        return _main_menu(state)
    if event.seconds < state.menu.min_recording:
        return _reprompt(state, Say(state.menu.phrases.too_short))
    return _enter(replace(state, recording=event.recording), Stage.CONFIRM)


def _confirm_keys(state: Conversation, event: Event) -> Decision:
    digits = _keys(event)
    if not digits:
        return _reprompt(state)
    if digits == "*":
        return _main_menu(state)
    if digits == "1":
        return _issue(replace(state, confirmed=True))
    again = replace(state, recording=None)
    return _enter(again, Stage.RECORDING, Say(state.menu.phrases.record_again))


def _issue(state: Conversation, *said: Prompt) -> Decision:
    """Issue the outcome command and hold until the shell has stored it. Joining a bridge
    and starting a live call are answered within the same webhook, so the caller is not
    put on hold for them."""
    if state.action in (Action.JOIN_BRIDGE, Action.LIVE_CALL):
        pending = replace(state, stage=Stage.PENDING, retries=0)
        return Decision(pending, (_outcome(state),), said)
    hold = Say(state.menu.phrases.pending)
    return _enter(state, Stage.PENDING, *said, hold, commands=(_outcome(state),))


def _outcome(state: Conversation) -> Outcome:
    if state.action is Action.JOIN_BRIDGE:
        assert state.code is not None
        return JoinBridge(state.code)
    assert state.group is not None
    group = state.group.name
    if state.action is Action.LIVE_CALL:
        return StartLiveCall(group)
    assert state.recording is not None and state.confirmed
    if state.action is Action.INCIDENT:
        assert state.severity is not None
        return CreateIncident(group, state.severity, state.recording)
    if state.action is Action.CONFERENCE:
        return OpenConference(group, state.recording)
    return SendAlert(group, state.recording)


def _stored(state: Conversation, event: Event) -> Decision:
    assert isinstance(event, OutcomeStored) and state.action is not None
    severity = SEVERITY_NAMES.get(state.severity or 0, "")
    group = state.group.say if state.group else ""
    text = state.menu.phrases.for_action(state.action).done
    done = fill(text, group=group, severity=severity, reference=event.reference)
    if state.action in (Action.ALERT, Action.INCIDENT):
        return _end(state, done)
    return _enter(state, Stage.HANDED_OVER, Say(done))


def _failed(state: Conversation, _: Event) -> Decision:
    return _end(state, state.menu.phrases.failed)


def _hung_up(state: Conversation, _: Event) -> Decision:
    return Decision(replace(state, stage=Stage.ENDED))


Handler = Callable[[Conversation, Event], Decision]

_ASKING = (
    Stage.NUMBER,
    Stage.PIN,
    Stage.MENU,
    Stage.GROUP,
    Stage.SEVERITY,
    Stage.RECORDING,
    Stage.CONFIRM,
    Stage.BRIDGE_CODE,
)

TRANSITIONS: dict[tuple[Stage, type], Handler] = {
    (Stage.START, Begin): _begin,
    (Stage.NUMBER, Keys): _number_keys,
    (Stage.PIN, Keys): _pin_keys,
    (Stage.CHECKING_PIN, PinChecked): _pin_checked,
    (Stage.MENU, Keys): _menu_keys,
    (Stage.GROUP, Keys): _group_keys,
    (Stage.SEVERITY, Keys): _severity_keys,
    (Stage.RECORDING, Recorded): _recorded,
    (Stage.CONFIRM, Keys): _confirm_keys,
    (Stage.BRIDGE_CODE, Keys): _bridge_code_keys,
    (Stage.PENDING, OutcomeStored): _stored,
    (Stage.PENDING, OutcomeFailed): _failed,
    (Stage.PENDING, CodeRejected): _code_rejected,
    (Stage.HANDED_OVER, Resume): _resume,
    **{(stage, Timeout): _no_input for stage in _ASKING},
    **{(stage, HungUp): _hung_up for stage in Stage if stage is not Stage.ENDED},
}
