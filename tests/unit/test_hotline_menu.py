"""Unit tests for the call-in hotline conversation, ``hotline.domain.hotline_menu.decide``.

Examples are written in domain words ("the caller picks the second group, records ten seconds
and keeps it → an alert for that group"); regression tests are named after the seed system's
bugs they guard against (``spec/seed-behaviour.md`` B.5 to B.9, B.22). Properties drive random
menus with random event sequences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import event as note
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.errors import Invalid
from hotline.domain.hotline_config import (
    MAX_GROUPS,
    SEVERITY_DIGITS,
    Action,
    ActionPhrases,
    Menu,
    MenuGroup,
    Phrases,
)
from hotline.domain.hotline_menu import (
    MAX_PIN_TRIES,
    MAX_REPROMPTS,
    TRANSITIONS,
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
    OutcomeFailed,
    OutcomeStored,
    PinChecked,
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
    current_prompts,
    decide,
)
from hotline.domain.voice import Hangup, Say

NOW = datetime(2026, 11, 21, tzinfo=UTC)
PROPERTY = settings(max_examples=200, deadline=None)
P = Phrases()
DBA = MenuGroup("dba", "the database team")
NET = MenuGroup("net", "the network team")
WEB = MenuGroup("web", "the web team")
GROUPS = (DBA, NET, WEB)
ALL = tuple(Action)  # alert 1, conference 2, incident 3, live call 4, join bridge 5
OUTCOMES = (SendAlert, OpenConference, CreateIncident, StartLiveCall, JoinBridge)
GROUP_ACTIONS = [a for a in Action if a.needs_group]


def hotline(actions: tuple[Action, ...] = ALL, **options: object) -> Menu:
    options.setdefault("groups", GROUPS)
    return Menu(actions, **options)  # type: ignore[arg-type]


def digit_of(menu: Menu, action: Action) -> str:
    return str(menu.actions.index(action) + 1)


@dataclass
class Call:
    """One caller on the line, driving the machine the way the web layer would."""

    state: Conversation
    last: Decision = field(init=False)
    commands: list[Command] = field(default_factory=list)

    @classmethod
    def dial(cls, menu: Menu | None = None, access: Access = Access.AUTHORISED) -> Call:
        call = cls(Conversation(menu or hotline()))
        call.send(Begin(access))
        return call

    def send(self, event: Event) -> Decision:
        self.last = decide(self.state, event, NOW)
        self.state = self.last.state
        self.commands.extend(self.last.commands)
        return self.last

    def press(self, keys: str) -> Decision:
        return self.send(Keys(keys))

    def silence(self) -> Decision:
        return self.send(Timeout())

    def record(self, seconds: float = 10, key: str | None = "#", name: str = "RE1") -> Decision:
        return self.send(Recorded(name, seconds, key))

    @property
    def stage(self) -> Stage:
        return self.state.stage

    @property
    def heard(self) -> str:
        texts = [p.text for p in self.last.prompts if isinstance(p, Say | Ask)]
        return " ".join(texts)

    @property
    def asked(self) -> Step | None:
        steps = [p.step for p in self.last.prompts if isinstance(p, Ask | Listen | GoTo)]
        return steps[-1] if steps else None

    @property
    def hung_up(self) -> bool:
        return bool(self.last.prompts) and isinstance(self.last.prompts[-1], Hangup)

    @property
    def outcomes(self) -> list[Command]:
        return [c for c in self.commands if isinstance(c, OUTCOMES)]


# --- reaching each prompt ------------------------------------------------------------------


def at_menu() -> Call:
    return Call.dial()


def at_group() -> Call:
    call = Call.dial()
    call.press(digit_of(call.state.menu, Action.ALERT))
    return call


def at_severity() -> Call:
    call = Call.dial()
    call.press(digit_of(call.state.menu, Action.INCIDENT))
    call.press("1")
    return call


def at_recording() -> Call:
    call = at_group()
    call.press("2")
    return call


def at_confirm() -> Call:
    call = at_recording()
    call.record()
    return call


def at_pin() -> Call:
    return Call.dial(access=Access.NEEDS_PIN)


def at_number() -> Call:
    return Call.dial(access=Access.NEEDS_NUMBER_AND_PIN)


MENU_PROMPTS: dict[Step, Callable[[], Call]] = {
    Step.MENU: at_menu,
    Step.GROUP: at_group,
    Step.SEVERITY: at_severity,
    Step.CONFIRM: at_confirm,
}
KEYED_PROMPTS = {**MENU_PROMPTS, Step.PIN: at_pin, Step.NUMBER: at_number}
EVERY_PROMPT = {**MENU_PROMPTS, Step.RECORDING: at_recording}
INVALID_KEYS: dict[Step, str] = {
    Step.MENU: "0",
    Step.GROUP: "4",
    Step.SEVERITY: "6",
    Step.CONFIRM: "",  # any key but 1 and * records again; only silence re-prompts
    Step.PIN: "12*",
    Step.NUMBER: "#",
}


def test_every_prompt_is_reached_by_its_helper() -> None:
    for step, reach in {**KEYED_PROMPTS, **EVERY_PROMPT}.items():
        assert reach().asked is step


# --- authorisation -------------------------------------------------------------------------


def test_an_authorised_caller_hears_the_main_menu_straight_away() -> None:
    call = Call.dial()
    assert call.stage is Stage.MENU
    assert call.last.prompts == (Ask(call.state.menu.menu_text(), Step.MENU, timeout=8),)


def test_a_refused_caller_hears_a_polite_refusal_and_the_call_ends() -> None:
    call = Call.dial(access=Access.REFUSED)
    assert call.stage is Stage.ENDED and call.hung_up
    assert call.heard == P.refused
    assert call.commands == [Refused(Refusal.NOT_AUTHORISED)]


def test_the_right_pin_opens_the_main_menu() -> None:
    call = Call.dial(access=Access.NEEDS_PIN)
    assert call.last.prompts == (Ask(P.ask_pin, Step.PIN, None, 8),)
    decision = call.press("4321")
    assert decision.commands == (VerifyPin("4321", None),) and decision.prompts == ()
    assert "4321" not in repr(call.state)  # the PIN is never kept
    call.send(PinChecked(ok=True))
    assert call.asked is Step.MENU


def test_a_wrong_pin_asks_again_and_three_wrong_pins_refuse_the_caller() -> None:
    call = Call.dial(access=Access.NEEDS_PIN)
    for _ in range(MAX_PIN_TRIES - 1):
        call.press("0000")
        call.send(PinChecked(ok=False))
        assert call.heard == f"{P.pin_wrong} {P.ask_pin}" and call.asked is Step.PIN
    call.press("0000")
    call.send(PinChecked(ok=False))
    assert call.stage is Stage.ENDED and call.hung_up and call.heard == P.refused
    assert call.commands[-1] == Refused(Refusal.WRONG_PIN)
    assert not call.outcomes


def test_a_right_pin_on_the_third_try_is_accepted() -> None:
    call = Call.dial(access=Access.NEEDS_PIN)
    for ok in (False, False, True):
        call.press("1234")
        call.send(PinChecked(ok=ok))
    assert call.asked is Step.MENU


def test_a_withheld_caller_keys_in_number_and_pin() -> None:
    call = Call.dial(access=Access.NEEDS_NUMBER_AND_PIN)
    assert call.last.prompts == (Ask(P.ask_number, Step.NUMBER, None, 8),)
    call.press("15551234567")
    assert call.asked is Step.PIN
    assert call.press("9999").commands == (VerifyPin("9999", "15551234567"),)
    call.send(PinChecked(ok=False))
    assert call.heard.startswith(P.number_pin_wrong) and call.asked is Step.NUMBER
    call.press("15551234567")
    call.press("1234")
    call.send(PinChecked(ok=True))
    assert call.asked is Step.MENU


def test_star_at_the_pin_prompt_is_an_invalid_entry_not_a_pin_try() -> None:
    call = Call.dial(access=Access.NEEDS_PIN)
    call.press("*")
    assert call.heard == f"{P.invalid} {P.ask_pin}" and not call.commands


# --- main menu -----------------------------------------------------------------------------


def test_the_spoken_menu_follows_the_configured_order() -> None:
    menu = hotline((Action.INCIDENT, Action.ALERT))
    assert menu.menu_text() == (
        f"{P.menu_intro} For a new incident, press 1. For an alert to a group, press 2. "
        f"{P.star_hint}"
    )
    call = Call.dial(menu)
    call.press("1")
    assert call.state.action is Action.INCIDENT and call.asked is Step.GROUP


@pytest.mark.parametrize("key", ["0", "6", "9", "#", "12"])
def test_a_key_that_is_not_on_the_main_menu_is_invalid(key: str) -> None:
    """Seed B.22 #14: ``0`` passed the validity test."""
    call = Call.dial()
    call.press(key)
    assert call.stage is Stage.MENU and call.heard == f"{P.invalid} {call.state.menu.menu_text()}"


