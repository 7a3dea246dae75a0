"""Who may use the call-in hotline, through the real server and the simulator: callers
outside the directory or outside the allowed groups, PINs, withheld caller ID."""

from __future__ import annotations

import asyncio

from tests.scenario.callin import (
    AGENT1,
    ALERT,
    CALLER,
    CALLER_PIN,
    END,
    NETOPS,
    NETWORK,
    SEND,
    SILENT,
    WITHHELD,
    Call,
    P,
    call,
    directory,
    texts,
)
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline, running_hotline

ALERT_NETWORK = (ALERT, NETWORK, END, SEND)  # then an alert to network goes out
RECORDING = {"recording_duration": 4, "transcript": "Fibre cut"}


def refused(done: Call) -> bool:
    """The caller heard the refusal and nothing after it, and nobody else was called."""
    return done.said[-1] == P.refused and done.errors == []


def only_the_hotline_was_called(h: Hotline) -> bool:
    return [c["to"] for c in h.simulator.calls] == [HOTLINE_NUMBER] * len(h.simulator.calls)


async def test_withheld_caller_id_is_refused_by_default(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    done = await call(h, WITHHELD, *ALERT_NETWORK, **RECORDING)
    assert done.said == [P.refused]
    assert h.simulator.messages == []


async def test_only_members_of_the_caller_groups_get_through(database_url: str) -> None:
    async with running_hotline(
        database_url, hotline_callers="groups", hotline_caller_groups=["agents"]
    ) as h:
        await directory(h)
        outsider, member = await asyncio.gather(
            call(h, CALLER, *ALERT_NETWORK, **RECORDING),  # in the directory, not in agents
            call(h, AGENT1, *ALERT_NETWORK, **RECORDING),
        )
        assert outsider.said == [P.refused]
        assert refused(outsider)
        assert member.said[0].startswith(P.menu_intro)
        [text] = await texts(h, 1)
        assert text["to"] == NETOPS and "Agent One" in text["body"]
        assert only_the_hotline_was_called(h)


async def test_pin_right_wrong_three_times_or_missing(database_url: str) -> None:
    async with running_hotline(database_url, hotline_require_pin=True) as h:
        await directory(h, pin=CALLER_PIN)
        right, wrong, nobody_set_one = await asyncio.gather(
            call(h, CALLER, CALLER_PIN + "#", *ALERT_NETWORK, **RECORDING),
            call(h, CALLER, "1111#", "2222#", "4712#", *ALERT_NETWORK, **RECORDING),
            call(h, AGENT1, CALLER_PIN + "#", *ALERT_NETWORK, **RECORDING),  # has no PIN
        )
        assert right.said[0] == P.ask_pin
        assert right.said[1].startswith(P.menu_intro)
        assert wrong.said == [P.ask_pin, P.pin_wrong, P.ask_pin, P.pin_wrong, P.ask_pin, P.refused]
        assert nobody_set_one.said == [P.refused]
        [text] = await texts(h, 1)  # only the caller with the right PIN raised an alert
        assert text["to"] == NETOPS and "Carol Caller" in text["body"]
        assert only_the_hotline_was_called(h)


async def test_pin_prompt_reprompts_on_silence_then_says_goodbye(database_url: str) -> None:
    async with running_hotline(database_url, hotline_require_pin=True) as h:
        await directory(h, pin=CALLER_PIN)
        done = await call(h, CALLER, SILENT, "#", SILENT, SILENT)
        assert done.said == [P.ask_pin] * 4 + [P.give_up]


async def test_withheld_caller_keys_in_number_and_pin_when_asked(database_url: str) -> None:
    async with running_hotline(database_url, hotline_withheld_callers="ask") as h:
        await directory(h, pin=CALLER_PIN)
        national = CALLER.removeprefix("+1")
        right, wrong = await asyncio.gather(
            call(h, WITHHELD, national + "#", CALLER_PIN + "#", *ALERT_NETWORK, **RECORDING),
            call(
                h,
                WITHHELD,
                national + "#",
                "0000#",  # wrong PIN
                "2025550199#",  # a stranger's number
                CALLER_PIN + "#",
                national + "#",
                "9999#",
                **RECORDING,
            ),
        )
        assert right.said[:2] == [P.ask_number, P.ask_pin]
        assert right.said[2].startswith(P.menu_intro)
        assert wrong.said == [
            *(P.ask_number, P.ask_pin, P.number_pin_wrong) * 2,
            P.ask_number,
            P.ask_pin,
            P.refused,
        ]
        [text] = await texts(h, 1)
        assert text["to"] == NETOPS
        assert "Carol Caller" in text["body"]  # the keyed-in number identifies the caller
        assert only_the_hotline_was_called(h)
