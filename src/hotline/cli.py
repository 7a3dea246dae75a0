"""The ``hotline`` command line. Settings errors exit 2; other user errors exit 1."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.exc import DBAPIError

from hotline.bootstrap import Container, SchemaOutOfDate, build
from hotline.domain.errors import DomainError
from hotline.settings import Settings, SettingsError, load_settings
from hotline.simulator import cli as simulator_cli

T = TypeVar("T")

app = typer.Typer(
    help="Hotline: phone-first incident escalation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
directory_app = typer.Typer(
    help="People, groups, rotations, absences, policies.", no_args_is_help=True
)
incident_app = typer.Typer(help="Incidents.", no_args_is_help=True)
user_app = typer.Typer(help="Web dashboard accounts.", no_args_is_help=True)
twilio_app = typer.Typer(
    help="Carrier account set-up (real Twilio or a simulator).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(directory_app, name="directory")
app.add_typer(twilio_app, name="twilio")
app.add_typer(incident_app, name="incident")
app.add_typer(user_app, name="user")
app.add_typer(simulator_cli.app, name="simulator")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"hotline: {message}", err=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error), code=2)


def run(work: Callable[[Container], Awaitable[T]], *, check_schema: bool = True) -> T:
    """Build the container, run ``work``, always close; domain errors become exit 1."""

    async def main() -> T:
        container = build(settings())
        try:
            if check_schema:
                await container.check_schema()
            return await work(container)
        finally:
            await container.close()

    try:
        return asyncio.run(main())
    except (DomainError, SchemaOutOfDate) as error:
        fail(str(error))
    except (OSError, DBAPIError) as error:
        reason = getattr(error, "strerror", None) or getattr(error, "orig", None) or error
        fail(f"cannot reach the database: {str(reason).splitlines()[0]}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Run the web server (REST API, voice webhooks, worker)."""
    import uvicorn

    from hotline.web.app import create_app

    config = settings()
    if "public_url" not in config.model_fields_set:
        # Nothing configured: the carrier (in demo mode, our own simulator) reaches us here.
        local = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        config = load_settings(public_url=f"http://{local}:{port}")
    # httpx logs every request URL at INFO: carrier URLs hold phone numbers and tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run(lambda c: c.check_schema(), check_schema=False)  # refuse to start on an old schema
    app = create_app(config)
    settle_heap()
    uvicorn.run(app, host=host, port=port, log_level=config.log_level.lower())


def settle_heap() -> None:
    """Move everything built so far (modules, tables, the app) out of the garbage collector's
    sight: a full collection otherwise rescans it all and stalls every call in progress
    (>100 ms seen on a busy 2-core machine), while none of it ever becomes garbage."""
    gc.collect()
    gc.freeze()


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database schema."""
    from hotline.adapters.db import migrate

    async def work(c: Container) -> str | None:
        await migrate.upgrade(c.engine, revision)
        return await migrate.current(c.engine)

    typer.echo(f"database at revision {run(work, check_schema=False)}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from hotline.adapters.db import migrate

    at = run(lambda c: migrate.current(c.engine), check_schema=False)
    typer.echo(f"{at or 'empty'} (newest: {migrate.head()})")


@directory_app.command("import")
def directory_import(
    file: Annotated[Path, typer.Argument(help="agent_list.json (seed) or a Hotline YAML file.")],
    dry_run: Annotated[bool, typer.Option(help="Validate and report, write nothing.")] = False,
) -> None:
    """Import people, groups, rotations, absences and policies (idempotent)."""
    from hotline.services.importer import ImportFailed, import_directory, parse

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {file}: {getattr(error, 'strerror', None) or error}")
    try:
        parsed = parse(text, str(file))
        report = run(lambda c: import_directory(c.directory, parsed, str(file), dry_run=dry_run))
    except ImportFailed as error:
        fail(f"import failed, nothing was written:\n{error}")
    prefix = "dry run, nothing written: " if dry_run else ""
    typer.echo(prefix + report.summary())


@app.command()
def oncall(
    group: Annotated[str, typer.Argument(help="Group name.")],
    at: Annotated[str | None, typer.Option(help="ISO 8601 instant; default now.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Who is on call for GROUP, in calling order."""
    when = _instant(at)

    async def work(c: Container) -> tuple[datetime, list[Any]]:
        moment = when or c.clock.now()
        return moment, await c.directory.oncall(group, moment)

    moment, entries = run(work)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "group": group,
                    "at": moment.isoformat(),
                    "oncall": [{"name": e.name, "phone": e.phone} for e in entries],
                }
            )
        )
        return
    typer.echo(f"On call for {group} at {moment.isoformat(timespec='seconds')}:")
    if not entries:
        typer.echo("  nobody")
        return
    width = max(len(e.name) for e in entries)
    for i, e in enumerate(entries, 1):
        typer.echo(f"  {i:>2}. {e.name:<{width}}  {e.phone}")


