"""Unit tests for the call-in gates (STIR/SHAKEN, rate limit) in the pure machine, and for
the whitelisted xMatters payload: pure functions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.domain.hotline_config import Action, Menu, MenuGroup, Phrases
from hotline.domain.hotline_menu import Access, Begin, Conversation, Refusal, Refused, Stage, decide
from hotline.domain.voice import Hangup, Say
from hotline.services.callin_auth import attested
from hotline.services.callin_outcomes import TRANSCRIPT_PENDING, Message
from hotline.services.xmatters_forward import FIELDS, NO_TRANSCRIPT, payload
from hotline.settings import SettingsError, load_settings

NOW = datetime(2026, 11, 21, tzinfo=UTC)
P = Phrases()
MENU = Menu((Action.ALERT, Action.INCIDENT), (MenuGroup("dba"),))
LINK = "https://hotline.example/recordings/r1?token=abc.def"


@pytest.mark.parametrize(
    "verstat",
    ["TN-Validation-Passed-A", "TN-Validation-Passed-B", " tn-validation-passed-a "],
)
def test_attestation_a_and_b_pass_the_gate(verstat: str) -> None:
    assert attested(verstat)


@pytest.mark.parametrize(
    "verstat",
    [
        None,
        "",
        "TN-Validation-Passed-C",
        "TN-Validation-Failed-A",
        "TN-Validation-Failed-B",
        "TN-Validation-Failed",
        "No-TN-Validation",
        "TN-Validation-Passed-AB",
        "Passed-A",
    ],
)
def test_anything_but_a_or_b_attestation_fails_the_gate(verstat: str | None) -> None:
    assert not attested(verstat)


@pytest.mark.parametrize(
    ("access", "said", "reason"),
    [
        (Access.UNATTESTED, P.refused, Refusal.UNATTESTED),
        (Access.RATE_LIMITED, P.rate_limited, Refusal.RATE_LIMITED),
    ],
)
def test_a_gate_refusal_is_polite_ends_the_call_and_is_reported(
    access: Access, said: str, reason: Refusal
) -> None:
    decision = decide(Conversation(MENU), Begin(access), NOW)
    assert decision.state.stage is Stage.ENDED
    assert decision.prompts == (Say(said), Hangup())
    assert decision.commands == (Refused(reason),)


def test_the_rate_limit_refusal_has_its_own_words() -> None:
    assert P.rate_limited != P.refused and "too many calls" in P.rate_limited


def message(transcript: str = "The payroll database is down") -> Message:
    return Message(
        group="dba",
        who="Carol Caller",
        caller="+12025550131",
        transcript=transcript,
        recording=LINK,
    )


def test_an_incident_becomes_exactly_the_whitelisted_fields() -> None:
    body = payload(Action.INCIDENT, message(), 2)
    assert body == {
        "recipient": "dba",
        "what": "Incident",
        "severity": "2",
        "transcriptionText": "Hotline call from Carol Caller: The payroll database is down",
        "shortDescription": "Hotline call from Carol Caller: The payroll database is down",
        "shorturl": LINK,
    }
    assert tuple(body) == FIELDS


@pytest.mark.parametrize(
    ("action", "what"), [(Action.ALERT, "Alert"), (Action.CONFERENCE, "Conference")]
)
def test_alerts_and_conferences_carry_the_workflows_default_severity(
    action: Action, what: str
) -> None:
    body = payload(action, message(), None)
    assert body is not None
    assert (body["what"], body["severity"]) == (what, "3")


@pytest.mark.parametrize("action", [Action.LIVE_CALL, Action.JOIN_BRIDGE])
def test_actions_without_a_message_are_not_forwarded(action: Action) -> None:
    assert payload(action, message(), None) is None


def test_the_short_description_is_cut_as_the_xmatters_workflow_cuts_it() -> None:
    body = payload(Action.ALERT, message("word " * 100), None)
    assert body is not None
    assert len(body["transcriptionText"]) > 275
    assert len(body["shortDescription"]) == 274 + len("...")
    assert body["shortDescription"].endswith("...")
    assert body["transcriptionText"].startswith(body["shortDescription"][:-3])


@pytest.mark.parametrize("transcript", [TRANSCRIPT_PENDING, "", "   "])
def test_a_missing_transcript_points_to_the_recording(transcript: str) -> None:
    body = payload(Action.ALERT, message(transcript), None)
    assert body is not None
    assert body["transcriptionText"] == f"Hotline call from Carol Caller: {NO_TRANSCRIPT}"


def test_the_trigger_url_is_a_secret_setting() -> None:
    url = "https://acme.xmatters.com/api/integration/1/functions/f/triggers?apiKey=k3y-s3cret"
    s = load_settings(xmatters_trigger_url=url)
    assert s.xmatters_trigger_url is not None
    assert s.xmatters_trigger_url.get_secret_value() == url
    assert "k3y-s3cret" not in repr(s) and "k3y-s3cret" not in str(s)


def test_a_bad_trigger_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(xmatters_trigger_url="ftp://acme.example/triggers?apiKey=k3y-s3cret")
    assert "XMATTERS_TRIGGER_URL" in str(error.value)
    assert "k3y-s3cret" not in str(error.value)


def test_the_gates_have_sensible_defaults_and_bounds() -> None:
    s = load_settings()
    assert s.hotline_require_stir_shaken is False
    assert (s.hotline_caller_rate_limit, s.hotline_caller_rate_window) == (10, 600)
    assert load_settings(hotline_caller_rate_limit=0).hotline_caller_rate_limit == 0
    with pytest.raises(SettingsError, match="HOTLINE_CALLER_RATE_WINDOW"):
        load_settings(hotline_caller_rate_window=0)
