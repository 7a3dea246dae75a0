"""Forward stored call-in events to an xMatters inbound trigger (the
:class:`~hotline.services.callin_ports.Forwarder` of the call-in hotline).

The seed posted its whole request object, settings and keys included (seed B.11). Here the
body is built from a whitelist and nothing else: who gets it, what kind of event, severity,
description, short description and the recording link. The keys are the ones xMatters'
"Initiate by Phone" workflow reads (seed B.19), so an existing installation keeps working:

==================== ===================== =============================================
key                  workflow field        value
==================== ===================== =============================================
``recipient``        Recipients            the hotline group's name
``what``             Type                  ``Alert``, ``Conference`` or ``Incident``
``severity``         Severity              ``"1"`` (critical) to ``"5"`` (minimal)
``transcriptionText`` Description          who called, and what they said
``shortDescription`` Short Description     the description cut to 275 characters
``shorturl``         Audio URL             the recording link Hotline hands out
==================== ===================== =============================================

The event is queued as an ``xmatters_event`` job in the transaction that stored the outcome;
the job worker sends it, retrying with backoff while xMatters is unreachable or answers 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from hotline.domain.hotline_config import Action
from hotline.ports import Job, UnitOfWork
from hotline.services.callin_outcomes import TRANSCRIPT_PENDING, Message

log = logging.getLogger("hotline.xmatters")

JOB_KIND = "xmatters_event"
FIELDS = ("recipient", "what", "severity", "transcriptionText", "shortDescription", "shorturl")
# Events a caller raised are worth delivering late rather than never (as SMS and e-mail).
DEADLINE = timedelta(hours=6)
SHORT_LIMIT = 275  # the workflow's own cut: 274 characters and "..."
DEFAULT_SEVERITY = 3  # the workflow's default (Medium) for events that have none
NO_TRANSCRIPT = "No transcript yet: please listen to the recording."
TYPES = {Action.ALERT: "Alert", Action.CONFERENCE: "Conference", Action.INCIDENT: "Incident"}


class EventTrigger(Protocol):
    """Where events go (:class:`hotline.adapters.xmatters.XMattersTrigger`)."""

    async def send(self, payload: Mapping[str, Any]) -> str:
        """Deliver one event; xMatters' request id. Raises an exception with ``retryable``."""
        ...


def payload(action: Action, message: Message, severity: int | None) -> dict[str, str] | None:
    """The whitelisted body for ``message``; None for actions xMatters has no event for."""
    kind = TYPES.get(action)
    if kind is None:
        return None
    transcript = message.transcript.strip()
    if not transcript or transcript == TRANSCRIPT_PENDING:
        transcript = NO_TRANSCRIPT
    description = f"Hotline call from {message.who}: {transcript}"
    return {
        "recipient": message.group,
        "what": kind,
        "severity": str(severity or DEFAULT_SEVERITY),
        "transcriptionText": description,
        "shortDescription": _shorten(description),
        "shorturl": message.recording,
    }


class XMattersForwarder:
    """Queues events in the caller's transaction; :meth:`send_job` delivers them."""

    def __init__(self, trigger: EventTrigger) -> None:
        self.trigger = trigger

    async def forward(
        self,
        uow: UnitOfWork,
        action: Action,
        message: Message,
        severity: int | None,
        now: datetime,
    ) -> None:
        body = payload(action, message, severity)
        if body is None:
            return
        uow.jobs.enqueue(JOB_KIND, body, run_at=now, deadline=now + DEADLINE)

    async def send_job(self, job: Job) -> None:
        """The ``xmatters_event`` job: send the stored body (whitelisted again, so a job row
        written by anything else cannot smuggle other fields out)."""
        body = {key: str(job.payload[key]) for key in FIELDS if key in job.payload}
        request_id = await self.trigger.send(body)
        log.info(
            "xMatters accepted the %s event for %s (request %s)",
            body.get("what", "?"),
            body.get("recipient", "?"),
            request_id or "without id",
        )

    def handlers(self) -> dict[str, Callable[[Job], Awaitable[None]]]:
        return {JOB_KIND: self.send_job}


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT_LIMIT else text[: SHORT_LIMIT - 1] + "..."
