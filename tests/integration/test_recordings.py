"""Kept recordings: the repository on SQLite and PostgreSQL, the Twilio adapter's download
from a standalone simulator over HTTP, the link service, and the settings that choose them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from hotline.adapters.db import migrate
from hotline.adapters.db.jobs_repo import _job
from hotline.adapters.db.tables import JobRow
from hotline.adapters.twilio.carrier import TwilioCarrier, make_client
from hotline.bootstrap import Container, build
from hotline.domain.errors import Conflict
from hotline.ports import (
    CallRecord,
    CarrierError,
    Job,
    RecordingAudio,
    StoredRecording,
    UnitOfWork,
)
from hotline.services.recordings import Refusal
from hotline.settings import Settings, SettingsError, load_settings
from hotline.simulator.audio import silence
from hotline.simulator.records import Recording
from tests.conftest import NOW, FixedClock
from tests.support.carrier import RunningCarrier, running_carrier

AUDIO = RecordingAudio(silence(1.5), "audio/x-wav")


def stored(
    recording_id: str = "rec-1", url: str = "https://carrier/Recordings/RE1"
) -> StoredRecording:
    return StoredRecording(id=recording_id, call_sid="CA1", carrier_url=url, created_at=NOW)


async def test_the_repository_keeps_audio_apart_from_the_link_data(container: Container) -> None:
    async with container.paging.unit_of_work() as uow:
        await uow.recordings.add(stored())
        await uow.commit()
    async with container.paging.unit_of_work() as uow:
        found = await uow.recordings.for_call("CA1", "https://carrier/Recordings/RE1")
        assert found == stored()
        assert await uow.recordings.for_call("CA1", "https://carrier/Recordings/RE2") is None
        assert (await uow.recordings.get("rec-1", with_audio=True)) == stored()  # nothing yet
        await uow.recordings.store_audio("rec-1", AUDIO, NOW + timedelta(seconds=5))
        await uow.commit()
    async with container.paging.unit_of_work(read_only=True) as uow:
        light = await uow.recordings.get("rec-1")
        full = await uow.recordings.get("rec-1", with_audio=True)
        assert await uow.recordings.get("rec-2") is None
    assert light is not None and light.audio is None
    assert light.stored_at == NOW + timedelta(seconds=5)
    assert full is not None and full.audio == AUDIO


@pytest.mark.parametrize("twin", ["same id", "same call and url"])
async def test_a_recording_is_kept_once(container: Container, twin: str) -> None:
    async with container.paging.unit_of_work() as uow:
        await uow.recordings.add(stored())
        await uow.commit()
    other = stored("rec-2") if twin == "same call and url" else stored(url="https://c/RE9")
    with pytest.raises(Conflict):
        async with container.paging.unit_of_work() as uow:
            await uow.recordings.add(other)
            await uow.commit()


async def test_link_is_made_once_per_recording_with_one_download_job(
    container: Container,
) -> None:
    record = CallRecord("CA1", "+12025550131", None, {}, NOW, NOW)
    url = "https://carrier/Recordings/RE1"
    recordings = container.recordings

    async def link(uow: UnitOfWork, now: datetime) -> str:
        return await recordings.link(uow, record, url, now)

    first = await container.paging.transact(link)
    second = await container.paging.transact(link)
    assert first == second
    assert first.startswith(container.settings.public_url + "/recordings/")
    jobs = await container.job_store.claim(NOW + timedelta(hours=2), timedelta(minutes=1), 10)
    assert [j.kind for j in jobs] == ["keep_recording"]
    recording_id = first.split("/recordings/")[1].split("?")[0]
    assert jobs[0].payload == {"recording": recording_id}
    assert jobs[0].deadline == NOW + timedelta(hours=1)


async def test_open_refuses_bad_and_expired_links(container: Container) -> None:
    recordings = container.recordings
    signer = recordings.signer
    good = signer.url_for("rec-1", NOW)
    query = dict(p.split("=", 1) for p in good.split("?")[1].split("&"))
    assert await recordings.open("rec-1", "", "") is Refusal.INVALID
    assert await recordings.open("rec-1", query["expires"], "x" * 43) is Refusal.INVALID
    assert await recordings.open("rec-2", query["expires"], query["sig"]) is Refusal.INVALID
    assert await recordings.open("rec-1", query["expires"], query["sig"]) is Refusal.UNKNOWN
    stale = signer.url_for("rec-1", NOW - timedelta(days=7, seconds=1))
    old = dict(p.split("=", 1) for p in stale.split("?")[1].split("&"))
    assert await recordings.open("rec-1", old["expires"], old["sig"]) is Refusal.EXPIRED


async def test_recordings_older_than_the_retention_are_deleted_in_batches(
    container: Container,
) -> None:
    """Kept 90 days by default: older ones go, audio and all, their links say unknown, and
    the carrier's copy of each is deleted by a durable job."""
    old = [
        replace(stored(f"old-{i}", f"https://carrier/Recordings/RO{i}"), created_at=at)
        for i, at in enumerate([NOW - timedelta(days=91)] * 104 + [NOW - timedelta(days=200)])
    ]
    young = replace(
        stored("young", "https://carrier/Recordings/RY"),
        created_at=NOW - timedelta(days=89, hours=23),
    )
    async with container.paging.unit_of_work() as uow:
        for recording in [*old, young]:
            await uow.recordings.add(recording)
        await uow.recordings.store_audio("old-0", AUDIO, NOW)
        await uow.commit()
    assert container.recordings.keep == timedelta(days=90)
    assert await container.housekeeping.run_once() == {"old recordings": 105}
    jobs = await carrier_deletions(container)
    assert sorted(j.payload["url"] for j in jobs) == sorted(r.carrier_url for r in old)
    assert {j.deadline for j in jobs} == {NOW + timedelta(days=1)}
    # one at a time, through the claim: a backlog does not crowd out page-out calls
    assert {j.ordering_key for j in jobs} == {"delete_carrier_recording"}
    assert len(await container.job_store.claim(NOW, timedelta(minutes=1), 200)) == 1
    async with container.paging.unit_of_work(read_only=True) as uow:
        assert await uow.recordings.get("old-0") is None
        assert await uow.recordings.get("old-104") is None
        assert await uow.recordings.get("young") is not None
    link = container.recordings.signer.url_for("old-0", NOW)
    query = dict(p.split("=", 1) for p in link.split("?")[1].split("&"))
    assert await container.recordings.open("old-0", query["expires"], query["sig"]) is (
        Refusal.UNKNOWN
    )
    assert await container.recordings.delete_expired() == 0  # nothing left to delete


