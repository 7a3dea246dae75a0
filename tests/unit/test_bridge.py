"""Conference bridges: what the host hears and how invitations end (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hotline.domain.bridge import (
    Bridge,
    BridgeStatus,
    Connect,
    Hold,
    Invite,
    InviteState,
    NobodyYet,
    answered,
    call_ended,
    host_turn,
    keys_pressed,
    spoken_digits,
)
from hotline.domain.voice import CallStatus
from tests.support.bridges import a_bridge

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def bridge(*names: str) -> Bridge:
    invites = [Invite(n, name, f"+1202555011{n}") for n, name in enumerate(names, 1)]
    return a_bridge(NOW, *invites, host_call="CA1")


def test_the_host_holds_and_hears_the_code_first() -> None:
    b = bridge("Ann", "Bob")
    assert host_turn(b, 0, NOW) == Hold(first=True)
    assert host_turn(b, 1, NOW) == Hold(first=False)


def test_the_host_is_connected_with_the_names_of_those_who_joined() -> None:
    b = bridge("Ann", "Bob")
    later = NOW + timedelta(seconds=5)
    assert keys_pressed(b, b.invites[1], "5", later)
    assert host_turn(b, 3, later) == Connect(("Bob",))


def test_nobody_yet_when_every_invitation_ended_or_the_wait_is_over() -> None:
    b = bridge("Ann", "Bob")
    assert call_ended(b.invites[0], CallStatus.BUSY, NOW)
    assert host_turn(b, 1, NOW) == Hold(first=False)
    assert call_ended(b.invites[1], CallStatus.NO_ANSWER, NOW)
    assert host_turn(b, 1, NOW) == NobodyYet()
    waiting = bridge("Ann")
    assert host_turn(waiting, 5, waiting.join_deadline) == NobodyYet()


def test_a_closed_bridge_sends_the_host_to_the_room_announcing_nobody() -> None:
    b = bridge("Ann")
    b.status = BridgeStatus.CLOSED
    assert host_turn(b, 0, NOW) == Connect(())


def test_an_answered_invitation_without_a_key_is_declined() -> None:
    b = bridge("Ann")
    invite = b.invites[0]
    assert answered(invite) and invite.state is InviteState.ASKED
    assert not keys_pressed(b, invite, "", NOW)
    assert invite.state is InviteState.DECLINED
    assert not call_ended(invite, CallStatus.COMPLETED, NOW)  # the decision stands


def test_a_key_after_the_bridge_closed_does_not_join() -> None:
    b = bridge("Ann")
    b.status = BridgeStatus.CLOSED
    assert not keys_pressed(b, b.invites[0], "1", NOW)
    assert b.invites[0].state is InviteState.DECLINED


def test_codes_are_spoken_digit_by_digit() -> None:
    assert spoken_digits("4711") == "4, 7, 1, 1"


EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("status"), st.sampled_from(list(CallStatus))),
        st.tuples(st.just("answer"), st.none()),
        st.tuples(st.just("keys"), st.sampled_from(["", "1", "#"])),
    ),
    max_size=8,
)


@given(events=EVENTS)
def test_an_invitation_decides_once_and_a_joiner_stays_joined(events: list[tuple]) -> None:
    b = bridge("Ann")
    invite = b.invites[0]
    decided: InviteState | None = None
    for kind, value in events:
        if kind == "status":
            call_ended(invite, value, NOW)
        elif kind == "answer":
            answered(invite)
        else:
            keys_pressed(b, invite, value, NOW)
        if decided is not None:
            assert invite.state is decided  # a final state never changes
        elif invite.state.final:
            decided = invite.state
    assert (invite.joined_at is not None) == (invite.state is InviteState.JOINED)
