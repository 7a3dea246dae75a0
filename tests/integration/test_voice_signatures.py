"""Every /voice route checks X-Twilio-Signature against the public URL, fail closed."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import APIRouter
from twilio.request_validator import RequestValidator

from hotline.adapters.db import migrate
from hotline.bootstrap import build
from hotline.settings import load_settings
from hotline.web.app import create_app
from hotline.web.voice.security import require_twilio_signature

PUBLIC = "https://hotline.example.com"
PRIMARY, SECONDARY = "a" * 32, "b" * 32
FORM = {"CallSid": "CA" + "1" * 32, "CallStatus": "completed", "Digits": "", "To": "+1 202"}


@pytest.fixture
async def client(database_url: str):
    settings = load_settings(
        database_url=database_url,
        public_url=PUBLIC,
        carrier="twilio",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=PRIMARY,
        twilio_auth_token_secondary=SECONDARY,
        twilio_phone_number="+12025550100",
    )
    container = build(settings)
    container.run_worker = False
    await migrate.upgrade(container.engine)
    app = create_app(container=container)
    async with app.router.lifespan_context(app):
        # The app sees the request as a reverse proxy forwards it: plain http, internal host.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8000") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
    await container.close()


def sign(token: str, url: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


async def test_public_url_and_both_tokens_are_accepted(client: httpx.AsyncClient) -> None:
    for token in (PRIMARY, SECONDARY):
        headers = sign(token, PUBLIC + "/voice/status", FORM)
        response = await client.post("/voice/status", data=FORM, headers=headers)
        assert response.status_code == 204, token


async def test_query_string_is_signed_as_sent(client: httpx.AsyncClient) -> None:
    query = "b=2&a=1+1&x=%27"
    headers = sign(PRIMARY, f"{PUBLIC}/voice/status?{query}", FORM)
    response = await client.post(f"/voice/status?{query}", data=FORM, headers=headers)
    assert response.status_code == 204


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": ""},
        {"X-Twilio-Signature": "not-base64"},
        sign("c" * 32, PUBLIC + "/voice/status", FORM),  # another account's token
        sign(PRIMARY, "http://10.0.0.5:8000/voice/status", FORM),  # the internal URL
        sign(PRIMARY, PUBLIC + "/voice/status", {**FORM, "Digits": "1"}),  # a changed field
        sign(PRIMARY, PUBLIC + "/voice/status", {k: v for k, v in FORM.items() if v}),
    ],
)
async def test_bad_signatures_get_403_and_nothing_secret_is_logged(
    client: httpx.AsyncClient, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hotline.voice")
    response = await client.post("/voice/incoming", data=FORM, headers=headers)
    assert response.status_code == 403
    assert "rejected voice webhook POST /voice/incoming" in caplog.text
    assert PRIMARY not in caplog.text and SECONDARY not in caplog.text


def _voice_routers(app: object) -> list[APIRouter]:
    """The routers the app includes (FastAPI keeps them as included-router entries)."""
    routers = [getattr(r, "original_router", None) for r in app.routes]  # type: ignore[attr-defined]
    return [r for r in routers if isinstance(r, APIRouter) and r.prefix.startswith("/voice")]


async def test_every_voice_route_has_the_check(client: httpx.AsyncClient) -> None:
    routers = _voice_routers(client.app)  # type: ignore[attr-defined]
    assert sum(len(r.routes) for r in routers) >= 6
    for router in routers:
        assert [d.dependency for d in router.dependencies] == [require_twilio_signature]


async def test_unsigned_answer_on_a_page_url_changes_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post("/voice/page/some-token/choice", data={"Digits": "1"})
    assert response.status_code == 403
    incidents = await client.app.state.container.paging.recent()  # type: ignore[attr-defined]
    assert incidents == []
