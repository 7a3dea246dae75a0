"""Announcing joiners to a bridge's room: the stored room state on SQLite and PostgreSQL, the
Twilio adapter's ``announce`` against a standalone simulator over HTTP, and the job that
drops an announcement the carrier refuses for good."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from hotline.adapters.twilio.carrier import TwilioCarrier, make_client
from hotline.bootstrap import Container
from hotline.domain.bridge import Bridge, Invite, entered
from hotline.domain.voice import Say
from hotline.ports import CarrierError, Job, UnitOfWork
from hotline.services.bridge_calls import BridgeCalls
from tests.conftest import NOW
from tests.support.bridges import a_bridge
from tests.support.carrier import RunningCarrier, running_carrier

UNKNOWN_ROOM = "CF" + "0" * 32


@pytest.fixture
async def carrier() -> AsyncIterator[RunningCarrier]:
    async with running_carrier() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def twilio(carrier: RunningCarrier, http: httpx.AsyncClient, base: str = "") -> TwilioCarrier:
    client = make_client(carrier.account_sid, carrier.auth_token, base or carrier.url, http)
    return TwilioCarrier(client)


def new_bridge() -> Bridge:
    ann = Invite(1, "Ann", "+12025550111", call_sid="CA-ann")
    return a_bridge(NOW, ann, room="hotline-bridge-1")


async def stored_room(container: Container) -> tuple[int, int]:
    """A bridge whose host is in the room and a guest just entered: (id, event index)."""

    async def work(uow: UnitOfWork, now: datetime) -> tuple[int, int]:
        bridge = new_bridge()
        bridge.conference_sid = UNKNOWN_ROOM
        bridge.guests["CA-gus"] = "Gus"
        await uow.bridges.add(bridge)
        entered(bridge, "CA-host", now)
        index = entered(bridge, "CA-gus", now)
        await uow.bridges.save(bridge)
        assert bridge.id is not None and index is not None
        return bridge.id, index

    return await container.paging.transact(work)


async def test_the_room_state_is_stored(container: Container) -> None:
    bridge_id, index = await stored_room(container)
    async with container.paging.unit_of_work(read_only=True) as uow:
        bridge = await uow.bridges.get(bridge_id)
    assert bridge is not None
    assert bridge.conference_sid == UNKNOWN_ROOM and bridge.host_in_room
    assert bridge.guests == {"CA-gus": "Gus"}
    assert bridge.events[index].who == "Gus" and bridge.events[0].who == ""


async def test_the_adapter_announces_through_the_conference_resource(
    carrier: RunningCarrier, http: httpx.AsyncClient
) -> None:
    with pytest.raises(CarrierError) as unknown:
        await twilio(carrier, http).announce(UNKNOWN_ROOM, "https://hotline.test/a")
    assert not unknown.value.retryable and unknown.value.code == 20404
    with pytest.raises(CarrierError) as unreachable:
        await twilio(carrier, http, "http://127.0.0.1:1").announce(UNKNOWN_ROOM, "https://x/a")
    assert unreachable.value.retryable


async def test_an_announcement_refused_for_good_is_dropped_quietly(
    container: Container, carrier: RunningCarrier, http: httpx.AsyncClient
) -> None:
    bridge_id, index = await stored_room(container)
    calls = BridgeCalls(container.bridges, twilio(carrier, http))
    job = Job(1, "bridge_announce", {"bridge": bridge_id, "event": index}, 0, NOW)
    await calls.announce(job)  # the simulator answers 404 for the unknown room: no raise
    unreachable = BridgeCalls(container.bridges, twilio(carrier, http, "http://127.0.0.1:1"))
    with pytest.raises(CarrierError):  # retryable: the worker tries again until the deadline
        await unreachable.announce(job)
    assert await calls.announcement(bridge_id, index) == [Say("Gus joined the bridge.")]
    assert await calls.announcement(bridge_id, 0) == []