def test_join_bridge_asks_for_the_code_and_needs_no_group_nor_recording() -> None:
    call = Call.dial(Menu((Action.JOIN_BRIDGE,)))
    call.press("1")
    assert call.asked is Step.BRIDGE_CODE and call.heard == P.ask_bridge_code
    call.press("4711")
    assert call.outcomes == [JoinBridge("4711")] and call.stage is Stage.PENDING
    call.send(OutcomeStored("4711"))
    assert call.stage is Stage.HANDED_OVER and call.asked is Step.BRIDGE


def test_an_unknown_bridge_code_asks_again_and_three_end_the_call() -> None:
    call = Call.dial(Menu((Action.JOIN_BRIDGE,)))
    call.press("1")
    for attempt in range(1, 3):
        call.press(str(attempt))
        call.send(CodeRejected())
        assert call.asked is Step.BRIDGE_CODE
        assert call.heard == f"{P.no_such_bridge} {P.ask_bridge_code}"
    call.press("3")
    call.send(CodeRejected())
    assert call.stage is Stage.ENDED and call.hung_up and call.heard == P.give_up


def test_star_at_the_bridge_code_prompt_returns_to_the_main_menu() -> None:
    call = Call.dial(Menu((Action.JOIN_BRIDGE, Action.ALERT), (MenuGroup("ops"),)))
    call.press("1")
    call.press("*")
    assert call.stage is Stage.MENU and call.asked is Step.MENU


