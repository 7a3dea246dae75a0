"""Call-in recordings that Hotline keeps and serves itself, at signed, expiring links.

The seed handed out the carrier's public media URL, so anyone holding it could listen for
ever (seed-behaviour B.22 item 4). Here, when a caller's message is confirmed,
:meth:`Recordings.link` stores one row per call and carrier recording and queues
``keep_recording``, which downloads the audio with the account's credentials and keeps it;
the link handed out is ``{HOTLINE_PUBLIC_URL}/recordings/{id}?expires=…&sig=…`` (HMAC-SHA256
over the id and expiry, :mod:`hotline.adapters.links`). :meth:`Recordings.open` serves a link
that is valid and unexpired: the kept audio, or the carrier's copy while the download has not
happened yet. The carrier's URL is never handed out.

The audio lives in the database, not in a directory: replicas share the database and
nothing else, backups cover recordings with the incidents they belong to, and a message is
small (ninety seconds of 8 kHz telephone WAV is about 1.4 MB). :meth:`Recordings.delete_expired`
(run hourly by :mod:`hotline.jobs.housekeeping`) deletes them after ``HOTLINE_RECORDING_KEEP_DAYS``.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from hotline.ports import (
    CallRecord,
    Carrier,
    CarrierError,
    LinkSigner,
    RecordingAudio,
    StoredRecording,
    UnitOfWork,
)
from hotline.services.paging import PagingService

log = logging.getLogger("hotline.recordings")

DELETE_BATCH = 100  # recordings per transaction: a short write lock, megabytes at most
DAY = timedelta(days=1)  # how long to keep trying to delete the carrier's copy
KEEP_DEADLINE = timedelta(hours=1)  # a carrier may take a while to make a recording downloadable
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Refusal(StrEnum):
    """Why a recording link was not served."""

    INVALID = "invalid"  # malformed or not signed by us
    EXPIRED = "expired"  # signed by us, but too old
    UNKNOWN = "unknown"  # signed, but no such recording is kept
    UNAVAILABLE = "unavailable"  # not downloaded yet and the carrier did not give it now


class Recordings:
    """Implements the call-in shell's ``RecordingLinks``; serves what it links to.

    ``local_transcription``: the kept audio is also transcribed by Hotline's own engine
    (``transcribe_recording``, :mod:`hotline.services.recording_jobs`). ``keep``: how long
    a recording is kept after its call (None: for ever).
    """

    def __init__(
        self,
        paging: PagingService,
        carrier: Carrier,
        signer: LinkSigner,
        *,
        local_transcription: bool = False,
        keep: timedelta | None = None,
    ) -> None:
        self.paging = paging
        self.carrier = carrier
        self.signer = signer
        self.local_transcription = local_transcription
        self.keep = keep

    async def link(
        self, uow: UnitOfWork, record: CallRecord, recording_url: str, now: datetime
    ) -> str:
        """The signed link to the carrier recording ``recording_url`` of ``record``'s call.
        The first time, in the caller's transaction: the row and the download job."""
        kept = await uow.recordings.for_call(record.call_sid, recording_url)
        if kept is None:
            kept = StoredRecording(
                id=secrets.token_urlsafe(16),
                call_sid=record.call_sid,
                carrier_url=recording_url,
                created_at=now,
            )
            await uow.recordings.add(kept)
            uow.jobs.enqueue(
                "keep_recording",
                {"recording": kept.id},
                run_at=now,
                deadline=now + KEEP_DEADLINE,
            )
        return self.signer.url_for(kept.id, now)

    async def open(self, recording_id: str, expires: str, sig: str) -> RecordingAudio | Refusal:
        """The audio a link names, or why not. Never redirects to the carrier."""
        now = self.paging.clock.now()
        if not self.signer.verify(recording_id, expires, sig, now):
            # Valid at the epoch means authentic but expired: say so (410), not "forbidden".
            authentic = self.signer.verify(recording_id, expires, sig, _EPOCH)
            return Refusal.EXPIRED if authentic else Refusal.INVALID
        async with self.paging.unit_of_work(read_only=True) as uow:
            kept = await uow.recordings.get(recording_id, with_audio=True)
        if kept is None:
            return Refusal.UNKNOWN
        if kept.audio is not None:
            return kept.audio
        try:
            return await self.carrier.fetch_recording(kept.carrier_url)
        except CarrierError as error:
            log.warning("recording %s not available from the carrier: %s", recording_id, error)
            return Refusal.UNAVAILABLE

    async def delete_expired(self) -> int:
        """Delete every recording older than ``keep``, in batches, and queue the deletion of
        the carrier's copy of each; how many went. Their links then answer "unknown" (404),
        as for a recording never kept."""
        if self.keep is None:
            return 0
        cutoff = self.paging.clock.now() - self.keep

        async def batch(uow: UnitOfWork, now: datetime) -> int:
            urls = await uow.recordings.delete_older_than(cutoff, DELETE_BATCH)
            for url in urls:  # the carrier's copy goes too, one request at a time: a
                # backlog (thousands after an upgrade) must not crowd out page-out calls
                uow.jobs.enqueue(
                    "delete_carrier_recording",
                    {"url": url},
                    run_at=now,
                    deadline=now + DAY,
                    ordering_key="delete_carrier_recording",
                )
            return len(urls)

        deleted = 0
        while True:
            went = await self.paging.transact(batch)
            deleted += went
            if went < DELETE_BATCH:
                break
        if deleted:
            log.info("deleted %d recording(s) older than %s", deleted, self.keep)
        return deleted
