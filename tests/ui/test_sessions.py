"""Dashboard accounts over HTTP (in-process ASGI, SQLite and PostgreSQL): login, roles,
CSRF rejection, session expiry and revocation, and the Prometheus export."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from hotline.adapters.clock import FixedClock
from hotline.bootstrap import Container
from hotline.services.accounts import Role
from hotline.services.inputs import GroupIn, IncidentIn, PersonIn, PolicyIn, RotationIn
from hotline.web.app import create_app
from tests.conftest import API_TOKEN, NOW
from tests.ui.helpers import PASSWORD, csrf_of, log_in


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    await container.accounts.create("alice", PASSWORD, Role.ADMIN)
    await container.accounts.create("victor", PASSWORD, Role.VIEWER)
    await container.directory.create_person(
        PersonIn(name="Agent One", phones=[{"number": "+12025550111", "voice": True}])
    )
    await container.directory.create_group(
        GroupIn(name="agents", members=[{"person": "Agent One"}])
    )
    await container.directory.create_policy(PolicyIn(name="default", tiers=["agents"]))
    app = create_app(container=container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def incident_count(container: Container) -> int:
    return len(await container.paging.recent())


async def test_pages_need_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui/incidents", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=/ui/incidents"
    assert (await client.get("/ui/incidents/events")).status_code == 401


async def test_wrong_password_is_refused_without_saying_which_part(
    client: httpx.AsyncClient,
) -> None:
    form = await client.get("/ui/login")
    for username in ("alice", "nobody"):
        response = await client.post(
            "/ui/login",
            data={
                "username": username,
                "password": "wrong password",
                "csrf_token": csrf_of(form.text),
            },
        )
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
        assert "hotline_session" not in response.headers.get("set-cookie", "")


async def test_session_cookie_is_httponly_and_samesite(client: httpx.AsyncClient) -> None:
    form = await client.get("/ui/login")
    response = await client.post(
        "/ui/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if "hotline_session" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert PASSWORD not in cookie


async def test_login_and_create_an_incident(
    client: httpx.AsyncClient, container: Container
) -> None:
    token = await log_in(client, "alice")
    response = await client.post(
        "/ui/incidents",
        data={
            "title": "Disk full",
            "severity": "2",
            "target": "policy:default",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    detail = await client.get(response.headers["location"])
    assert detail.status_code == 200
    assert "Disk full" in detail.text
    assert "Resolve" in detail.text
    assert await incident_count(container) == 1


async def test_csrf_token_missing_or_wrong_is_rejected(
    client: httpx.AsyncClient, container: Container
) -> None:
    token = await log_in(client, "alice")
    form = {"title": "Forged", "severity": "1", "target": "policy:default"}
    missing = await client.post("/ui/incidents", data=form)
    wrong = await client.post("/ui/incidents", data={**form, "csrf_token": token[:-2] + "xx"})
    header = await client.post(
        "/ui/incidents", data=form, headers={"X-CSRF-Token": "not-the-token"}
    )
    assert [missing.status_code, wrong.status_code, header.status_code] == [403, 403, 403]
    assert "CSRF" in missing.text
    assert await incident_count(container) == 0
    # A token from another visitor's cookie does not work either.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        other_token = await log_in(other, "alice")
    forged = await client.post("/ui/incidents", data={**form, "csrf_token": other_token})
    assert forged.status_code == 403
    assert await incident_count(container) == 0


async def test_login_form_itself_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/ui/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


async def test_session_expires(
    client: httpx.AsyncClient, container: Container, clock: FixedClock
) -> None:
    await log_in(client, "alice")
    clock.advance(container.settings.session_hours * 3600 - 60)
    assert (await client.get("/ui/incidents")).status_code == 200
    clock.advance(120)
    response = await client.get("/ui/incidents", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login")


async def test_new_password_ends_existing_sessions(
    client: httpx.AsyncClient, container: Container
) -> None:
    await log_in(client, "alice")
    await container.accounts.set_password("alice", "another good password")
    response = await client.get("/ui/incidents", headers={"accept": "text/html"})
    assert response.status_code == 303


async def test_a_viewer_reads_but_cannot_act(
    client: httpx.AsyncClient, container: Container
) -> None:
    opened, _ = await container.paging.open(IncidentIn(title="Checkout slow", severity=3))
    token = await log_in(client, "victor")
    detail = await client.get(f"/ui/incidents/{opened.id}")
    assert detail.status_code == 200
    assert "Checkout slow" in detail.text
    assert ">Resolve<" not in detail.text
    refused = await client.post(f"/ui/incidents/{opened.id}/resolve", data={"csrf_token": token})
    assert refused.status_code == 403
    incident, _, _ = await container.paging.get(opened.id or 0)
    assert incident.status != "resolved"
    assert (await client.get("/ui/softphone")).status_code == 403


async def test_every_page_renders(client: httpx.AsyncClient, container: Container) -> None:
    await log_in(client, "alice")
    for path in ("/ui/incidents", "/ui/directory", "/ui/hotline", "/ui/metrics?days=30"):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "default-src 'self'" in response.headers["content-security-policy"]


async def test_prometheus_export_needs_the_api_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 401
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'hotline_incidents{window_days="30"} 0' in response.text


async def test_the_directory_shows_each_hand_off_of_the_week(
    client: httpx.AsyncClient, container: Container
) -> None:
    await container.directory.create_person(
        PersonIn(name="Agent Two", phones=[{"number": "+12025550112", "voice": True}])
    )
    await container.directory.create_rotation(
        RotationIn(
            name="daily",
            participants=["Agent One", "Agent Two"],
            start=NOW.date(),
            shift_length=1,
            shift_unit="days",
            handoff="09:00",
            timezone="Europe/Paris",
        )
    )
    await container.directory.create_group(GroupIn(name="on-duty", members=[{"rotation": "daily"}]))
    await log_in(client, "alice")
    page = await client.get("/ui/directory")
    assert page.status_code == 200
    week = page.text.split('id="week-h"')[1].split("</section>")[0]
    on_duty = week.split("<h3>on-duty</h3>")[1].split("</table>")[0]
    # From now (Saturday 12:00 UTC, day 0: Agent One) a hand-off every day at 08:00 UTC.
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td><strong>(.*?)</strong>", on_duty)
    assert rows[:3] == [
        ("now", "Sun 22 Nov 08:00", "Agent One"),
        ("Sun 22 Nov 08:00", "Mon 23 Nov 08:00", "Agent Two"),
        ("Mon 23 Nov 08:00", "Tue 24 Nov 08:00", "Agent One"),
    ]
    assert len(rows) == 8 and rows[-1][1] == "Sat 28 Nov 12:00 or later"
