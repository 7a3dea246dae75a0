"""The browser softphone (simulator carrier only).

The directory's phones become the simulator's interactive phones: a call to one rings in the
browser, which shows what the phone hears and offers answer, keypad, hang up and a WAV upload
at a recording prompt; "dial the hotline" makes any number call the Hotline number. The
browser talks only to these routes (session + CSRF); they relay to the simulator's test API
over HTTP with the carrier account's credentials, which never reach the browser.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

import httpx
import phonenumbers
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from hotline.bootstrap import Container
from hotline.services.accounts import Role
from hotline.web.ui import sessions
from hotline.web.ui.render import page

router = APIRouter(
    prefix="/ui/softphone",
    include_in_schema=False,
    dependencies=[Depends(sessions.needs(Role.RESPONDER))],
)
CSRF = [Depends(sessions.check_csrf)]
ACTIONS = frozenset({"answer", "decline", "hangup", "press", "recording"})
MAX_WAV = 10 * 1024 * 1024
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class SimulatorUnavailable(Exception):
    """The carrier is not the simulator, or it did not answer."""


def _container(request: Request) -> Container:
    found: Container = request.app.state.container
    if found.settings.carrier != "simulator":
        raise SimulatorUnavailable("the softphone needs HOTLINE_CARRIER=simulator")
    return found


async def _sim(
    container: Container, method: str, path: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    """One request to the simulator's test API; (status, JSON body)."""
    account = container.account
    url = container.settings.carrier_api_url + "/_sim" + path
    try:
        response = await container.http.request(
            method, url, auth=(account.account_sid, account.auth_token), **kwargs
        )
    except httpx.HTTPError as error:
        name = type(error).__name__
        raise SimulatorUnavailable(f"the simulator did not answer: {name}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, body if isinstance(body, dict) else {}


async def _phones(container: Container) -> list[dict[str, str]]:
    """The directory's dialable phones: one per active person (their first voice number)."""
    phones = []
    for person in await container.directory.list_people():
        voice = [p.number for p in person.phones if p.voice]
        if person.active and voice:
            phones.append({"name": person.name, "number": voice[0]})
    return phones


def _number(text: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{text!r} is not a phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "softphone", "message": message}}, status_code=status)


@router.get("", response_class=HTMLResponse)
async def softphone(request: Request) -> Response:
    container: Container = request.app.state.container
    if container.settings.carrier != "simulator":
        return await page(
            request, "error.html", status_code=404, message="the softphone needs the simulator"
        )
    return await page(
        request,
        "softphone.html",
        phones=await _phones(container),
        hotline_number=container.account.phone_number,
    )


@router.post("/connect", dependencies=CSRF)
async def connect(request: Request) -> Response:
    """Make the directory's phones interactive (they ring here instead of answering alone)."""
    container = _container(request)
    phones = await _phones(container)
    await asyncio.gather(
        *(
            _sim(container, "PUT", f"/phones/{p['number']}", json={"mode": "interactive"})
            for p in phones
        )
    )
    return JSONResponse({"phones": phones})


@router.get("/state")
async def state(
    request: Request, extra: Annotated[list[str] | None, Query(max_length=20)] = None
) -> Response:
    """What each phone hears now: the directory's phones plus ``extra`` numbers."""
    container = _container(request)
    numbers = [p["number"] for p in await _phones(container)]
    numbers += [n for n in extra or [] if E164.fullmatch(n) and n not in numbers]
    answers = await asyncio.gather(*(_sim(container, "GET", f"/phones/{n}") for n in numbers))
    return JSONResponse({"phones": [body for _, body in answers]})


class DialIn(BaseModel):
    from_: str = Field(alias="from", min_length=3, max_length=40)


@router.post("/dial", dependencies=CSRF)
async def dial(request: Request, data: DialIn) -> Response:
    """Call the Hotline number from ``from`` (any number), as an interactive phone."""
    container = _container(request)
    try:
        caller = _number(data.from_, container.settings.default_region)
    except ValueError as error:
        return _error(422, str(error))
    await _sim(container, "PUT", f"/phones/{caller}", json={"mode": "interactive"})
    status, body = await _sim(
        container,
        "POST",
        "/inbound",
        json={
            "from": caller,
            "to": container.account.phone_number,
            "script": {"mode": "interactive"},
        },
    )
    if status != 201:
        return _error(502, str(body.get("message", "the simulator refused the call")))
    return JSONResponse({"number": caller, "call_sid": body.get("call_sid")}, status_code=201)


@router.post("/phones/{number}/{action}", dependencies=CSRF)
async def act(request: Request, number: str, action: str) -> Response:
    """answer, decline, hangup, press (``{"digits"}``) or recording (a WAV body)."""
    container = _container(request)
    if action not in ACTIONS or not E164.fullmatch(number):
        return _error(404, "no such phone action")
    kwargs: dict[str, Any] = {}
    if action == "press":
        kwargs["json"] = await request.json()
    elif action == "recording":
        body = await request.body()
        if not body or len(body) > MAX_WAV:
            return _error(413 if body else 422, "upload a WAV file of at most 10 MB")
        kwargs["content"] = body
        kwargs["params"] = {"finish_key": "#"}
    status, answer = await _sim(container, "POST", f"/phones/{number}/{action}", **kwargs)
    if status >= 400:
        return _error(status, str(answer.get("message", "the phone could not do that")))
    return JSONResponse(answer)