async def carrier_deletions(container: Container) -> list[Job]:
    async with container.paging.unit_of_work(read_only=True) as uow:
        rows = (await uow.session.execute(select(JobRow))).scalars()
        return [_job(r) for r in rows if r.kind == "delete_carrier_recording"]


async def test_replicas_deleting_at_once_delete_each_recording_once(
    settings: Settings, container: Container
) -> None:
    """Every replica runs housekeeping (all of them at start, in a rolling deploy)."""
    async with container.paging.unit_of_work() as uow:
        for i in range(250):
            url = f"https://carrier/Recordings/RO{i}"
            await uow.recordings.add(
                replace(stored(f"old-{i}", url), created_at=NOW - timedelta(days=100))
            )
        await uow.commit()
    other = build(settings, clock=FixedClock(NOW))
    try:
        counts = await asyncio.gather(
            container.recordings.delete_expired(), other.recordings.delete_expired()
        )
    finally:
        await other.close()
    assert sum(counts) == 250
    jobs = await carrier_deletions(container)
    assert len(jobs) == 250 and len({j.payload["url"] for j in jobs}) == 250


async def test_recordings_kept_for_ever_are_never_deleted(database_url: str) -> None:
    settings = load_settings(database_url=database_url, HOTLINE_RECORDING_KEEP_DAYS=0)
    kept = build(settings, clock=FixedClock(NOW))
    try:
        await migrate.upgrade(kept.engine)
        async with kept.paging.unit_of_work() as uow:
            await uow.recordings.add(replace(stored(), created_at=NOW - timedelta(days=3000)))
            await uow.commit()
        assert kept.recordings.keep is None
        assert await kept.recordings.delete_expired() == 0
        async with kept.paging.unit_of_work(read_only=True) as uow:
            assert await uow.recordings.get("rec-1") is not None
    finally:
        await kept.close()