def at_live_call() -> Call:
    call = Call.dial(Menu((Action.LIVE_CALL, Action.INCIDENT), (MenuGroup("ops"),)))
    call.press("1")
    call.send(OutcomeStored())
    assert call.stage is Stage.HANDED_OVER and call.asked is Step.LIVE_CALL
    return call


def test_a_caller_back_from_a_live_call_can_pick_again_from_the_main_menu() -> None:
    call = at_live_call()
    call.send(Resume())
    assert call.stage is Stage.MENU and call.state.group is None and call.asked is Step.MENU


def test_a_caller_back_from_a_live_call_can_leave_a_message_for_an_incident() -> None:
    call = at_live_call()
    call.send(Resume(Action.INCIDENT))
    assert call.asked is Step.SEVERITY and call.state.group == MenuGroup("ops")
    call.press("2")
    call.record()
    call.press("1")
    assert call.outcomes == [StartLiveCall("ops"), CreateIncident("ops", 2, "RE1")]


# --- star, invalid keys and silence at every prompt ----------------------------------------


@pytest.mark.parametrize("step", list(EVERY_PROMPT))
def test_star_returns_to_the_main_menu_from_every_prompt(step: Step) -> None:
    call = EVERY_PROMPT[step]()
    if step is Step.RECORDING:
        call.record(seconds=5, key="*")
    else:
        call.press("*")
    assert call.stage is Stage.MENU
    assert call.heard == f"{P.main_menu} {call.state.menu.menu_text()}"
    assert call.state.action is None and call.state.group is None
    assert call.state.recording is None and not call.outcomes


@pytest.mark.parametrize("step", list(KEYED_PROMPTS))
def test_silence_repeats_the_prompt_without_calling_it_invalid(step: Step) -> None:
    """Seed B.22 #14: a timeout was reported as "Invalid Digit"."""
    call = KEYED_PROMPTS[step]()
    first = call.last.prompts[-1]
    call.silence()
    assert call.last.prompts == (first,) and P.invalid not in call.heard


@pytest.mark.parametrize("step", list(KEYED_PROMPTS))
@pytest.mark.parametrize("how", ["invalid", "silence"])
def test_three_re_prompts_then_goodbye_at_every_prompt(step: Step, how: str) -> None:
    """Seed B.22 #14: re-prompt loops were unbounded."""
    call = KEYED_PROMPTS[step]()
    prompt = call.last.prompts[-1]
    key = INVALID_KEYS[step] if how == "invalid" else ""
    for _ in range(MAX_REPROMPTS):
        call.press(key) if how == "invalid" else call.silence()
        assert call.last.prompts[-1] == prompt
        assert (P.invalid in call.heard) is (how == "invalid" and key != "")
    call.press(key) if how == "invalid" else call.silence()
    assert call.stage is Stage.ENDED and call.hung_up and call.heard == P.give_up
    assert not call.outcomes


