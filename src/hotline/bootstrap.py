"""The composition root: settings in, wired adapters and services out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.adapters.clock import SystemClock
from hotline.adapters.db import migrate
from hotline.adapters.db.engine import READ_ONLY, create_engine
from hotline.adapters.db.jobs_repo import SqlJobStore
from hotline.adapters.db.uow import SqlUnitOfWork, session_factory
from hotline.adapters.servicenow import ServiceNowTickets
from hotline.adapters.smtp import SmtpMailer
from hotline.adapters.twilio.carrier import TwilioCarrier, make_client
from hotline.domain.hotline_config import Action
from hotline.jobs.worker import Worker
from hotline.ports import Carrier, Clock, Mailer, Tickets
from hotline.services.callin_config import HotlineConfig
from hotline.services.directory import DirectoryService
from hotline.services.hotline_calls import HotlineCalls
from hotline.services.page_calls import PageCalls
from hotline.services.page_jobs import PageJobs
from hotline.services.paging import PagingConfig, PagingService
from hotline.settings import DEMO_PHONE_NUMBER, Settings

if TYPE_CHECKING:
    from hotline.simulator import Simulator


# Jobs are short (one carrier or ServiceNow request); a job still "running" after this long
# belonged to a process that died, and another worker takes it over.
JOB_LEASE = timedelta(seconds=45)


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
    simulator: Simulator | None = None
    run_worker: bool = True

    @property
    def webhook_tokens(self) -> list[str]:
        """Tokens a carrier webhook may be signed with (primary first, for rotation)."""
        return [t for t in (self.account.auth_token, self.account.secondary_token) if t]

    async def start(self) -> None:
        """Start what runs in the background: the job worker and, in demo mode, the
        in-process simulator."""
        if self.run_worker:
            if self.settings.is_sqlite:  # one process: whatever was running has died
                await self.job_store.release_running()
            await self.page_jobs.recover()
            self.worker.start()
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
    wake: list[Worker] = []

    def uow(read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, on_jobs=lambda: wake[0].wake(), read_only=read_only)

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
    hotline_calls = HotlineCalls(paging, _hotline_config(settings))
    page_jobs = PageJobs(page_calls, carrier, _tickets(settings, http), _mailer(settings))
    job_store = SqlJobStore(sessions)
    worker = Worker(
        job_store, page_jobs.handlers(), clock, on_dead=page_jobs.on_dead, lease=JOB_LEASE
    )
    wake.append(worker)
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
        simulator=simulator,
    )


def _hotline_config(settings: Settings) -> HotlineConfig:
    return HotlineConfig(
        region=settings.default_region,
        callers=settings.hotline_callers,
        caller_groups=tuple(settings.hotline_caller_groups),
        require_pin=settings.hotline_require_pin,
        withheld=settings.hotline_withheld_callers,
        actions=tuple(Action(a) for a in settings.hotline_actions),
        groups=tuple(settings.hotline_groups),
        default_severity=settings.hotline_default_severity,
        max_recording=settings.hotline_max_recording,
        transcript_wait=timedelta(seconds=settings.transcript_wait),
        wait_mode=settings.wait_mode,
        wait_phrases=tuple(settings.wait_phrases),
        email_enabled=settings.smtp_host is not None,
    )


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
