"""<Enqueue>/<Leave>/<Dial><Queue> and <Dial><Conference> (spec §1.11, §1.12, §2.2, §2.4)."""

from __future__ import annotations

import asyncio

from hotline.simulator import PhoneScript, Simulator

from .conftest import CALLER, NUMBER, TwimlApp, eventually, kinds, said

AGENT_LINE = "+15550000002"
SECOND_CALLER = "+15558000002"


async def call_in(
    sim: Simulator,
    twiml_app: TwimlApp,
    number: str,
    path: str,
    twiml: str,
    caller: str,
    script: PhoneScript,
) -> str:
    sim.configure_number(number, voice_url=twiml_app.route(path, twiml))
    return await sim.inbound_call(caller, number, script)


async def test_enqueue_wait_url_loops_and_dial_queue_bridges(
    sim: Simulator, twiml_app: TwimlApp
) -> None:
    twiml_app.route("/hold", "<Response><Say>All agents are busy</Say></Response>")
    twiml_app.route("/whisper", "<Response><Say>Connecting you to an agent</Say></Response>")
    twiml_app.route("/left-queue", "<Response><Say>Goodbye</Say></Response>")
    caller = await call_in(
        sim,
        twiml_app,
        NUMBER,
        "/in",
        '<Response><Enqueue waitUrl="/hold" action="/left-queue">support</Enqueue></Response>',
        CALLER,
        PhoneScript(),
    )
    await eventually(lambda: len(twiml_app.to("/hold")) >= 3)  # re-requested: it loops
    agent = await call_in(
        sim,
        twiml_app,
        AGENT_LINE,
        "/agent",
        '<Response><Dial action="/agent-done" timeLimit="30"><Queue url="/whisper">support'
        "</Queue></Dial></Response>",
        SECOND_CALLER,
        PhoneScript(),
    )
    twiml_app.route("/agent-done", "<Response><Hangup/></Response>")
    await sim.wait_for_call_end(agent)
    caller_call = await sim.wait_for_call_end(caller)
    hold = twiml_app.to("/hold")
    assert [h.params["QueuePosition"] for h in hold][:2] == ["1", "1"]
    assert {"QueueSid", "QueueTime", "AvgQueueTime", "CurrentQueueSize", "MaxQueueSize"} <= set(
        hold[0].params
    )
    assert hold[0].params["MaxQueueSize"] == "1000"
    (whisper,) = twiml_app.to("/whisper")
    assert whisper.params["CallSid"] == caller and whisper.params["DequeingCallSid"] == agent
    assert said(sim.call_log(caller))[-2:] == [
        "Connecting you to an agent",
        "Goodbye",
    ]
    (result,) = twiml_app.to("/left-queue")
    assert result.params["QueueResult"] == "bridged"
    assert result.params["QueueSid"] == hold[0].params["QueueSid"]
    (dialed,) = twiml_app.to("/agent-done")
    assert dialed.params["DialCallStatus"] == "completed"
    assert dialed.params["DialCallSid"] == caller
    assert dialed.params["QueueSid"] == hold[0].params["QueueSid"]
    assert dialed.params["DialCallDuration"] == "30"
    assert caller_call["status"] == "completed"


async def test_leave_and_no_action_fall_through(sim: Simulator, twiml_app: TwimlApp) -> None:
    twiml_app.route("/hold", "<Response><Say>Sorry</Say><Leave/></Response>")
    caller = await call_in(
        sim,
        twiml_app,
        NUMBER,
        "/in",
        '<Response><Enqueue waitUrl="/hold">support</Enqueue><Say>You left</Say></Response>',
        CALLER,
        PhoneScript(),
    )
    await sim.wait_for_call_end(caller)
    log = sim.call_log(caller)
    assert said(log) == ["Sorry", "You left"]
    assert [e["QueueResult"] for e in kinds(log, "queue") if "QueueResult" in e] == ["leave"]


async def test_hanging_up_in_the_queue_still_requests_the_action(
    sim: Simulator, twiml_app: TwimlApp
) -> None:
    caller = await call_in(
        sim,
        twiml_app,
        NUMBER,
        "/in",
        '<Response><Enqueue action="/after">support</Enqueue></Response>',
        CALLER,
        PhoneScript(hangup_after=20),
    )
    call = await sim.wait_for_call_end(caller)
    (after,) = twiml_app.to("/after")
    assert after.params["QueueResult"] == "hangup"
    assert after.params["QueueTime"] == "20" == call["duration"]
    assert kinds(sim.call_log(caller), "play")[0]["url"].endswith("classical-hold-music")


