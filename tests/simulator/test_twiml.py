"""The TwiML parser: document rules (spec §2.1) and the forms the app emits (§2.5)."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from hotline.simulator.twiml import PARSE_FAILURE, SCHEMA_ERROR, TwiMLError, parse


def test_parses_twilio_python_compact_output() -> None:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action="/menu", timeout=3)
    gather.say("Press 1")
    response.append(gather)
    response.redirect("/again")
    verbs = parse(str(response))
    assert [v.name for v in verbs] == ["Gather", "Redirect"]
    assert verbs[0].integer("numDigits", 0) == 1
    assert verbs[0].children[0].text == "Press 1"
    assert verbs[1].text == "/again"


def test_parses_hand_written_indented_xml_and_strips_bodies() -> None:
    verbs = parse(
        """<?xml version="1.0" encoding="UTF-8"?>
        <Response>
            <!-- a comment is ignored -->
            <Dial timeout="10">
                <Number url="/screen">
                    +15551234567
                </Number>
            </Dial>
            <Say loop="2">
                Hello,
                   world
            </Say>
        </Response>"""
    )
    dial, say = verbs
    assert dial.children[0].text == "+15551234567"
    assert dial.children[0].get("url") == "/screen"
    assert say.text == "Hello, world"
    assert say.integer("loop", 1) == 2


def test_plain_number_dial_and_ssml_say() -> None:
    response = VoiceResponse()
    response.append(Dial("+15551230000", caller_id="+15550000001"))
    verbs = parse(str(response))
    assert verbs[0].text == "+15551230000"
    ssml = parse('<Response><Say>Hi <break time="1s"/> <emphasis>there</emphasis></Say></Response>')
    assert ssml[0].text == "Hi there"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("not xml at all", PARSE_FAILURE),
        ("<Response><Say>unclosed</Response>", PARSE_FAILURE),
        ("<response><Say>hi</Say></response>", PARSE_FAILURE),
        ("<Document><Say>hi</Say></Document>", PARSE_FAILURE),
        ('<!DOCTYPE x [<!ENTITY a "b">]><Response/>', PARSE_FAILURE),
        ("<Response><say>lower case</say></Response>", SCHEMA_ERROR),
        ("<Response><Sms>not a voice verb</Sms></Response>", SCHEMA_ERROR),
        ("<Response>loose text</Response>", SCHEMA_ERROR),
        ("<Response><Gather><Dial>1</Dial></Gather></Response>", SCHEMA_ERROR),
        ('<Response><Gather><Play digits="1"/></Gather></Response>', SCHEMA_ERROR),
        ('<Response><Pause length="two"/></Response>', SCHEMA_ERROR),
        ('<Response><Gather numDigits="0"/></Response>', SCHEMA_ERROR),
        ('<Response><Gather finishOnKey="##"/></Response>', SCHEMA_ERROR),
        ('<Response><Reject reason="nope"/></Response>', SCHEMA_ERROR),
        ('<Response><Redirect method="PUT">/x</Redirect></Response>', SCHEMA_ERROR),
        ("<Response><Dial>+1555<Number>+1666</Number></Dial></Response>", SCHEMA_ERROR),
    ],
)
def test_invalid_documents(document: str, code: int) -> None:
    with pytest.raises(TwiMLError) as caught:
        parse(document)
    assert caught.value.code == code


def test_empty_response_has_no_verbs_and_defaults_apply() -> None:
    assert parse("<Response/>") == ()
    (gather,) = parse("<Response><Gather/></Response>")
    assert gather.get("finishOnKey", "#") == "#"
    assert gather.method() == "POST"
    assert gather.flag("actionOnEmptyResult", False) is False
    (record,) = parse('<Response><Record finishOnKey="" playBeep="false"/></Response>')
    assert record.get("finishOnKey") == ""
    assert record.flag("playBeep", True) is False
