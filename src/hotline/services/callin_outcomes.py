"""What a confirmed call-in message becomes: an incident that pages the group, or an alert
(SMS and e-mail to the group's on-call people). Both are stored (and their notices queued as
jobs) in the caller's webhook transaction, before the caller hears that they were sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.domain.directory import EscalationPolicy
from hotline.domain.incidents import Source
from hotline.ports import CallRecord, UnitOfWork
from hotline.services.callin_config import HotlineConfig
from hotline.services.inputs import IncidentIn
from hotline.services.paging import NOTICE_DEADLINE, External, PagingService
from hotline.services.paging_plan import snapshot_tiers

TRANSCRIPT_PENDING = "transcript pending"
TRANSCRIPTION_FAILED = "transcription failed; please listen to the recording"


@dataclass(frozen=True)
class Message:
    """A caller's confirmed message, ready to be sent on."""

    group: str
    who: str  # the caller's name when known, else their number
    caller: str  # the caller's number, or "withheld"
    transcript: str
    recording: str  # the link people follow to listen


class Outcomes:
    def __init__(self, paging: PagingService, config: HotlineConfig) -> None:
        self.paging = paging
        self.config = config

    async def incident(
        self, uow: UnitOfWork, record: CallRecord, message: Message, severity: int, now: datetime
    ) -> int:
        """Open an incident for the message's group (which starts its page-out); its id."""
        description = (
            f"Reported by phone by {message.who} ({message.caller}).\n"
            f"Transcript: {message.transcript}\nRecording: {message.recording}"
        )
        incident, _ = await self.paging.create(
            uow,
            IncidentIn(
                title=f"Hotline call from {message.who}: {_snippet(message.transcript)}",
                description=description,
                severity=severity,
                group=message.group,
            ),
            now,
            External(Source.HOTLINE, record.call_sid, record.caller),
        )
        assert incident.id is not None
        return incident.id

    async def alert(self, uow: UnitOfWork, message: Message, now: datetime) -> str:
        """Queue SMS (and e-mail when enabled) to the group's on-call people; a summary."""
        body = (
            f"Hotline alert for {message.group} from {message.who}: {message.transcript}. "
            f"Recording: {message.recording}"
        )
        subject = f"Hotline alert for {message.group}"
        count = await self.notify_group(uow, message.group, subject, body, now)
        return f"alert to {count} phone(s)"

    async def notify_group(
        self, uow: UnitOfWork, group: str, subject: str, body: str, now: datetime
    ) -> int:
        """SMS and e-mail ``body`` to whoever is on call for ``group``; how many phones."""
        policy = EscalationPolicy(name=f"group {group}", tiers=(group,))
        tiers = await snapshot_tiers(uow, policy, now)
        targets = [t for tier in tiers for t in tier.targets]
        numbers = list(dict.fromkeys(n for t in targets for n in (t.sms or (t.phone,))))
        for number in numbers:
            uow.jobs.enqueue(
                "send_sms",
                {"to": number, "body": body[:1500]},
                run_at=now,
                deadline=now + NOTICE_DEADLINE,
            )
        emails = list(dict.fromkeys(t.email for t in targets if t.email))
        if emails and self.config.email_enabled:
            uow.jobs.enqueue(
                "send_email",
                {"to": emails, "subject": subject, "body": body},
                run_at=now,
                deadline=now + NOTICE_DEADLINE,
            )
        return len(numbers)


def _snippet(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
