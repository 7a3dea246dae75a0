"""The composition root: settings in, wired adapters and services out."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.adapters.bitly import BitlyShortener
from hotline.adapters.clock import SystemClock
from hotline.adapters.db import migrate
from hotline.adapters.db.accounts_repo import SqlAccountStore
from hotline.adapters.db.engine import READ_ONLY, create_engine
from hotline.adapters.db.jobs_repo import SqlJobStore
from hotline.adapters.db.uow import SqlUnitOfWork, session_factory
from hotline.adapters.links import RecordingLinks as SignedLinks
from hotline.adapters.servicenow import ServiceNowTickets
from hotline.adapters.smtp import SmtpMailer
from hotline.adapters.transcription.local import PocketSphinxTranscriber
from hotline.adapters.twilio.carrier import TwilioCarrier, make_client
from hotline.adapters.xmatters import XMattersTrigger
from hotline.domain.bridge import BridgePhrases
from hotline.domain.hotline_config import Action, Phrases
from hotline.domain.hunt import Limits
from hotline.domain.phrasebook import with_overrides
from hotline.jobs.housekeeping import Housekeeping
from hotline.jobs.worker import Worker
from hotline.ports import Carrier, Clock, Job, Mailer, Tickets
from hotline.services.accounts import AccountsService
from hotline.services.bridge_calls import BridgeCalls
from hotline.services.bridges import BridgeConfig, Bridges
from hotline.services.callin_config import HotlineConfig
from hotline.services.callin_outcomes import Outcomes
from hotline.services.directory import DirectoryService
from hotline.services.hotline_calls import HotlineCalls
from hotline.services.live_call_legs import LiveCallLegs
from hotline.services.live_calls import LiveCallConfig, LiveCalls
from hotline.services.page_calls import PageCalls
from hotline.services.page_jobs import PageJobs
from hotline.services.paging import PagingConfig, PagingService
from hotline.services.recording_jobs import KINDS as RECORDING_JOBS
from hotline.services.recording_jobs import RecordingJobs
from hotline.services.recordings import Recordings
from hotline.services.xmatters_forward import XMattersForwarder
from hotline.settings import DEMO_PHONE_NUMBER, Settings, SettingsError

if TYPE_CHECKING:
    from hotline.simulator import Simulator


# Jobs are short (one carrier or ServiceNow request); a job still "running" after this long
# belonged to a process that died, and another worker takes it over.
JOB_LEASE = timedelta(seconds=45)
HOUSEKEEPING_EVERY = timedelta(hours=1)


class SchemaOutOfDate(Exception):
    """The database is not at the newest migration; ``hotline db upgrade`` fixes it."""


@dataclass(frozen=True)
class CarrierAccount:
    """Who we are at the carrier. In simulator mode, unset values get per-process random
    demo credentials (the in-process simulator shares them), never a fixed known token."""

    account_sid: str
    auth_token: str = field(repr=False)
    phone_number: str
    secondary_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> CarrierAccount:
        secondary = settings.twilio_auth_token_secondary
        token = settings.twilio_auth_token
        return cls(
            account_sid=settings.twilio_account_sid or "AC" + secrets.token_hex(16),
            auth_token=token.get_secret_value() if token else secrets.token_hex(16),
            phone_number=settings.twilio_phone_number or DEMO_PHONE_NUMBER,
            secondary_token=secondary.get_secret_value() if secondary else None,
        )


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    directory: DirectoryService
    account: CarrierAccount
    http: httpx.AsyncClient
    twilio: Any  # twilio.rest.Client (the SDK is untyped)
    carrier: Carrier
    paging: PagingService
    page_calls: PageCalls
    page_jobs: PageJobs
    hotline_calls: HotlineCalls
    worker: Worker
    job_store: SqlJobStore
    housekeeping: Housekeeping
    simulator: Simulator | None = None
    run_worker: bool = True
    bridges: Bridges = field(kw_only=True)
    bridge_calls: BridgeCalls = field(kw_only=True)
    accounts: AccountsService = field(kw_only=True)  # dashboard users
    live_calls: LiveCalls = field(kw_only=True)  # talk to a group's on-call person now
    live_call_legs: LiveCallLegs = field(kw_only=True)
    recordings: Recordings = field(kw_only=True)  # kept call-in recordings, signed links

    @property
    def webhook_tokens(self) -> list[str]:
        """Tokens a carrier webhook may be signed with (primary first, for rotation)."""
        return [t for t in (self.account.auth_token, self.account.secondary_token) if t]

    async def start(self) -> None:
        """Start what runs in the background: the job worker, housekeeping (old recordings
        deleted) and, in demo mode, the in-process simulator."""
        if self.run_worker:
            if self.settings.is_sqlite:  # one process: whatever was running has died
                await self.job_store.release_running()
            await self.page_jobs.recover()
            self.worker.start()
            self.housekeeping.start()
        if self.simulator is not None:
            await self.simulator.start()
            public = self.settings.public_url
            self.simulator.configure_number(
                self.account.phone_number,
                voice_url=public + "/voice/incoming",
                status_callback=public + "/voice/status",
            )

    async def check_schema(self) -> None:
        at, newest = await migrate.current(self.engine), migrate.head()
        if at != newest:
            raise SchemaOutOfDate(
                f"the database is at revision {at or 'none'}, this Hotline needs {newest}: "
                "run `hotline db upgrade`"
            )

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execution_options(**{READ_ONLY: True})
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.housekeeping.stop()
        await self.worker.stop()
        if self.simulator is not None:
            await self.simulator.close()
        await self.http.aclose()
        await self.engine.dispose()


def build(settings: Settings, clock: Clock | None = None) -> Container:
    """Wire everything; no I/O happens until a method is awaited."""
    engine = create_engine(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    sessions = session_factory(engine)
    account = CarrierAccount.from_settings(settings)
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    twilio = make_client(account.account_sid, account.auth_token, settings.carrier_api_url, http)
    carrier = TwilioCarrier(twilio)
    workers: list[Worker] = []  # the worker needs the services, which need units of work

    def uow(read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, workers[0], read_only=read_only)

    clock = clock or SystemClock()
    paging = PagingService(
        uow,
        clock,
        PagingConfig(
            public_url=settings.public_url,
            from_number=account.phone_number,
            human_check=settings.page_human_check,
            machine_detection=settings.page_machine_detection,
            tickets_enabled=settings.servicenow_instance_url is not None,
            email_enabled=settings.smtp_host is not None,
        ),
    )
    page_calls = PageCalls(paging)
    xmatters = _xmatters(settings, http)
    hotline_config = _hotline_config(settings)
    bridges = Bridges(paging, Outcomes(paging, hotline_config), _bridge_config(settings, account))
    bridge_calls = BridgeCalls(bridges, carrier)
    live_calls = LiveCalls(paging, _live_call_config(settings))
    live_call_legs = LiveCallLegs(live_calls, carrier)
    transcriber = _transcriber(settings)
    recordings = Recordings(
        paging,
        carrier,
        _recording_links(settings, account),
        local_transcription=transcriber is not None,
        keep=settings.recording_keep,
    )
    hotline_calls = HotlineCalls(
        paging,
        hotline_config,
        forwarder=xmatters,
        bridges=bridges,
        live_calls=live_calls,
        links=recordings,
    )
    page_jobs = PageJobs(page_calls, carrier, _tickets(settings, http), _mailer(settings))
    job_store = SqlJobStore(sessions)
    handlers = {**page_jobs.handlers(), **(xmatters.handlers() if xmatters else {})}
    handlers |= bridge_calls.handlers()
    handlers |= live_call_legs.handlers()
    recording_jobs = RecordingJobs(
        recordings,
        hotline_calls,
        public_url=settings.public_url,
        transcriber=transcriber,
        shortener=_shortener(settings, http),
        send_sms=handlers["send_sms"],
    )
    handlers |= recording_jobs.handlers()  # after page_jobs': may wrap send_sms

    async def on_dead(job: Job, error: str) -> None:
        if job.kind in live_call_legs.handlers():
            await live_call_legs.on_dead(job, error)
        elif job.kind in RECORDING_JOBS:
            await recording_jobs.on_dead(job, error)
        else:
            await page_jobs.on_dead(job, error)

    worker = Worker(job_store, handlers, clock, on_dead=on_dead, lease=JOB_LEASE)
    workers.append(worker)
    simulator = None
    if settings.in_process_simulator:
        from hotline.simulator import Simulator

        simulator = Simulator(
            account.account_sid,
            account.auth_token,
            numbers=[account.phone_number],
            time_scale=settings.simulator_time_scale,
        )
    return Container(
        settings=settings,
        engine=engine,
        clock=clock,
        directory=DirectoryService(uow, settings.default_region),
        account=account,
        http=http,
        twilio=twilio,
        carrier=carrier,
        paging=paging,
        page_calls=page_calls,
        page_jobs=page_jobs,
        hotline_calls=hotline_calls,
        worker=worker,
        job_store=job_store,
        housekeeping=Housekeeping(
            {"old recordings": recordings.delete_expired}, HOUSEKEEPING_EVERY
        ),
        simulator=simulator,
        bridges=bridges,
        bridge_calls=bridge_calls,
        accounts=AccountsService(SqlAccountStore(sessions), clock),
        live_calls=live_calls,
        live_call_legs=live_call_legs,
        recordings=recordings,
    )


def _recording_links(settings: Settings, account: CarrierAccount) -> SignedLinks:
    """Signed recording links. Without a configured key, one derived from the carrier's
    auth token: every replica shares that token, and it never leaves this process."""
    configured = settings.recording_link_secret
    if configured is not None:
        key = configured.get_secret_value().encode()
    else:
        label = b"hotline recording links"
        key = hmac.new(account.auth_token.encode(), label, hashlib.sha256).digest()
    ttl = timedelta(days=settings.recording_link_days)
    return SignedLinks(key, settings.public_url, ttl)


def _transcriber(settings: Settings) -> PocketSphinxTranscriber | None:
    """The local engine when ``HOTLINE_TRANSCRIBER=local`` (else the carrier transcribes)."""
    if settings.hotline_transcriber != "local":
        return None
    if importlib.util.find_spec("pocketsphinx") is None:
        raise SettingsError(
            "HOTLINE_TRANSCRIBER=local needs the transcription extra: "
            "pip install 'hotline[transcription]'"
        )
    return PocketSphinxTranscriber()


def _shortener(settings: Settings, http: httpx.AsyncClient) -> BitlyShortener | None:
    token = settings.bitly_token
    if token is None:
        return None
    return BitlyShortener(token.get_secret_value(), http, api_url=settings.bitly_api_url)


def _live_call_config(settings: Settings) -> LiveCallConfig:
    return LiveCallConfig(
        limits=Limits(
            max_people=settings.live_call_max_people,
            ring_timeout=settings.live_call_ring_timeout,
            check_timeout=settings.live_call_check_timeout,
            max_duration=settings.live_call_max_duration,
        ),
        email_enabled=settings.smtp_host is not None,
    )


def _bridge_config(settings: Settings, account: CarrierAccount) -> BridgeConfig:
    return BridgeConfig(
        public_url=settings.public_url,
        from_number=account.phone_number,
        join_wait=timedelta(seconds=settings.bridge_join_wait),
        lifetime=timedelta(minutes=settings.bridge_lifetime),
        ring_timeout=settings.bridge_ring_timeout,
        hold_audio=settings.hold_audio_url,
        phrases=with_overrides(BridgePhrases(), settings.bridge_phrases),
    )


def _hotline_config(settings: Settings) -> HotlineConfig:
    return HotlineConfig(
        region=settings.default_region,
        callers=settings.hotline_callers,
        caller_groups=tuple(settings.hotline_caller_groups),
        require_pin=settings.hotline_require_pin,
        withheld=settings.hotline_withheld_callers,
        require_stir_shaken=settings.hotline_require_stir_shaken,
        rate_limit=settings.hotline_caller_rate_limit,
        rate_window=timedelta(seconds=settings.hotline_caller_rate_window),
        actions=tuple(Action(a) for a in settings.hotline_actions),
        groups=tuple(settings.hotline_groups),
        default_severity=settings.hotline_default_severity,
        max_recording=settings.hotline_max_recording,
        menu_timeout=settings.hotline_menu_timeout,
        transcript_wait=timedelta(seconds=settings.transcript_wait),
        wait_mode=settings.wait_mode,
        wait_phrases=tuple(settings.wait_phrases),
        email_enabled=settings.smtp_host is not None,
        carrier_transcription=settings.hotline_transcriber == "carrier",
        phrases=with_overrides(Phrases(), settings.hotline_phrases),
    )


def _xmatters(settings: Settings, http: httpx.AsyncClient) -> XMattersForwarder | None:
    """Call-in events also go to xMatters when its inbound trigger is configured."""
    url = settings.xmatters_trigger_url
    if url is None:
        return None
    return XMattersForwarder(XMattersTrigger(url.get_secret_value(), http))


def _tickets(settings: Settings, http: httpx.AsyncClient) -> Tickets | None:
    if settings.servicenow_instance_url is None:
        return None
    password = settings.servicenow_password
    return ServiceNowTickets(
        settings.servicenow_instance_url,
        settings.servicenow_username or "",
        password.get_secret_value() if password else "",
        http,
    )


def _mailer(settings: Settings) -> Mailer | None:
    if settings.smtp_host is None:
        return None
    password = settings.smtp_password
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        username=settings.smtp_username,
        password=password.get_secret_value() if password else None,
        starttls=settings.smtp_starttls,
        use_tls=settings.smtp_tls,
    )