def test_settings_choose_the_transcriber_and_guard_the_link_key() -> None:
    assert load_settings().hotline_transcriber == "carrier"
    assert load_settings(HOTLINE_TRANSCRIBER="local").hotline_transcriber == "local"
    with pytest.raises(SettingsError, match="HOTLINE_TRANSCRIBER"):
        load_settings(HOTLINE_TRANSCRIBER="whisper")
    with pytest.raises(SettingsError, match="HOTLINE_RECORDING_LINK_SECRET"):
        load_settings(HOTLINE_RECORDING_LINK_SECRET="short")
    with pytest.raises(SettingsError, match="HOTLINE_RECORDING_LINK_DAYS"):
        load_settings(HOTLINE_RECORDING_LINK_DAYS=0)
    with pytest.raises(SettingsError, match=r"HOTLINE_RECORDING_KEEP_DAYS \(5\) must be 0"):
        load_settings(HOTLINE_RECORDING_KEEP_DAYS=5)  # shorter than a link lasts (7 days)
    assert load_settings().recording_keep == timedelta(days=90)
    assert load_settings(HOTLINE_RECORDING_KEEP_DAYS=7).recording_keep == timedelta(days=7)
    assert load_settings(HOTLINE_RECORDING_KEEP_DAYS=0).recording_keep is None
    # links configured to last longer than 90 days: unset, recordings stay as long
    longer = load_settings(HOTLINE_RECORDING_LINK_DAYS=180)
    assert longer.recording_keep == timedelta(days=180)


async def test_links_survive_a_restart_and_a_configured_key_replaces_the_derived_one() -> None:
    token = "twilio-auth-token-0123456789abcdef"
    base = {"TWILIO_AUTH_TOKEN": token, "HOTLINE_RECORDING_LINK_DAYS": 2}
    one, two = build(load_settings(**base)), build(load_settings(**base))
    own = build(load_settings(**base, HOTLINE_RECORDING_LINK_SECRET="k" * 32))
    try:
        link = one.recordings.signer.url_for("rec-1", NOW)
        assert link == two.recordings.signer.url_for("rec-1", NOW)
        assert link != own.recordings.signer.url_for("rec-1", NOW)
        assert token not in link
        expires = int(link.split("expires=")[1].split("&")[0])
        assert expires == int(NOW.timestamp()) + 2 * 86400
    finally:
        for container in (one, two, own):
            await container.close()


# --- the Twilio adapter's download, against the simulator over HTTP -------------------------


@pytest.fixture
async def carrier() -> AsyncIterator[RunningCarrier]:
    async with running_carrier() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def twilio(carrier: RunningCarrier, http: httpx.AsyncClient, token: str = "") -> TwilioCarrier:
    client = make_client(carrier.account_sid, token or carrier.auth_token, carrier.url, http)
    return TwilioCarrier(client)


def recorded(carrier: RunningCarrier) -> Recording:
    recording = Recording(carrier.account_sid, "CA" + "0" * 32, silence(2.5), 2)
    carrier.simulator.engine.recordings[recording.sid] = recording
    return recording


