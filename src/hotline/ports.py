"""Ports: what the services need from the outside world, as Protocols.

Adapters implement them (``hotline.adapters``); fakes for tests live next to the adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, Self

from hotline.domain.directory import Absence, Directory, EscalationPolicy, Group, Person, Rotation
from hotline.domain.incident import Attempt, Incident, TimelineEvent
from hotline.domain.incidents import IncidentStatus, Source
from hotline.domain.voice import CallStatus


class Clock(Protocol):
    def now(self) -> datetime:
        """The current aware UTC instant."""
        ...


class Saved(StrEnum):
    """What a save did; ``UNCHANGED`` means no row was written."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class DirectoryRepository(Protocol):
    """Reads and writes the directory by name, inside the caller's unit of work.

    Saves take the full new value; ``previous`` names the stored entity it replaces (a
    rename), defaulting to the value's own name. References to unknown names raise
    ``Invalid``; duplicate names raise ``Conflict``.
    """

    async def list_people(self) -> list[Person]: ...
    async def get_person(self, name: str) -> Person | None: ...
    async def save_person(self, person: Person, previous: str | None = None) -> Saved: ...
    async def delete_person(self, name: str) -> None: ...
    async def person_references(self, name: str) -> list[str]: ...

    async def list_groups(self) -> list[Group]: ...
    async def get_group(self, name: str) -> Group | None: ...
    async def save_group(self, group: Group, previous: str | None = None) -> Saved: ...
    async def delete_group(self, name: str) -> None: ...
    async def group_references(self, name: str) -> list[str]: ...
    async def group_edges(self) -> dict[str, list[str]]: ...

    async def list_rotations(self) -> list[Rotation]: ...
    async def get_rotation(self, name: str) -> Rotation | None: ...
    async def save_rotation(self, rotation: Rotation, previous: str | None = None) -> Saved: ...
    async def delete_rotation(self, name: str) -> None: ...
    async def rotation_references(self, name: str) -> list[str]: ...

    async def list_policies(self) -> list[EscalationPolicy]: ...
    async def get_policy(self, name: str) -> EscalationPolicy | None: ...
    async def save_policy(self, policy: EscalationPolicy, previous: str | None = None) -> Saved: ...
    async def delete_policy(self, name: str) -> None: ...

    async def list_absences(self, person: str | None = None) -> list[Absence]: ...
    async def get_absence(self, absence_id: int) -> Absence | None: ...
    async def find_absence(self, absence: Absence) -> Absence | None: ...
    async def save_absence(self, absence: Absence) -> Absence: ...
    async def delete_absence(self, absence_id: int) -> None: ...

    async def load_for_oncall(self, groups: Sequence[str], at: datetime) -> Directory:
        """The part of the directory reachable from ``groups``, with absences at ``at``."""
        ...


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    tries: int
    created_at: datetime
    incident_id: int | None = None
    deadline: datetime | None = None


class JobQueue(Protocol):
    """The durable outbox, inside the caller's transaction."""

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_at: datetime,
        incident_id: int | None = None,
        ordering_key: str | None = None,
        deadline: datetime | None = None,
    ) -> None:
        """Add a job; it becomes visible to workers when the transaction commits. Jobs
        sharing an ``ordering_key`` run one at a time, in the order they were enqueued."""
        ...


class IncidentRepository(Protocol):
    async def add(self, incident: Incident) -> Incident: ...
    async def get(self, incident_id: int, *, for_update: bool = False) -> Incident | None: ...
    async def save(self, incident: Incident) -> None:
        """Write a loaded incident back; ``Conflict`` if someone else saved it meanwhile."""
        ...

    async def recent(
        self, status: IncidentStatus | None = None, limit: int = 100
    ) -> list[Incident]: ...
    async def find_open_by_dedup_key(self, key: str) -> Incident | None: ...
    async def find_by_external_id(self, external_id: str, source: Source) -> Incident | None: ...
    async def add_event(self, incident_id: int, event: TimelineEvent) -> None: ...
    async def timeline(self, incident_id: int) -> list[TimelineEvent]: ...
    async def add_attempt(self, attempt: Attempt) -> None: ...
    async def attempt(self, token: str) -> Attempt | None: ...
    async def get_by_attempt(self, token: str) -> Incident | None:
        """The incident an attempt belongs to, its row locked for this transaction."""
        ...

    async def attempt_by_number(self, incident_id: int, number: int) -> Attempt | None: ...
    async def attempts(self, incident_id: int) -> list[Attempt]: ...
    async def call_ids_in_use(self, call_ids: Sequence[str]) -> set[str]:
        """Which of these carrier call ids already belong to an attempt."""
        ...

    async def unfinished_attempts(self) -> list[Attempt]:
        """Placed calls not known to have ended (checked with the carrier after a restart)."""
        ...

    async def save_attempt(self, attempt: Attempt) -> None: ...