@pytest.mark.parametrize("how", ["too short", "silence"])
def test_three_re_prompts_then_goodbye_at_the_recording(how: str) -> None:
    call = at_recording()
    for _ in range(MAX_REPROMPTS):
        call.record(seconds=1) if how == "too short" else call.silence()
        assert call.asked is Step.RECORDING
    call.record(seconds=1) if how == "too short" else call.silence()
    assert call.stage is Stage.ENDED and call.heard == P.give_up and not call.outcomes


def test_a_valid_choice_resets_the_re_prompt_count() -> None:
    call = Call.dial()
    call.press("0")
    call.silence()
    call.press("1")  # alert: the group menu
    for _ in range(MAX_REPROMPTS):
        call.press("7")
        assert call.asked is Step.GROUP
    call.press("1")
    assert call.asked is Step.RECORDING


# --- group menu ----------------------------------------------------------------------------


def test_the_group_menu_lists_the_groups_in_order() -> None:
    call = at_group()
    assert call.heard == (
        f"{P.alert.choose_group} For the database team, press 1. "
        "For the network team, press 2. For the web team, press 3."
    )


def test_a_group_with_nobody_on_call_is_announced_and_the_caller_picks_again() -> None:
    menu = hotline(groups=(DBA, MenuGroup("net", "the network team", on_call=False)))
    call = Call.dial(menu)
    call.press("1")
    call.press("2")
    assert call.asked is Step.GROUP
    assert call.heard.startswith("Nobody in the network team is on call at the moment.")
    assert P.pick_another_group in call.heard
    call.press("1")
    assert call.state.group == DBA and call.asked is Step.RECORDING


def test_nine_groups_at_most() -> None:
    groups = tuple(MenuGroup(f"g{i}") for i in range(MAX_GROUPS + 1))
    assert len(hotline(groups=groups[:MAX_GROUPS]).group_digits) == MAX_GROUPS
    with pytest.raises(Invalid):
        hotline(groups=groups)


def _with_action_at(action: Action, position: int) -> tuple[Action, ...]:
    others = [a for a in Action if a is not action]
    return (*others[: position - 1], action, *others[position - 1 :])


@pytest.mark.parametrize("position", range(1, len(Action) + 1))
@pytest.mark.parametrize("action", GROUP_ACTIONS)
def test_one_group_skips_the_group_menu_for_every_action_position(
    action: Action, position: int
) -> None:
    """Seed B.22 #12: with one group, the action digit was used as the group index."""
    menu = hotline(_with_action_at(action, position), groups=(NET,))
    call = Call.dial(menu)
    call.press(str(position))
    assert call.state.action is action and call.state.group == NET
    assert call.heard.startswith(P.for_action(action).one_group.format(group="the network team"))
    assert call.asked is not Step.GROUP
    if action is Action.INCIDENT:
        call.press("2")
    if action.needs_recording:
        call.record()
        call.press("1")
    assert len(call.outcomes) == 1 and getattr(call.outcomes[0], "group", None) == "net"


@pytest.mark.parametrize("action", GROUP_ACTIONS)
def test_one_group_with_nobody_on_call_returns_to_the_main_menu(action: Action) -> None:
    menu = hotline(groups=(MenuGroup("dba", "the database team", on_call=False),))
    call = Call.dial(menu)
    call.press(digit_of(menu, action))
    assert call.stage is Stage.MENU and not call.outcomes
    assert call.heard == (
        f"Nobody in the database team is on call at the moment. {P.pick_something_else} "
        f"{menu.menu_text()}"
    )


# --- severity ------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "severity"), SEVERITY_DIGITS.items())
def test_the_keypad_sets_the_incident_severity(key: str, severity: int) -> None:
    call = at_severity()
    assert call.asked is Step.SEVERITY
    call.press(key)
    call.record()
    call.press("1")
    assert call.outcomes == [CreateIncident("dba", severity, "RE1")]


def test_the_severity_prompt_names_each_level() -> None:
    assert at_severity().heard == (
        f"{P.severity_question} For critical, press 1. For high, press 2. "
        "For medium, press 3. For low, press 4. For minimal, press 5."
    )