async def test_download_uses_the_recording_id_and_the_configured_api(
    carrier: RunningCarrier, http: httpx.AsyncClient
) -> None:
    recording = recorded(carrier)
    account = f"2010-04-01/Accounts/{carrier.account_sid}"
    for url in (
        f"{carrier.url}/{account}/Recordings/{recording.sid}",
        f"{carrier.url}/{account}/Recordings/{recording.sid}.mp3",
        # Another host in the URL: the credentials still go only to the configured API.
        f"https://collector.example/{account}/Recordings/{recording.sid}",
    ):
        audio = await twilio(carrier, http).fetch_recording(url)
        assert audio == RecordingAudio(recording.wav, "audio/x-wav")


@pytest.mark.parametrize(
    "url", ["", "not a url", "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls/CA1"]
)
async def test_a_url_naming_no_recording_is_a_permanent_error(
    carrier: RunningCarrier, http: httpx.AsyncClient, url: str
) -> None:
    with pytest.raises(CarrierError) as caught:
        await twilio(carrier, http).fetch_recording(url)
    assert caught.value.retryable is False


async def test_not_there_yet_is_retryable_and_bad_credentials_are_not(
    carrier: RunningCarrier, http: httpx.AsyncClient
) -> None:
    recording = recorded(carrier)
    url = f"{carrier.url}/Recordings/"
    with pytest.raises(CarrierError, match="404") as caught:
        await twilio(carrier, http).fetch_recording(url + "RE" + "f" * 32)
    assert caught.value.retryable is True
    wrong = "wrong-token-" + "0" * 20
    with pytest.raises(CarrierError, match="401") as caught:
        await twilio(carrier, http, wrong).fetch_recording(url + recording.sid)
    assert caught.value.retryable is False
    assert wrong not in str(caught.value) and carrier.auth_token not in str(caught.value)


async def test_the_carriers_copy_is_deleted_once_and_a_second_time_is_no_error(
    carrier: RunningCarrier, http: httpx.AsyncClient
) -> None:
    recording = recorded(carrier)
    other = recorded(carrier)
    url = f"https://collector.example/Recordings/{recording.sid}"  # only the id is used
    await twilio(carrier, http).delete_recording(url)
    assert recording.sid not in carrier.simulator.engine.recordings
    assert other.sid in carrier.simulator.engine.recordings
    await twilio(carrier, http).delete_recording(url)  # already gone: done
    with pytest.raises(CarrierError, match="names no recording") as caught:
        await twilio(carrier, http).delete_recording("https://carrier/Calls/CA1")
    assert caught.value.retryable is False
    wrong = "wrong-token-" + "0" * 20
    with pytest.raises(CarrierError, match="401"):
        await twilio(carrier, http, wrong).delete_recording(f"/Recordings/{other.sid}")
    assert other.sid in carrier.simulator.engine.recordings


async def test_a_started_hotline_deletes_an_expired_recording_and_the_carriers_copy(
    carrier: RunningCarrier, database_url: str
) -> None:
    settings = load_settings(
        database_url=database_url,
        twilio_account_sid=carrier.account_sid,
        twilio_auth_token=carrier.auth_token,
        twilio_api_base_url=carrier.url,
    )
    container = build(settings, clock=FixedClock(NOW))
    try:
        await migrate.upgrade(container.engine)
        recording = recorded(carrier)
        old = StoredRecording(
            id="rec-old",
            call_sid=recording.call_sid,
            carrier_url=f"{carrier.url}/Recordings/{recording.sid}",
            created_at=NOW - timedelta(days=100),
        )
        async with container.paging.unit_of_work() as uow:
            await uow.recordings.add(old)
            await uow.commit()
        await container.start()  # housekeeping runs at once; the worker takes the job
        async with asyncio.timeout(10):
            while recording.sid in carrier.simulator.engine.recordings:  # noqa: ASYNC110 (a dict)
                await asyncio.sleep(0.02)
        async with container.paging.unit_of_work(read_only=True) as uow:
            assert await uow.recordings.get("rec-old") is None
    finally:
        await container.close()
