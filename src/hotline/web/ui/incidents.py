"""Incident pages: the list (with a create form), one incident, its actions and recording."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hotline.bootstrap import Container
from hotline.domain.errors import DomainError, Invalid, NotFound
from hotline.services import incident_view
from hotline.services.accounts import Account, Role
from hotline.services.inputs import IncidentIn
from hotline.services.repage import page_again
from hotline.web.ui import calls, sessions
from hotline.web.ui.render import age, fragment, page, stamp

router = APIRouter(prefix="/ui/incidents", include_in_schema=False)
Viewer = Annotated[Account, Depends(sessions.needs(Role.VIEWER))]
Responder = Annotated[Account, Depends(sessions.needs(Role.RESPONDER))]
CSRF = [Depends(sessions.check_csrf)]
LIST_LIMIT = 200


def _container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


async def rows_live(request: Request) -> tuple[str, str]:
    """The incident table's body and a key that changes only when an incident does (not
    when an age ticks over)."""
    container = _container(request)
    incidents = await container.paging.recent(limit=LIST_LIMIT)
    now = container.clock.now()
    html = fragment("incident_rows.html", incidents=incidents, age=lambda then: age(then, now))
    key = fragment("incident_rows.html", incidents=incidents, age=lambda then: "")
    return key, html


async def rows_html(request: Request) -> str:
    return (await rows_live(request))[1]


async def _list(request: Request, status_code: int = 200, **form: object) -> Response:
    container = _container(request)
    policies = [p.name for p in await container.directory.list_policies()]
    groups = [g.name for g in await container.directory.list_groups()]
    return await page(
        request,
        "incidents.html",
        status_code=status_code,
        rows=await rows_html(request),
        policies=policies,
        groups=groups,
        form=form,
    )


@router.get("", response_class=HTMLResponse)
async def list_page(request: Request, _: Viewer) -> Response:
    return await _list(request)


@router.post("", dependencies=CSRF)
async def create(
    request: Request,
    account: Responder,
    title: Annotated[str, Form()],
    severity: Annotated[int, Form()],
    target: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    """``target`` is ``policy:NAME`` or ``group:NAME`` (empty: the default policy)."""
    kind, _, name = target.partition(":")
    try:
        data = IncidentIn(
            title=title,
            severity=severity,
            description=description.strip() or None,
            policy=name if kind == "policy" and name else None,
            group=name if kind == "group" and name else None,
        )
        incident, _ = await _container(request).paging.open(data)
    except ValidationError as error:
        first = error.errors(include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return await _list(request, 422, error=f"{where}: {first['msg']}", title=title)
    except DomainError as error:
        return await _list(request, _status(error), error=str(error), title=title)
    return RedirectResponse(f"/ui/incidents/{incident.id}", status_code=303)


async def _detail(
    request: Request, incident_id: int, status_code: int = 200, error: str = ""
) -> Response:
    container = _container(request)
    view = await incident_view.load(container.paging, incident_id)
    return await page(
        request,
        "incident.html",
        status_code=status_code,
        view=view,
        live=fragment("incident_live.html", **_live_context(request, view)),
        live_calls=await calls.live_calls_of(container, incident_id),
        error=error,
    )


def _live_context(request: Request, view: incident_view.IncidentView) -> dict[str, object]:
    now = _container(request).clock.now()
    return {"view": view, "stamp": stamp, "age": lambda then: age(then, now)}


async def live_html(request: Request, incident_id: int) -> tuple[str, str]:
    """The incident's live part (status, attempts, timeline), twice: as key and as HTML."""
    view = await incident_view.load(_container(request).paging, incident_id)
    html = fragment("incident_live.html", **_live_context(request, view))
    return html, html


@router.get("/{incident_id}", response_class=HTMLResponse)
async def detail(request: Request, incident_id: int, _: Viewer) -> Response:
    try:
        return await _detail(request, incident_id)
    except NotFound as error:
        return await page(request, "error.html", status_code=404, message=str(error))


@router.post("/{incident_id}/{action}", dependencies=CSRF)
async def act(request: Request, incident_id: int, action: str, account: Responder) -> Response:
    """``acknowledge``, ``resolve`` or ``page`` (page again); the account is the actor."""
    paging = _container(request).paging
    by = account.username
    try:
        if action == "acknowledge":
            await paging.acknowledge(incident_id, by)
        elif action == "resolve":
            await paging.resolve(incident_id, by)
        elif action == "page":
            await page_again(paging, incident_id, by)
        else:
            raise NotFound(f"no incident action {action!r}")
    except NotFound as error:
        return await page(request, "error.html", status_code=404, message=str(error))
    except DomainError as error:
        return await _detail(request, incident_id, _status(error), str(error))
    return RedirectResponse(f"/ui/incidents/{incident_id}", status_code=303)


@router.get("/{incident_id}/recording", response_class=HTMLResponse)
async def recording(request: Request, incident_id: int, _: Viewer) -> Response:
    try:
        view = await incident_view.load(_container(request).paging, incident_id)
    except NotFound as error:
        return await page(request, "error.html", status_code=404, message=str(error))
    return await page(request, "recording.html", view=view)


@router.get("/{incident_id}/recording/audio")
async def recording_audio(request: Request, incident_id: int, _: Viewer) -> Response:
    """The recording's audio. A carrier recording is fetched with the carrier account's
    credentials (the browser never gets them); only URLs under the carrier's API are
    fetched, any other link (Hotline's own signed links) is simply followed."""
    container = _container(request)
    try:
        view = await incident_view.load(container.paging, incident_id)
    except NotFound as error:
        return await page(request, "error.html", status_code=404, message=str(error))
    if view.recording is None:
        return await page(request, "error.html", status_code=404, message="no recording")
    link = view.recording.link
    if not link.startswith(container.settings.carrier_api_url + "/"):
        return RedirectResponse(link, status_code=303)
    account = container.account
    fetched = await container.http.get(
        link, auth=(account.account_sid, account.auth_token), follow_redirects=False
    )
    if fetched.status_code != 200:
        message = f"the carrier answered {fetched.status_code} for this recording"
        return await page(request, "error.html", status_code=502, message=message)
    kind = fetched.headers.get("content-type", "audio/wav")
    return Response(fetched.content, media_type=kind, headers={"Cache-Control": "no-store"})


def _status(error: DomainError) -> int:
    if isinstance(error, Invalid):
        return 422
    return 404 if isinstance(error, NotFound) else 409
