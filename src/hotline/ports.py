"""Ports: what the services need from the outside world, as Protocols.

Adapters implement them (``hotline.adapters``); fakes for tests live next to the adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, Self

from hotline.domain.bridge import Bridge
from hotline.domain.directory import Absence, Directory, EscalationPolicy, Group, Person, Rotation
from hotline.domain.hunt import Hunt
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
    async def people_with_voice_number(self, number: str) -> list[Person]:
        """Everyone (active or not) with ``number`` among their voice numbers, by name."""
        ...

    async def save_person(self, person: Person, previous: str | None = None) -> Saved: ...
    async def delete_person(self, name: str) -> None: ...
    async def person_references(self, name: str) -> list[str]: ...

    async def list_groups(self) -> list[Group]: ...
    async def get_group(self, name: str) -> Group | None: ...
    async def group_labels(self, names: Sequence[str] | None = None) -> dict[str, str]:
        """Name -> name to say of every group (or of those in ``names`` that exist), in no
        particular order: one light query, no members."""
        ...

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
    ordering_key: str | None = None  # jobs sharing it run one at a time, in order


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

    async def status_of(self, incident_id: int) -> list[tuple[str, str, int, str | None]]:
        """``(kind, status, tries, last_error)`` of an incident's jobs, oldest first."""
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
    async def placed(self, token: str, call_sid: str) -> Attempt | None:
        """Store the id of the attempt's call unless it has one, and move a queued attempt
        to placed; without locking the incident. None: no such attempt."""
        ...

    async def get_by_attempt(self, token: str, *, for_update: bool = True) -> Incident | None:
        """The incident an attempt belongs to, its row locked for this transaction unless
        ``for_update`` is false."""
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

    async def recent(self, limit: int = 50) -> list[CallRecord]:
        """The latest conversations, newest first."""
        ...

    async def count_from(self, caller: str, since: datetime) -> int:
        """How many conversations ``caller`` (a number, or "withheld") started at or after
        ``since``: the per-caller rate limit, shared by every replica through the database.
        Until the unit of work ends, no other one counts for the same ``caller``: the call
        that counted stores its conversation before the next call from that number counts."""
        ...


class BridgeRepository(Protocol):
    """Conference bridges, inside a unit of work."""

    async def get(self, bridge_id: int, *, for_update: bool = False) -> Bridge | None: ...

    async def open_with_code(self, code: str, *, for_update: bool = False) -> Bridge | None:
        """The open bridge with ``code`` (at most one exists)."""
        ...

    async def hosted_by(self, call_sid: str, *, for_update: bool = False) -> Bridge | None:
        """The latest bridge opened by the call ``call_sid``."""
        ...

    async def recent(self, limit: int = 100) -> list[Bridge]: ...

    async def add(self, bridge: Bridge) -> None:
        """Store a new bridge and set its id; an open bridge with the same code raises
        ``Conflict``."""
        ...

    async def save(self, bridge: Bridge) -> None:
        """Write back a bridge read in this unit of work (optimistic version check)."""
        ...


@dataclass(slots=True)
class LiveCallRecord:
    """One live-call hunt as stored: the pure :class:`Hunt` plus the shell's own fields.

    ``token`` is the opaque id in callback URLs; ``call_sid`` is the caller's call;
    ``leg_calls`` maps a leg number to the carrier's id of that call, once placed;
    ``leg_placing`` to when the carrier was asked for it (a crash may leave no id).
    """

    token: str
    call_sid: str
    caller: str
    caller_name: str | None
    hunt: Hunt
    created_at: datetime
    updated_at: datetime
    leg_calls: dict[int, str] = field(default_factory=dict)
    leg_placing: dict[int, datetime] = field(default_factory=dict)  # asked the carrier at
    incident_id: int | None = None
    id: int | None = None


class LiveCallRepository(Protocol):
    """Live-call hunts, inside the caller's unit of work."""

    async def get(self, hunt_id: int) -> LiveCallRecord | None: ...

    async def by_token(self, token: str, *, for_update: bool = False) -> LiveCallRecord | None:
        """The hunt ``token`` names; ``for_update`` locks it for this transaction."""
        ...

    async def latest_for_call(
        self, call_sid: str, *, for_update: bool = False
    ) -> LiveCallRecord | None:
        """The newest hunt started by the caller's call ``call_sid``."""
        ...

    async def recent(self, limit: int = 100) -> list[LiveCallRecord]: ...

    async def add(self, record: LiveCallRecord) -> None:
        """Store a new hunt and set its id."""
        ...

    async def save(self, record: LiveCallRecord) -> None:
        """Write back a hunt read in this unit of work (optimistic version check)."""
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
    @property
    def bridges(self) -> BridgeRepository: ...
    @property
    def live_calls(self) -> LiveCallRepository: ...
    @property
    def recordings(self) -> RecordingRepository: ...

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

    async def announce(self, conference_sid: str, url: str) -> None:
        """Make the carrier fetch TwiML (``<Say>``/``<Play>``) from ``url`` and play it to
        everyone in the conference ``conference_sid``. Retryable: network, 429, 5xx.
        Permanent: unknown or ended conference, bad request."""
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

    async def fetch_recording(self, recording_url: str) -> RecordingAudio:
        """The audio (WAV) of the recording the carrier announced at ``recording_url``,
        downloaded with the account's credentials from the carrier's own API (only the
        recording id is taken from the URL). Retryable: network, 429, 5xx, and 404 (a
        recording may not be downloadable yet right after it ends). Permanent: a URL that
        names no recording, bad credentials, a file too large."""
        ...

    async def delete_recording(self, recording_url: str) -> None:
        """Delete the carrier's copy of the recording at ``recording_url`` (only its id is
        taken from the URL); one already gone is not an error. Retryable as above."""
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


class LinkSigner(Protocol):
    """Makes and checks signed, expiring links to recordings (``hotline.adapters.links``)."""

    def url_for(self, recording_id: str, now: datetime) -> str: ...
    def verify(self, recording_id: str, expires: str, sig: str, now: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class RecordingAudio:
    data: bytes
    content_type: str


@dataclass(slots=True)
class StoredRecording:
    """A call-in recording Hotline keeps. ``id`` is the opaque name in its signed link;
    ``carrier_url`` is where the carrier has it (never handed out); ``audio`` is None until
    the download job has stored it (and when loaded without it)."""

    id: str
    call_sid: str
    carrier_url: str
    created_at: datetime
    audio: RecordingAudio | None = None
    stored_at: datetime | None = None


class RecordingRepository(Protocol):
    """Kept recordings, inside the caller's unit of work."""

    async def get(self, recording_id: str, *, with_audio: bool = False) -> StoredRecording | None:
        """The recording ``recording_id``; its audio only when ``with_audio``."""
        ...

    async def for_call(self, call_sid: str, carrier_url: str) -> StoredRecording | None:
        """The recording kept for ``carrier_url`` of the call ``call_sid`` (without audio)."""
        ...

    async def add(self, recording: StoredRecording) -> None:
        """Store a new recording; the same ``id`` or (call, carrier URL) twice: ``Conflict``."""
        ...

    async def store_audio(self, recording_id: str, audio: RecordingAudio, now: datetime) -> None:
        """Keep the downloaded audio of ``recording_id`` (replacing any earlier copy)."""
        ...

    async def delete_older_than(self, before: datetime, limit: int) -> list[str]:
        """Delete at most ``limit`` recordings made before ``before``, oldest first, audio
        and all; the carrier URLs of those that went."""
        ...
