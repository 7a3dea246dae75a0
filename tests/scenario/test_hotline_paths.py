"""Call-in hotline paths through the real server and the simulator: the alert and incident
actions, ``*`` and bad input at every prompt, recordings, transcripts, single-group mode and
delivery of the alert by SMS and e-mail.

Conference, bridge and live call are covered with their own features.
"""

from __future__ import annotations

import asyncio

import pytest

from hotline.domain.hotline_config import Action, fill
from tests.scenario.callin import (
    AGAIN,
    AGENT1,
    AGENT2,
    AGENTS,
    ALERT,
    CALLER,
    EMPTY,
    END,
    HIGH,
    INCIDENT,
    NETOPS,
    NETWORK,
    SEND,
    SILENT,
    P,
    Transcriber,
    call,
    directory,
    eventually,
    finish,
    incidents,
    listen,
    place,
    texts,
)
from tests.scenario.conftest import Hotline, running_hotline
from tests.support.smtp_sink import SmtpSink

RECORDING = {"recording_duration": 4, "transcript": "The payroll database is down"}
ALERTED_NETWORK = fill(P.alert.done, group="network")
HOLD = "Still listening to your message, please hold."


async def test_star_at_every_prompt_goes_back_to_the_main_menu(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    done = await call(
        h,
        CALLER,
        "*",  # at the main menu itself
        INCIDENT,
        "*",  # at the group menu
        INCIDENT,
        AGENTS,
        "*",  # at the severity menu
        INCIDENT,
        AGENTS,
        HIGH,
        "*",  # ends the recording
        INCIDENT,
        AGENTS,
        HIGH,
        END,
        "*",  # at the confirmation
        ALERT,
        NETWORK,
        END,
        SEND,
        **RECORDING,
    )
    assert done.heard(P.main_menu) == 5, done.said
    assert done.said[-1] == ALERTED_NETWORK
    assert done.errors == []
    assert [m["to"] for m in await texts(h, 1)] == [NETOPS]
    assert await incidents(h) == []  # nothing half-made was kept


async def test_bad_input_at_every_prompt_is_asked_again_three_times_then_goodbye(
    hotline: Hotline,
) -> None:
    """Wrong keys and silence count together: three re-prompts, then the call ends."""
    h = hotline
    await directory(h)
    to_reach = {
        P.menu_intro: (),
        P.incident.choose_group: (INCIDENT,),
        P.severity_question: (INCIDENT, AGENTS),
        P.confirm: (INCIDENT, AGENTS, HIGH, END),
    }
    bad = {
        P.menu_intro: ("9", SILENT, "0", SILENT),
        P.incident.choose_group: ("9", SILENT, EMPTY, "#"),  # nobody is on call in "empty"
        P.severity_question: ("6", SILENT, "0", SILENT),
        P.confirm: (SILENT, "#", SILENT, SILENT),  # every key but 1 and * records again
    }
    sids = {
        prompt: await place(h, CALLER, *keys, *bad[prompt], **RECORDING)
        for prompt, keys in to_reach.items()
    }
    for prompt, sid in sids.items():
        done = await finish(h, sid)
        assert done.heard(prompt) == 4, (prompt, done.said)
        wrong_keys = sum(k in ("9", "0", "6") for k in bad[prompt])
        assert done.heard(P.invalid) == wrong_keys, (prompt, done.said)
        nobody = EMPTY in bad[prompt]
        assert done.heard(fill(P.nobody_on_call, group="empty")) == nobody, done.said
        assert done.said[-1] == P.give_up, (prompt, done.said)
        assert done.errors == []
    await h.simulator.idle()
    assert await incidents(h) == []
    assert h.simulator.messages == []


async def test_a_recording_too_short_or_silent_is_asked_for_again(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    short, silent = await asyncio.gather(
        call(h, CALLER, INCIDENT, AGENTS, HIGH, END, END, END, END, recording_duration=1),
        call(h, CALLER, INCIDENT, AGENTS, HIGH),  # says nothing at all after the tone
    )
    for done in (short, silent):
        assert done.heard(P.record) == 4, done.said
        assert done.heard(P.too_short) == 3, done.said
        assert done.said[-1] == P.give_up
    assert await incidents(h) == []


async def test_any_other_key_at_the_confirmation_records_again(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    done = await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, AGAIN, END, SEND, **RECORDING)
    assert done.heard(P.record_again) == 1
    assert len(done.recordings) == 2
    [incident] = await incidents(h)
    kept = await listen(h, incident["description"])
    assert kept == h.simulator.recording(done.recordings[1])
    assert incident["severity"] == 2 and incident["group"] == "agents"


async def test_the_maximum_recording_length_counts_as_finished(database_url: str) -> None:
    """Seed B.9: reaching maxLength without a key left the caller with an application error."""
    async with running_hotline(database_url, hotline_max_recording=5) as h:
        await directory(h)
        done = await call(
            h, CALLER, INCIDENT, AGENTS, HIGH, SILENT, SEND, recording_duration=30, transcript="x"
        )
        [record] = [e for e in done.log if e["kind"] == "record"]
        assert record["duration"] == 5
        assert done.heard(P.too_short) == 0
        assert done.heard(P.confirm) == 1
        [incident] = await incidents(h)
        assert await listen(h, incident["description"]) == h.simulator.recording(
            record["recording_sid"]
        )


async def test_a_late_transcript_is_added_to_the_incident_afterwards(database_url: str) -> None:
    async with running_hotline(
        database_url, transcript_wait=1, wait_mode="static", wait_phrases=[HOLD]
    ) as h:
        await directory(h)
        transcriber = Transcriber().install(h)
        try:
            sid = await place(
                h,
                CALLER,
                INCIDENT,
                AGENTS,
                HIGH,
                END,
                SEND,
                recording_duration=4,
                transcript="late:The payroll database is down",
            )
            [incident] = await eventually(lambda: incidents(h))
            assert "transcript pending" in incident["description"]
            assert await listen(h, incident["description"])
        finally:
            transcriber.release()
        done = await finish(h, sid)
        assert done.heard(HOLD) >= 1
        assert done.said[-1] == fill(P.incident.done, severity="high", group="agents")

        async def transcript_added() -> list[str]:
            timeline = (await h.fetch(incident["id"]))["timeline"]
            return [e["detail"] for e in timeline if e["kind"] == "transcript"]

        assert await eventually(transcript_added) == ["Transcript: The payroll database is down"]


async def test_a_failed_transcription_never_loses_the_recording(database_url: str) -> None:
    async with running_hotline(database_url, transcript_wait=1) as h:
        await directory(h)
        transcriber = Transcriber().install(h)
        early = await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, SEND, **failed("FAILED"))
        try:
            late = await place(
                h, CALLER, INCIDENT, NETWORK, HIGH, END, SEND, **failed("late:FAILED")
            )
            await eventually(lambda: _has(h, "network"))
        finally:
            transcriber.release()
        late_call = await finish(h, late)
        by_group = {i["group"]: i for i in await incidents(h)}
        for done, group in ((early, "agents"), (late_call, "network")):
            kept = await listen(h, by_group[group]["description"])
            assert kept == h.simulator.recording(done.recordings[0])

        async def failure_noted() -> list[str]:
            timeline = (await h.fetch(by_group["network"]["id"]))["timeline"]
            return [e["detail"] for e in timeline if e["kind"] == "transcript"]

        assert await eventually(failure_noted) == ["Transcription failed."]


async def test_a_failed_transcription_is_not_reported_as_pending(database_url: str) -> None:
    async with running_hotline(database_url, transcript_wait=1) as h:
        await directory(h)
        Transcriber().install(h)
        await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, SEND, **failed("FAILED"))
        [incident] = await incidents(h)
        assert "transcript pending" not in incident["description"]


