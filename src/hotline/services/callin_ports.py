"""What the call-in shell hands work to: the live call, conference bridges, recording links
and forwarding. Each is optional; :class:`~hotline.services.hotline_calls.HotlineCalls`
answers "not available" for an action whose collaborator is not configured.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from hotline.domain import hotline_menu as hm
from hotline.domain.hotline_config import Action
from hotline.ports import CallRecord, UnitOfWork
from hotline.services.callin_outcomes import Message

Handed = hm.OutcomeStored | hm.OutcomeFailed


class LiveCallStarter(Protocol):
    """Starts the live-call hunt for a caller (the live-call capability)."""

    async def start(
        self, uow: UnitOfWork, record: CallRecord, group: str, now: datetime
    ) -> Handed: ...

    async def caller_gone(self, uow: UnitOfWork, call_sid: str, now: datetime) -> None:
        """The caller's call ended: stop their hunt at once."""
        ...

    async def incident_opened(
        self, uow: UnitOfWork, record: CallRecord, incident_id: int, now: datetime
    ) -> None:
        """The caller's message became an incident (after an unanswered hunt: link them)."""
        ...


class BridgeHost(Protocol):
    """Opens conference bridges and lets callers join them by code."""

    async def open(
        self, uow: UnitOfWork, record: CallRecord, message: Message, now: datetime
    ) -> Handed: ...

    async def join(
        self, uow: UnitOfWork, record: CallRecord, code: str, now: datetime
    ) -> hm.OutcomeStored | hm.CodeRejected: ...

    async def host_gone(self, uow: UnitOfWork, record: CallRecord, now: datetime) -> None:
        """The caller's call ended (they may have opened a bridge)."""
        ...


class RecordingLinks(Protocol):
    """Turns a carrier recording into the link Hotline hands out (and keeps the audio).
    Called at the confirmation and again when the message goes out: the same recording of
    the same call gives the same kept recording."""

    async def link(
        self, uow: UnitOfWork, record: CallRecord, recording_url: str, now: datetime
    ) -> str: ...


class Forwarder(Protocol):
    """Forwards a stored call-in event elsewhere (e.g. an xMatters inbound trigger)."""

    async def forward(
        self,
        uow: UnitOfWork,
        action: Action,
        message: Message,
        severity: int | None,
        now: datetime,
    ) -> None: ...


class CarrierLinks:
    """The default :class:`RecordingLinks`: the carrier's own recording URL."""

    async def link(
        self, uow: UnitOfWork, record: CallRecord, recording_url: str, now: datetime
    ) -> str:
        return recording_url