def test_a_default_severity_skips_the_prompt() -> None:
    call = Call.dial(hotline(default_severity=4))
    call.press(digit_of(call.state.menu, Action.INCIDENT))
    call.press("3")
    assert call.asked is Step.RECORDING and call.state.severity == 4
    call.record()
    call.press("1")
    assert call.outcomes == [CreateIncident("web", 4, "RE1")]


# --- recording and confirmation ------------------------------------------------------------


def test_the_recording_starts_after_a_beep_with_the_configured_maximum() -> None:
    assert at_recording().last.prompts == (Say(P.record), Listen(Step.RECORDING, 90))
    call = Call.dial(hotline(max_recording=30))
    call.press("1")
    call.press("1")
    assert call.last.prompts[-1] == Listen(Step.RECORDING, 30, beep=True)


@pytest.mark.parametrize("key", ["1", "5", "0", "#"])
def test_any_key_ends_the_recording(key: str) -> None:
    call = at_recording()
    call.record(seconds=12, key=key)
    assert call.asked is Step.CONFIRM and call.heard == P.confirm


def test_reaching_the_maximum_length_counts_as_finished() -> None:
    """Seed B.9: no key at maxLength left the caller with an application error."""
    call = at_recording()
    call.record(seconds=90, key=None)
    assert call.asked is Step.CONFIRM and call.state.recording == "RE1"


def test_a_recording_under_two_seconds_is_asked_for_again() -> None:
    call = at_recording()
    call.record(seconds=1.9)
    assert call.heard == f"{P.too_short} {P.record}" and call.asked is Step.RECORDING
    call.record(seconds=2, name="RE2")
    call.press("1")
    assert call.outcomes == [SendAlert("net", "RE2")]


@pytest.mark.parametrize("key", ["2", "9", "0", "#"])
def test_any_other_key_at_the_confirmation_records_again(key: str) -> None:
    call = at_confirm()
    call.press(key)
    assert call.heard == f"{P.record_again} {P.record}" and call.asked is Step.RECORDING
    assert call.state.recording is None
    call.record(name="RE2")
    call.press("1")
    assert call.outcomes == [SendAlert("net", "RE2")]


def test_one_keeps_the_recording_and_issues_the_outcome() -> None:
    call = at_confirm()
    decision = call.press("1")
    assert decision.commands == (SendAlert("net", "RE1"),)
    assert decision.prompts == (Say(P.pending), GoTo(Step.WAIT))


# --- outcome -------------------------------------------------------------------------------


def test_the_outcome_is_announced_only_after_it_is_stored() -> None:
    call = at_confirm()
    call.press("1")
    for event in (Timeout(), Keys("1"), PinChecked(ok=True)):
        assert call.send(event) == Decision(call.state, (), (GoTo(Step.WAIT),))
    assert len(call.outcomes) == 1
    call.send(OutcomeStored("INC0042"))
    assert call.heard == "Done. the network team has been alerted. Goodbye."
    assert call.stage is Stage.ENDED and call.hung_up


def test_a_stored_incident_is_announced_with_its_severity() -> None:
    call = at_severity()
    call.press("1")
    call.record()
    call.press("1")
    call.send(OutcomeStored("7"))
    assert call.heard == "Done. A critical incident is open for the database team. Goodbye."


@pytest.mark.parametrize(
    ("action", "step"),
    [(Action.CONFERENCE, Step.BRIDGE), (Action.LIVE_CALL, Step.LIVE_CALL)],
)
def test_conference_and_live_call_hand_the_caller_over(action: Action, step: Step) -> None:
    call = Call.dial()
    call.press(digit_of(call.state.menu, action))
    call.press("1")
    if action.needs_recording:
        call.record()
        call.press("1")
    assert call.stage is Stage.PENDING
    call.send(OutcomeStored())
    assert call.stage is Stage.HANDED_OVER and call.last.prompts[-1] == GoTo(step)
    assert call.heard == P.for_action(action).done.format(group="the database team")


def test_a_live_call_needs_no_recording() -> None:
    call = Call.dial()
    call.press(digit_of(call.state.menu, Action.LIVE_CALL))
    call.press("3")
    assert call.outcomes == [StartLiveCall("web")]


def test_a_failed_outcome_is_admitted_and_the_call_ends() -> None:
    call = at_confirm()
    call.press("1")
    call.send(OutcomeFailed("ticketing down"))
    assert call.heard == P.failed and call.stage is Stage.ENDED and call.hung_up