async def test_recording_again_discards_the_first_transcript(database_url: str) -> None:
    async with running_hotline(database_url, transcript_wait=1) as h:
        await directory(h)
        transcriber = Transcriber().install(h)
        try:
            sid = await place(
                h,
                CALLER,
                INCIDENT,
                AGENTS,
                HIGH,
                END,
                AGAIN,
                END,
                SEND,
                recording_duration=4,
                transcript="Old words|late:New words",
            )
            [incident] = await eventually(lambda: incidents(h))
            assert "Old words" not in incident["description"]
        finally:
            transcriber.release()
            await finish(h, sid)


@pytest.mark.parametrize("actions", [["alert", "incident"], ["incident", "alert"]])
async def test_one_group_works_with_every_action_at_every_menu_position(
    database_url: str, actions: list[str]
) -> None:
    """Seed B.8: with one group the action digit was taken for a group digit, so any action
    in menu position 2 or higher looked up a group that does not exist."""
    async with running_hotline(
        database_url, hotline_groups=["network"], hotline_actions=actions
    ) as h:
        await directory(h)
        keys = {Action.ALERT: (END, SEND), Action.INCIDENT: (HIGH, END, SEND)}
        sids = {
            Action(action): await place(h, CALLER, str(n), *keys[Action(action)], **RECORDING)
            for n, action in enumerate(actions, 1)
        }
        for digit, action in enumerate(actions, 1):
            done = await finish(h, sids[Action(action)])
            phrases = P.for_action(Action(action))
            option = fill(P.option, label=phrases.label, digit=str(digit))
            assert option in done.said[0], done.said
            assert done.heard(fill(phrases.one_group, group="network")) == 1, done.said
            assert done.heard(P.invalid) == 0
            assert done.said[-1] == fill(phrases.done, group="network", severity="high")
        [incident] = await incidents(h)
        assert incident["group"] == "network" and incident["severity"] == 2
        assert [m["to"] for m in await texts(h, 1)] == [NETOPS]


async def test_an_alert_texts_and_emails_the_groups_on_call_people(database_url: str) -> None:
    async with (
        SmtpSink() as sink,
        running_hotline(
            database_url, smtp_host=sink.host, smtp_port=sink.port, smtp_from="hotline@example.com"
        ) as h,
    ):
        await directory(h)
        done = await call(h, CALLER, ALERT, AGENTS, END, SEND, **RECORDING)
        assert done.said[-1] == fill(P.alert.done, group="agents")
        [recording] = done.recordings
        audio = h.simulator.recording(recording)
        messages = await texts(h, 2)
        assert sorted(m["to"] for m in messages) == [AGENT1, AGENT2]
        for message in messages:
            assert "The payroll database is down" in message["body"]
            assert "Carol Caller" in message["body"]
            assert await listen(h, message["body"]) == audio
        [mail] = await sink.wait_for(1, timeout=20)
        assert mail["From"] == "hotline@example.com"
        assert "agents" in mail["Subject"]
        recipients = sorted(a.strip() for a in mail["To"].split(","))
        assert recipients == ["agent.one@example.com", "agent.two@example.com"]
        body = mail.get_content()
        assert "The payroll database is down" in body
        assert await listen(h, body) == audio
        assert await incidents(h) == []


def failed(transcript: str) -> dict[str, object]:
    return {"recording_duration": 4, "transcript": transcript}


async def _has(h: Hotline, group: str) -> bool:
    return any(i["group"] == group for i in await incidents(h))