@incident_app.command("create")
def incident_create(
    title: Annotated[str, typer.Option(help="What is wrong.")],
    severity: Annotated[int, typer.Option(help="1 critical ... 5 minimal.", min=1, max=5)],
    group: Annotated[str | None, typer.Option(help="Page this group (one tier).")] = None,
    policy: Annotated[str | None, typer.Option(help="Page with this escalation policy.")] = None,
    description: Annotated[str | None, typer.Option(help="Details.")] = None,
    dedup_key: Annotated[str | None, typer.Option(help="Same key while open: no new page.")] = None,
) -> None:
    """Create an incident and start paging. The calls are placed by the running server."""
    from pydantic import ValidationError

    from hotline.services.inputs import IncidentIn

    try:
        data = IncidentIn(
            title=title,
            severity=severity,
            group=group,
            policy=policy,
            description=description,
            dedup_key=dedup_key,
        )
    except ValidationError as error:
        fail(str(error.errors(include_input=False)[0]["msg"]))

    async def work(c: Container) -> tuple[int, str, bool]:
        incident, created = await c.paging.open(data)
        assert incident.id is not None
        return incident.id, incident.status.value, created

    incident_id, status, created = run(work)
    verb = "created" if created else "already open (duplicate), nobody paged again:"
    typer.echo(f"incident {incident_id} {verb} status {status}")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="Role admin (same as --role admin).")
    ] = False,
    role: Annotated[str, typer.Option(help="admin, responder or viewer.")] = "responder",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    update: Annotated[
        bool, typer.Option("--update", help="If the user exists, set its password and role.")
    ] = False,
) -> None:
    """Create a dashboard account (the password is prompted for, never an argument)."""
    from hotline.services.accounts import Role

    try:
        chosen = Role.ADMIN if admin else Role(role)
    except ValueError:
        fail("--role: admin, responder or viewer")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(c: Container) -> str:
        from hotline.domain.errors import Conflict

        try:
            account = await c.accounts.create(username, password, chosen)
            return f"created {account.role} {account.username}"
        except Conflict:
            if not update:
                raise
        await c.accounts.set_password(username, password)
        account = await c.accounts.set_role(username, chosen)
        return f"updated {account.role} {account.username}"

    typer.echo(run(work))


@twilio_app.command("configure-number")
def twilio_configure_number() -> None:
    """Point TWILIO_PHONE_NUMBER's voice URL and status callback at HOTLINE_PUBLIC_URL."""
    from hotline.adapters.twilio import setup

    async def work(c: Container) -> setup.Webhooks:
        hooks = setup.Webhooks.for_public_url(c.settings.public_url)
        await setup.configure_number(
            c.twilio,
            c.account.phone_number,
            c.account.account_sid,
            c.settings.carrier_api_url,
            hooks,
        )
        return hooks

    try:
        hooks = run(work, check_schema=False)
    except setup.SetupProblem as problem:
        fail(str(problem))
    number = settings().twilio_phone_number
    typer.echo(f"{number}: incoming calls -> POST {hooks.voice_url}")
    typer.echo(f"{number}: status callback -> POST {hooks.status_callback}")


@twilio_app.command("check")
def twilio_check() -> None:
    """Verify credentials, the number, its webhooks and that the public URL is reachable."""
    from hotline.adapters.twilio import setup

    async def work(c: Container) -> setup.CheckReport:
        return await setup.check(
            c.twilio,
            c.http,
            c.account.phone_number,
            c.account.account_sid,
            c.settings.carrier_api_url,
            c.settings.public_url,
        )

    report = run(work, check_schema=False)
    for line in report.passed:
        typer.echo(f"ok       {line}")
    for line in report.warnings:
        typer.echo(f"warning  {line}")
    for line in report.problems:
        typer.echo(f"PROBLEM  {line}")
    if not report.ok:
        raise typer.Exit(1)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--at: {text!r} is not an ISO 8601 instant (e.g. 2026-01-31T09:00:00+00:00)")
    if moment.tzinfo is None:
        fail("--at: give a UTC offset, e.g. 2026-01-31T09:00:00Z")
    return moment


def main() -> None:
    sys.exit(app())
