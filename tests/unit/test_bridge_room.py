"""Conference bridges: who the room is told joined (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hotline.domain.bridge import (
    Bridge,
    BridgePhrases,
    Invite,
    announcement,
    entered,
    host_turn,
    keys_pressed,
    left,
)
from hotline.domain.hotline_config import fill
from tests.support.bridges import a_bridge

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)


def bridge() -> Bridge:
    return a_bridge(
        NOW,
        Invite(1, "Ann", "+12025550111", call_sid="CA-ann"),
        Invite(2, "Bob", "+12025550112", call_sid="CA-bob"),
    )


def connect_host_after(b: Bridge, invite: Invite) -> None:
    """``invite`` joins; the host is told and put into the room (as the shell does)."""
    assert keys_pressed(b, invite, "5", NOW)
    host_turn(b, 1, NOW)
    b.announced = len(b.joined)


def test_a_later_joiner_is_announced_by_name() -> None:
    b = bridge()
    connect_host_after(b, b.invites[1])
    assert entered(b, "CA-bob", NOW) is None  # before the host: she hears it on connecting
    assert entered(b, "CA-host", NOW) is None
    assert keys_pressed(b, b.invites[0], "7", LATER)
    index = entered(b, "CA-ann", LATER)
    assert index is not None and announcement(b, index) == "Ann"
    text = fill(BridgePhrases().announce, name="Ann")
    assert text == "Ann joined the bridge."


def test_who_the_host_was_told_of_is_not_announced_again() -> None:
    b = bridge()
    connect_host_after(b, b.invites[1])
    assert entered(b, "CA-host", NOW) is None
    assert entered(b, "CA-bob", NOW) is None  # Bob's entry came after the host's


def test_nobody_is_announced_while_the_host_is_not_in_the_room() -> None:
    b = bridge()
    assert entered(b, "CA-host", NOW) is None
    left(b, "CA-host", LATER)
    assert not b.host_in_room
    assert entered(b, "CA-ann", LATER) is None
    assert [e.detail for e in b.events] == [
        "Carol entered the room",
        "Carol left the room",
        "Ann entered the room",
    ]


def test_guests_are_announced_by_name_or_as_a_caller() -> None:
    b = bridge()
    b.guests = {"CA-gus": "Gus", "CA-anon": ""}
    entered(b, "CA-host", NOW)
    gus, anon = entered(b, "CA-gus", NOW), entered(b, "CA-anon", NOW)
    assert gus is not None and anon is not None
    assert (announcement(b, gus), announcement(b, anon)) == ("Gus", "A caller")


def test_an_index_that_is_no_announcement_names_nobody() -> None:
    b = bridge()
    entered(b, "CA-host", NOW)
    assert announcement(b, 0) is None  # the host's own entry
    assert announcement(b, 5) is None
    assert announcement(b, -1) is None
