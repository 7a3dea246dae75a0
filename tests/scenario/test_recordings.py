"""Call-in recordings through the real server and the simulator: Hotline keeps the audio and
hands out its own signed, expiring link (never the carrier's URL), shortens it for SMS with
Bitly when configured (the long link when Bitly is down), and transcribes it with the local
engine when ``HOTLINE_TRANSCRIBER=local``, on real speech made with espeak-ng.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hotline.domain.hotline_config import fill
from tests.scenario.callin import (
    AGENTS,
    ALERT,
    CALLER,
    END,
    HIGH,
    INCIDENT,
    SEND,
    P,
    call,
    directory,
    eventually,
    incidents,
    texts,
)
from tests.scenario.conftest import Hotline, running_hotline
from tests.scenario.recording_links import get, link_in, serves
from tests.support.fake_bitly import SHORT, TOKEN, FakeBitly
from tests.support.speech import speak, telephone

RECORDING = {"recording_duration": 4, "transcript": "The payroll database is down"}
SENTENCE = "nobody can log in to the website"
KEY_WORDS = ("nobody", "can", "log", "website")


async def kept(h: Hotline, link: str) -> bool:
    """Whether the download job has stored the audio behind ``link``."""
    recording_id = urlsplit(link).path.rpartition("/")[2]
    async with h.container.paging.unit_of_work(read_only=True) as uow:
        stored = await uow.recordings.get(recording_id)
    return stored is not None and stored.stored_at is not None


async def test_the_incident_links_to_the_recording_hotline_keeps(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    done = await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, SEND, **RECORDING)
    assert done.said[-1] == fill(P.incident.done, severity="high", group="agents")
    [carrier_url] = done.recordings
    [incident] = await incidents(h)
    description = incident["description"]
    assert carrier_url not in description and "Recordings/" not in description
    link = link_in(description)
    assert link.startswith(h.url + "/recordings/")
    await eventually(lambda: kept(h, link))

    response = await get(link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/x-wav"
    assert "no-store" in response.headers["cache-control"]
    assert await serves(h, description, carrier_url)


async def test_a_link_that_is_not_ours_or_has_expired_is_refused(hotline: Hotline) -> None:
    h = hotline
    await directory(h)
    await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, SEND, **RECORDING)
    [incident] = await incidents(h)
    link = link_in(incident["description"])
    path, query = link.split("?")
    recording_id = path.rpartition("/")[2]
    sig = parse_qs(query)["sig"][0]
    forged = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    expires = parse_qs(query)["expires"][0]
    for bad in (
        path,  # no signature at all
        link.replace(sig, forged),
        link.replace(f"expires={expires}", f"expires={int(expires) + 1}"),  # a longer life
        link.replace(recording_id, "someone-elses-recording"),
        f"{h.url}/recordings/{recording_id}?expires=abc&sig={sig}",
    ):
        response = await get(bad)
        assert response.status_code == 403, bad
        assert response.json()["error"]["code"] == "forbidden"
        assert "audio" not in response.headers["content-type"]

    signer = h.container.recordings.signer
    old = signer.url_for(recording_id, h.container.clock.now() - timedelta(days=8))
    response = await get(old)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "expired"

    unknown = signer.url_for("no-such-recording", h.container.clock.now())
    assert (await get(unknown)).status_code == 404


async def test_until_the_audio_is_kept_the_link_serves_the_carriers_copy(
    hotline: Hotline,
) -> None:
    h = hotline
    await directory(h)
    await h.container.worker.stop()  # nothing is downloaded for now
    done = await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, SEND, **RECORDING)
    [incident] = await incidents(h)
    link = link_in(incident["description"])
    assert not await kept(h, link)
    response = await get(link)
    assert response.status_code == 200
    audio = h.simulator.recording(done.recordings[0].rpartition("/")[2])
    assert response.content == audio
    h.container.worker.start()
    await eventually(lambda: kept(h, link))
    assert (await get(link)).content == audio


# --- Bitly -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bitly_server() -> Iterator[FakeBitly]:
    server = FakeBitly().start()
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v4/shorten"


@pytest.mark.parametrize("bitly", ["up", "error", "refused"])
async def test_alert_sms_gets_a_short_link_and_the_long_one_when_bitly_is_down(
    database_url: str, bitly_server: FakeBitly, bitly: str
) -> None:
    bitly_server.reset()
    bitly_server.mode = "error" if bitly == "error" else "ok"
    api_url = closed_port_url() if bitly == "refused" else bitly_server.url
    async with running_hotline(database_url, bitly_token=TOKEN, bitly_api_url=api_url) as h:
        await directory(h)
        done = await call(h, CALLER, ALERT, AGENTS, END, SEND, **RECORDING)
        assert done.said[-1] == fill(P.alert.done, group="agents")
        messages = await texts(h, 2)
        bodies = [m["body"] for m in messages]
        for body in bodies:
            assert "The payroll database is down" in body
            assert done.recordings[0] not in body
        if bitly == "up":
            assert all(SHORT in body for body in bodies), bodies
            assert all("/recordings/" not in body for body in bodies), bodies
            sent = [r.body for r in bitly_server.requests]
            assert len(sent) == 2 and all(b'"long_url"' in b for b in sent)
        else:
            links = {link_in(body) for body in bodies}
            assert len(links) == 1
            assert (await get(links.pop())).status_code == 200
            assert all(SHORT not in body for body in bodies)
            expected = 2 if bitly == "error" else 0  # each SMS asked once
            assert len(bitly_server.requests) == expected


# --- local transcription ----------------------------------------------------------------------


def wav_40_bit(seconds: int = 3, rate: int = 8000) -> bytes:
    """A PCM WAV with 5-byte samples: a valid file that no transcriber here can read."""
    data = bytes(5 * rate * seconds)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 5, 5, 40)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def local(database_url: str, **overrides: Any) -> Any:
    return running_hotline(database_url, hotline_transcriber="local", **overrides)


async def test_local_transcription_of_real_speech_reaches_the_incident(
    database_url: str,
) -> None:
    wav = telephone(speak(SENTENCE))
    async with local(database_url) as h:
        await directory(h)
        done = await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, SEND, recording=wav)
        assert done.said[-1] == fill(P.incident.done, severity="high", group="agents")
        assert done.errors == []
        # Hotline transcribes: the carrier was not asked to.
        assert [e for e in done.log if e["kind"] == "transcription"] == []
        [incident] = await incidents(h)
        transcript = incident["description"].split("Transcript: ")[1].split("\n")[0].split()
        heard = [word for word in KEY_WORDS if word in transcript]
        assert len(heard) >= 2, transcript
        assert "transcript pending" not in incident["description"]
        response = await get(link_in(incident["description"]))
        assert response.status_code == 200 and response.content == wav


async def test_a_failed_local_transcription_keeps_the_recording(database_url: str) -> None:
    wav = wav_40_bit()
    async with local(database_url) as h:
        await directory(h)
        done = await call(h, CALLER, INCIDENT, AGENTS, HIGH, END, SEND, recording=wav)
        assert done.said[-1] == fill(P.incident.done, severity="high", group="agents")
        [incident] = await incidents(h)
        link = link_in(incident["description"])
        response = await get(link)
        assert response.status_code == 200 and response.content == wav
        # The engine's failure came back as a failed transcript, so nobody waited for one.
        async with h.container.paging.unit_of_work(read_only=True) as uow:
            conversation = await uow.conversations.get(done.sid)
        assert conversation is not None
        assert list(conversation.state["transcripts"].values()) == [""]
        assert "transcription failed" in incident["description"]