@dataclass(slots=True)
class CallRecord:
    """One call-in conversation as stored, keyed by the carrier's CallSid.

    ``state`` holds the machine's dynamic fields and the shell's own (transcript, wait
    start, outcome reference) as JSON; the menu is rebuilt from configuration on each request.
    """

    call_sid: str
    caller: str
    person: str | None
    state: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ConversationRepository(Protocol):
    """Call-in conversations, inside the caller's unit of work."""

    async def get(self, call_sid: str, *, for_update: bool = False) -> CallRecord | None:
        """The conversation of ``call_sid``; ``for_update`` locks its row."""
        ...

    async def add(self, record: CallRecord) -> None:
        """Store a new conversation; a second one for the same CallSid raises ``Conflict``."""
        ...

    async def save(self, record: CallRecord) -> None:
        """Write back a conversation read in this unit of work (optimistic version check)."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, read_only: bool = False) -> UnitOfWork:
        """A new unit of work; a ``read_only`` one never writes (and never waits for writers)."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Nothing is written unless ``commit`` is awaited."""

    @property
    def directory(self) -> DirectoryRepository: ...
    @property
    def incidents(self) -> IncidentRepository: ...
    @property
    def jobs(self) -> JobQueue: ...
    @property
    def conversations(self) -> ConversationRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None: ...
    async def commit(self) -> None: ...


# --- telephony ---------------------------------------------------------------------------


class CarrierError(Exception):
    """A carrier request failed. ``retryable`` says whether trying again later may work
    (network trouble, rate limiting, carrier 5xx) or never will (bad number, bad request,
    unknown call, bad credentials). ``str()`` never holds a secret."""

    def __init__(self, message: str, *, retryable: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True, slots=True)
class CallRequest:
    """An outbound call. ``url`` is fetched on answer; ``status_callback`` receives the
    ``status_events`` (subset of initiated, ringing, answered, completed)."""

    to: str
    from_: str
    url: str
    status_callback: str
    # Only the final status by default: progress callbacks cost a webhook each, and the
    # answer is already known from the request for ``url``.
    status_events: tuple[str, ...] = ("completed",)
    timeout: int = 30
    machine_detection: bool = False


@dataclass(frozen=True, slots=True)
class CallInfo:
    sid: str
    status: CallStatus
    to: str
    from_: str
    duration: int | None = None
    answered_by: str | None = None
    created_at: datetime | None = None


class Carrier(Protocol):
    """Places and controls phone calls and sends SMS.

    Every method raises :class:`CarrierError`; its ``retryable`` flag follows the rules in
    each docstring.
    """

    async def place_call(self, request: CallRequest) -> str:
        """Start an outbound call; returns its call id. Retryable: network errors, HTTP 429
        and 5xx. Permanent: an invalid or unreachable ``to``, bad credentials, bad request."""
        ...

    async def redirect_call(self, call_id: str, url: str) -> None:
        """Make a live call fetch new instructions from ``url`` now. Retryable: network,
        429, 5xx. Permanent: unknown call, or the call has already ended."""
        ...

    async def end_call(self, call_id: str) -> None:
        """Cancel a call still queued or ringing, or hang up one in progress. A call that
        has already ended is not an error. Retryable: network, 429, 5xx."""
        ...

    async def fetch_call(self, call_id: str) -> CallInfo:
        """Current state of a call. Retryable: network, 429, 5xx. Permanent: unknown call."""
        ...

    async def find_calls(self, to: str, from_: str, since: datetime) -> list[CallInfo]:
        """Calls from ``from_`` to ``to`` created at or after ``since`` (used to reconcile a
        call whose creation may have reached the carrier before a crash). Retryable as
        ``fetch_call``."""
        ...

    async def send_sms(self, to: str, from_: str, body: str) -> str:
        """Send a text message; returns its id. Retryable: network, 429, 5xx. Permanent: an
        invalid or non-mobile ``to``, an empty or too long body, bad credentials."""
        ...


# --- ticketing (ServiceNow) and e-mail --------------------------------------------------


class TicketError(Exception):
    """A ticketing request failed; ``retryable`` as for :class:`CarrierError`."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class TicketState(StrEnum):
    """ServiceNow incident states Hotline sets (values are the ``state`` field codes)."""

    IN_PROGRESS = "2"


@dataclass(frozen=True, slots=True)
class TicketUpdate:
    """One write to an external incident; ``None`` fields are left unchanged."""

    work_note: str | None = None
    assigned_to: str | None = None
    state: TicketState | None = None


class Tickets(Protocol):
    async def update(self, external_id: str, update: TicketUpdate) -> None:
        """Apply ``update`` to the external incident ``external_id`` (a ServiceNow sys_id).

        Raises :class:`TicketError`: retryable on network errors, timeouts, HTTP 429 and 5xx;
        permanent on 400/401/403/404 (bad request, credentials, unknown incident)."""
        ...


class MailError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: tuple[str, ...]
    subject: str
    body: str


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Send one plain-text e-mail. Raises :class:`MailError`: retryable on connection
        problems and 4xx SMTP replies; permanent on 5xx replies (e.g. all recipients
        refused) and authentication failures."""
        ...


# --- call-in hotline: transcription, recording links ----------------------------------------


class TranscriptionError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Transcriber(Protocol):
    async def transcribe(self, wav: bytes) -> str:
        """The words spoken in a WAV recording ("" for silence). Raises
        :class:`TranscriptionError` (retryable when trying again later may help)."""
        ...


class Shortener(Protocol):
    async def shorten(self, url: str) -> str:
        """A short URL for ``url``; on any failure, ``url`` itself (never raises)."""
        ...