async def test_dial_queue_that_stays_empty_or_does_not_exist(
    sim: Simulator, twiml_app: TwimlApp
) -> None:
    sim.engine.queues.open("empty")
    agent = await call_in(
        sim,
        twiml_app,
        AGENT_LINE,
        "/agent",
        '<Response><Dial action="/r1" timeout="10"><Queue>empty</Queue></Dial>'
        '<Dial action="/r2"><Queue>nowhere</Queue></Dial></Response>',
        SECOND_CALLER,
        PhoneScript(),
    )
    twiml_app.route("/r1", '<Response><Dial action="/r2"><Queue>nowhere</Queue></Dial></Response>')
    await sim.wait_for_call_end(agent)
    assert twiml_app.to("/r1")[0].params["DialCallStatus"] == "no-answer"
    assert twiml_app.to("/r2")[0].params["DialCallStatus"] == "failed"


CONFERENCE = (
    '<Response><Dial action="/conf-done"><Conference waitUrl="/wait" statusCallback="/conf"'
    ' statusCallbackEvent="start end join leave" {extra}>standup</Conference></Dial>'
    "<Say>after</Say></Response>"
)


async def test_conference_wait_url_is_not_looped_and_participants_are_bridged(
    sim: Simulator, twiml_app: TwimlApp
) -> None:
    twiml_app.route("/wait", "<Response><Say>Waiting for others</Say></Response>")
    first = await call_in(
        sim,
        twiml_app,
        NUMBER,
        "/in",
        CONFERENCE.format(extra=""),
        CALLER,
        PhoneScript(hangup_after=300),
    )
    await eventually(lambda: twiml_app.to("/wait"))
    await asyncio.sleep(0.05)  # 50 simulated seconds alone: the wait TwiML is not re-requested
    assert len(twiml_app.to("/wait")) == 1
    second = await sim.inbound_call(SECOND_CALLER, NUMBER, PhoneScript(hangup_after=10))
    await sim.wait_for_call_end(second)
    await sim.wait_for_call_end(first)
    await sim.idle(timeout=5)
    assert len(twiml_app.to("/wait")) == 1  # the second participant started the room
    assert twiml_app.to("/conf-done") == []  # both hung up: their sessions are over
    events = [
        (h.params["StatusCallbackEvent"], h.params.get("CallSid")) for h in twiml_app.to("/conf")
    ]
    assert events[:3] == [
        ("participant-join", first),
        ("participant-join", second),
        ("conference-start", None),
    ]
    assert events[-2:] == [("participant-leave", first), ("conference-end", None)]
    end = twiml_app.to("/conf")[-1].params
    assert end["ReasonConferenceEnded"] == "last-participant-left"
    assert end["CallSidEndingConference"] == first
    assert kinds(sim.call_log(first), "beep")  # the second participant's entry beeped
    assert any(e.get("conference") == "standup" for e in kinds(sim.call_log(second), "bridge"))


async def test_end_conference_on_exit(sim: Simulator, twiml_app: TwimlApp) -> None:
    twiml_app.route("/conf-done", "<Response/>")
    moderator_doc = CONFERENCE.format(extra='endConferenceOnExit="true"')
    member_doc = CONFERENCE.format(extra="")
    sim.configure_number(AGENT_LINE, voice_url=twiml_app.route("/moderator", moderator_doc))
    member = await call_in(sim, twiml_app, NUMBER, "/in", member_doc, CALLER, PhoneScript())
    await eventually(lambda: twiml_app.to("/wait"))
    moderator = await sim.inbound_call(SECOND_CALLER, AGENT_LINE, PhoneScript(hangup_after=15))
    await sim.wait_for_call_end(moderator)
    call = await sim.wait_for_call_end(member)
    assert call["status"] == "completed"  # dropped from the room, then its action ran
    (done,) = twiml_app.to("/conf-done")
    assert done.params["CallSid"] == member
    assert done.params["DialCallStatus"] == "answered"
    ended = [
        h.params
        for h in twiml_app.to("/conf")
        if h.params["StatusCallbackEvent"] == "conference-end"
    ]
    assert ended[0]["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert ended[0]["CallSidEndingConference"] == moderator


async def test_conference_without_a_starter_never_starts(
    sim: Simulator, twiml_app: TwimlApp
) -> None:
    doc = CONFERENCE.format(extra='startConferenceOnEnter="false"')
    first = await call_in(sim, twiml_app, NUMBER, "/in", doc, CALLER, PhoneScript(hangup_after=30))
    second = await sim.inbound_call(SECOND_CALLER, NUMBER, PhoneScript(hangup_after=30))
    await sim.wait_for_call_end(first)
    await sim.wait_for_call_end(second)
    events = [h.params["StatusCallbackEvent"] for h in twiml_app.to("/conf")]
    assert "conference-start" not in events
    assert not [e for e in kinds(sim.call_log(first), "bridge")]