# --- hang-up -------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [*KEYED_PROMPTS, Step.RECORDING])
def test_hanging_up_at_any_prompt_ends_without_an_outcome(step: Step) -> None:
    call = {**KEYED_PROMPTS, **EVERY_PROMPT}[step]()
    decision = call.send(HungUp())
    assert call.stage is Stage.ENDED and decision.commands == () and decision.prompts == ()
    assert not call.outcomes
    call.send(OutcomeStored())
    assert call.stage is Stage.ENDED and not call.outcomes


def test_hanging_up_after_confirming_keeps_the_single_outcome() -> None:
    call = at_confirm()
    call.press("1")
    call.send(HungUp())
    call.send(OutcomeStored())
    assert call.stage is Stage.ENDED and call.outcomes == [SendAlert("net", "RE1")]


# --- phrases and configuration -------------------------------------------------------------


def test_every_phrase_is_configurable_with_placeholders() -> None:
    phrases = Phrases(
        option="Taste {digit} für {label}.",
        menu_intro="Hallo.",
        star_hint="",
        alert=ActionPhrases(label="Alarm", one_group="Alarm an {group} {unknown} {"),
    )
    call = Call.dial(hotline((Action.ALERT,), groups=(DBA,), phrases=phrases))
    assert call.heard == "Hallo. Taste 1 für Alarm."
    call.press("1")
    assert call.heard.startswith("Alarm an {group} {unknown} {")  # a broken phrase is kept
    fixed = Phrases(alert=ActionPhrases(label="Alarm", one_group="Alarm an {group} {unknown}"))
    call = Call.dial(hotline((Action.ALERT,), groups=(DBA,), phrases=fixed))
    call.press("1")
    assert call.heard.startswith("Alarm an the database team {unknown}")


@pytest.mark.parametrize(
    "options",
    [
        {"actions": ()},
        {"actions": (Action.ALERT, Action.ALERT)},
        {"actions": (Action.ALERT,), "groups": ()},
        {"actions": (Action.ALERT,), "default_severity": 6},
        {"actions": (Action.ALERT,), "max_recording": 2},
    ],
)
def test_an_impossible_menu_is_refused(options: dict[str, object]) -> None:
    options.setdefault("groups", GROUPS)
    with pytest.raises(Invalid):
        Menu(**options)  # type: ignore[arg-type]


def test_an_unexpected_event_changes_nothing_and_repeats_the_prompt() -> None:
    call = at_group()
    before = call.state
    decision = call.send(PinChecked(ok=True))
    assert decision == Decision(before, (), current_prompts(before))


def test_the_transition_table_only_names_real_stages_and_events() -> None:
    assert {stage for stage, _ in TRANSITIONS} <= set(Stage)
    assert all((stage, HungUp) in TRANSITIONS for stage in Stage if stage is not Stage.ENDED)


# --- properties ----------------------------------------------------------------------------

KEY_INPUTS = [*"0123456789", "*", "#", "", "1234", "12*"]

groups_st = st.lists(
    st.builds(
        MenuGroup,
        name=st.sampled_from(["dba", "net", "web", "ops", "sec"]),
        spoken=st.sampled_from(["", "Team A", "Team B"]),
        on_call=st.booleans(),
    ),
    min_size=1,
    max_size=MAX_GROUPS,
)
menus = st.builds(
    Menu,
    actions=st.lists(st.sampled_from(Action), min_size=1, max_size=5, unique=True).map(tuple),
    groups=groups_st.map(tuple),
    default_severity=st.none() | st.integers(1, 5),
    max_recording=st.integers(3, 120),
)
recordings = st.builds(
    Recorded,
    recording=st.sampled_from(["RE1", "RE2", "RE3"]),
    seconds=st.sampled_from([0.0, 1.9, 2.0, 15.0, 90.0]) | st.floats(0, 130),
    key=st.sampled_from([None, "1", "2", "*", "#"]),
)
events: st.SearchStrategy[Event] = st.one_of(
    st.sampled_from(KEY_INPUTS).map(Keys),
    st.just(Timeout()),
    st.builds(PinChecked, ok=st.booleans()),
    recordings,
    st.builds(OutcomeStored, reference=st.sampled_from(["", "INC1"])),
    st.builds(OutcomeFailed),
    st.just(HungUp()),
)
ANSWERS: dict[Stage, tuple[type, ...]] = {
    stage: (Keys, Timeout)
    for stage in (Stage.NUMBER, Stage.PIN, Stage.MENU, Stage.GROUP, Stage.SEVERITY, Stage.CONFIRM)
}
ANSWERS[Stage.RECORDING] = (Recorded, Timeout)


