"""The jobs behind kept recordings: download the audio, transcribe it locally, and shorten
recording links in outgoing SMS.

- ``keep_recording``: fetch the audio from the carrier (outside any transaction), then store
  it and, with local transcription, queue ``transcribe_recording`` in one transaction.
- ``transcribe_recording``: run the local engine on the kept audio and hand the text to
  :meth:`HotlineCalls.transcript`, the same path as the carrier's transcription callback.
  Audio the engine cannot read is a failed transcription, never a lost recording: the
  message goes out with its link either way.
- ``delete_carrier_recording``: once Hotline deletes a recording past its retention, the
  carrier's copy goes too (queued in the transaction that deleted Hotline's).
- ``send_sms`` (only when a shortener is configured): every Hotline recording link in the
  body is shortened, then the text is sent as usual. A shortener never raises (any trouble
  gives the long link back), and this runs in the worker, never in a caller's webhook.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from hotline.ports import Job, Shortener, Transcriber, TranscriptionError, UnitOfWork
from hotline.services.hotline_calls import HotlineCalls
from hotline.services.recordings import Recordings

log = logging.getLogger("hotline.recordings")

Handler = Callable[[Job], Awaitable[None]]
_AUDIO_KINDS = frozenset({"keep_recording", "transcribe_recording"})
KINDS = _AUDIO_KINDS | {"delete_carrier_recording"}


class RecordingJobs:
    """``transcriber``: the local engine, or None when the carrier transcribes.
    ``shortener`` with ``send_sms`` (the plain SMS job): SMS get short recording links."""

    def __init__(
        self,
        recordings: Recordings,
        calls: HotlineCalls,
        *,
        public_url: str,
        transcriber: Transcriber | None = None,
        shortener: Shortener | None = None,
        send_sms: Handler | None = None,
    ) -> None:
        self.recordings = recordings
        self.paging = recordings.paging
        self.calls = calls
        self.transcriber = transcriber
        self.shortener = shortener
        self._send_sms = send_sms
        self._link = re.compile(
            re.escape(public_url.rstrip("/"))
            + r"/recordings/[A-Za-z0-9_-]{1,64}\?expires=[0-9]{1,12}&sig=[A-Za-z0-9_-]{43}"
        )

    async def keep_recording(self, job: Job) -> None:
        recording_id = job.payload["recording"]
        async with self.paging.unit_of_work(read_only=True) as uow:
            kept = await uow.recordings.get(recording_id)
        if kept is None or kept.stored_at is not None:
            return  # gone, or a retry after the audio was already kept
        audio = await self.recordings.carrier.fetch_recording(kept.carrier_url)

        async def store(uow: UnitOfWork, now: datetime) -> None:
            await uow.recordings.store_audio(recording_id, audio, now)
            if self.transcriber is not None:
                uow.jobs.enqueue("transcribe_recording", {"recording": recording_id}, run_at=now)

        await self.paging.transact(store)

    async def transcribe_recording(self, job: Job) -> None:
        if self.transcriber is None:
            return  # configuration changed since the job was queued
        async with self.paging.unit_of_work(read_only=True) as uow:
            kept = await uow.recordings.get(job.payload["recording"], with_audio=True)
        if kept is None or kept.audio is None:
            return
        try:
            text = await self.transcriber.transcribe(kept.audio.data)
        except TranscriptionError as error:
            if error.retryable:
                raise
            log.warning("call %s: transcription failed: %s", kept.call_sid, error)
            await self.calls.transcript(kept.call_sid, "", False, kept.carrier_url)
            return
        await self.calls.transcript(kept.call_sid, text, True, kept.carrier_url)

    async def delete_carrier_recording(self, job: Job) -> None:
        await self.recordings.carrier.delete_recording(job.payload["url"])

    async def on_dead(self, job: Job, error: str) -> None:
        """The audio could not be kept or transcribed: with local transcription, the caller
        (or the incident) stops waiting for a transcript. The link still works while the
        carrier has the recording."""
        if self.transcriber is None or job.kind not in _AUDIO_KINDS:
            return
        async with self.paging.unit_of_work(read_only=True) as uow:
            kept = await uow.recordings.get(job.payload["recording"])
        if kept is not None:
            await self.calls.transcript(kept.call_sid, "", False, kept.carrier_url)

    async def send_sms(self, job: Job) -> None:
        assert self._send_sms is not None and self.shortener is not None
        body = str(job.payload["body"])
        for link in dict.fromkeys(self._link.findall(body)):
            body = body.replace(link, await self.shortener.shorten(link))
        await self._send_sms(replace(job, payload={**job.payload, "body": body}))

    def handlers(self) -> dict[str, Handler]:
        """The recording jobs; ``send_sms`` too when SMS links are to be shortened (it
        replaces the plain one, so it must be merged after it)."""
        handlers: dict[str, Handler] = {
            "keep_recording": self.keep_recording,
            "transcribe_recording": self.transcribe_recording,
            "delete_carrier_recording": self.delete_carrier_recording,
        }
        if self.shortener is not None and self._send_sms is not None:
            handlers["send_sms"] = self.send_sms
        return handlers