def _is_star(event: Event) -> bool:
    return (isinstance(event, Keys) and event.digits == "*") or (
        isinstance(event, Recorded) and event.key == "*"
    )


PLAUSIBLE: dict[Stage, st.SearchStrategy[Event]] = {
    Stage.CHECKING_PIN: st.builds(PinChecked, ok=st.booleans()),
    Stage.RECORDING: recordings,
    Stage.PENDING: st.builds(OutcomeStored) | st.builds(OutcomeFailed),
}
USUAL_KEYS = st.sampled_from("12345").map(Keys) | st.sampled_from([*"06789*#", "", "1234"]).map(
    Keys
)


@PROPERTY
@given(menu=menus, access=st.sampled_from(Access), data=st.data())
def test_random_calls_keep_every_promise(menu: Menu, access: Access, data: st.DataObject) -> None:
    """Mostly what the current prompt expects (so calls get deep), sometimes anything."""
    state = Conversation(menu)
    decision = decide(state, Begin(access), NOW)
    state, outcomes, kept, in_a_row = decision.state, 0, None, 0
    for _ in range(80):
        if state.stage is Stage.ENDED and data.draw(st.booleans()):
            break
        plausible = PLAUSIBLE.get(state.stage, USUAL_KEYS)
        event = data.draw(plausible if data.draw(st.integers(0, 19)) else events)
        before = state
        decision = decide(before, event, NOW)
        state = decision.state
        # an outcome only ever follows a kept recording, and at most one per call
        for command in decision.commands:
            if isinstance(command, OUTCOMES):
                outcomes += 1
                note(f"outcome {type(command).__name__}")
                assert outcomes == 1
                if isinstance(command, SendAlert | OpenConference | CreateIncident):
                    assert before.stage is Stage.CONFIRM and event == Keys("1")
                    assert command.recording == kept
        if before.stage is Stage.RECORDING and state.stage is Stage.CONFIRM:
            assert isinstance(event, Recorded)
            kept = event.recording
        # a hang-up always ends the call, for good
        if isinstance(event, HungUp) or before.stage is Stage.ENDED:
            assert state.stage is Stage.ENDED
        # re-prompts never run more than three in a row
        answer = isinstance(event, ANSWERS.get(before.stage, ()))
        if answer and state.stage is before.stage and not _is_star(event):
            in_a_row += 1
        elif answer or state.stage is not before.stage:
            in_a_row = 0
        assert in_a_row <= MAX_REPROMPTS and state.retries <= MAX_REPROMPTS
        # the caller always hears something while the call is live; menus match their maps
        # (joining a bridge and a live call are answered by the shell in the same webhook)
        answered_now = any(isinstance(c, JoinBridge | StartLiveCall) for c in decision.commands)
        if state.stage not in (Stage.ENDED, Stage.CHECKING_PIN) and not answered_now:
            assert decision.prompts
        for prompt in decision.prompts:
            if isinstance(prompt, Ask) and prompt.step is Step.MENU:
                assert prompt.text == menu.menu_text()


@PROPERTY
@given(menu=menus)
def test_the_spoken_menus_always_match_their_digit_maps(menu: Menu) -> None:
    spoken = re.findall(r"For (.+?), press (\d)\.", menu.menu_text())
    expected = [(P.for_action(a).label, d) for d, a in menu.action_digits.items()]
    assert spoken == expected
    assert list(menu.action_digits) == [str(i) for i in range(1, len(menu.actions) + 1)]
    for action in menu.actions:
        if action.needs_group:
            groups = re.findall(r"For (.+?), press (\d)\.", menu.group_text(action))
            assert groups == [(g.say, d) for d, g in menu.group_digits.items()]


@PROPERTY
@given(menu=menus, digit=st.sampled_from([*"0123456789", "*", "#"]))
def test_a_main_menu_digit_does_what_the_menu_says(menu: Menu, digit: str) -> None:
    state = decide(Conversation(menu), Begin(Access.AUTHORISED), NOW).state
    decision = decide(state, Keys(digit), NOW)
    action = menu.action_digits.get(digit)
    if action is not None and decision.state.stage is not Stage.MENU:
        assert decision.state.action is action
    elif digit != "*":
        assert decision.state.stage is Stage.MENU and decision.state.retries == 1
