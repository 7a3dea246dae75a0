"""The ServiceNow Tickets adapter against a real local HTTP fake of the Table API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from hotline.adapters.servicenow import ServiceNowTickets, verify_webhook_signature
from hotline.ports import TicketError, TicketState, TicketUpdate
from tests.support.servicenow_server import FakeServiceNow

INCIDENT = "46d44a5a2f4a3010b6b1a9e2f699b6f1"
USER = "5137153cc611227c000bbd1bd8cd2005"


@pytest.fixture(scope="module")
def sn_server() -> Iterator[FakeServiceNow]:
    """One server per module (starting and stopping uvicorn costs ~0.1 s each time)."""
    with FakeServiceNow() as server:
        yield server


@pytest.fixture
def sn(sn_server: FakeServiceNow) -> FakeServiceNow:
    sn_server.reset()
    sn_server.add_incident(INCIDENT, "INC0010001")
    return sn_server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def tickets(sn: FakeServiceNow, http: httpx.AsyncClient) -> ServiceNowTickets:
    return ServiceNowTickets(sn.url, sn.username, sn.password, http, timeout=2)


async def test_patch_with_every_field(sn: FakeServiceNow, tickets: ServiceNowTickets) -> None:
    update = TicketUpdate(
        work_note="Accepted by Ada — pressed 1", assigned_to=USER, state=TicketState.IN_PROGRESS
    )
    await tickets.update(INCIDENT, update)

    [request] = sn.requests
    assert request.method == "PATCH"
    assert request.path == f"/api/now/table/incident/{INCIDENT}"
    assert request.query == ""
    assert request.json == {
        "work_notes": "Accepted by Ada — pressed 1",
        "assigned_to": USER,
        "state": "2",
    }
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    expected = base64.b64encode(f"{sn.username}:{sn.password}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert sn.incidents[INCIDENT]["state"] == "2"
    assert sn.incidents[INCIDENT]["assigned_to"] == USER
    assert sn.notes(INCIDENT) == ["Accepted by Ada — pressed 1"]


@pytest.mark.parametrize(
    ("update", "body"),
    [
        (TicketUpdate(work_note="Calling Ada"), {"work_notes": "Calling Ada"}),
        (TicketUpdate(assigned_to=USER), {"assigned_to": USER}),
        (TicketUpdate(state=TicketState.IN_PROGRESS), {"state": "2"}),
        (
            TicketUpdate(work_note="", state=TicketState.IN_PROGRESS),
            {"work_notes": "", "state": "2"},
        ),
    ],
)
async def test_only_set_fields_are_sent(
    sn: FakeServiceNow, tickets: ServiceNowTickets, update: TicketUpdate, body: dict[str, str]
) -> None:
    await tickets.update(INCIDENT, update)
    [request] = sn.requests
    assert request.json == body


async def test_empty_update_sends_nothing(sn: FakeServiceNow, tickets: ServiceNowTickets) -> None:
    await tickets.update(INCIDENT, TicketUpdate())
    assert sn.requests == []


async def test_notes_arrive_in_order(sn: FakeServiceNow, tickets: ServiceNowTickets) -> None:
    notes = [f"attempt {n}: Ada did not answer" for n in range(1, 6)]
    for note in notes:
        await tickets.update(INCIDENT, TicketUpdate(work_note=note))
    assert sn.notes(INCIDENT) == notes
    assert [r.json["work_notes"] for r in sn.requests] == notes
    times = [r.time for r in sn.requests]
    assert times == sorted(times)


async def test_uppercase_sys_id_is_normalised(
    sn: FakeServiceNow, tickets: ServiceNowTickets
) -> None:
    await tickets.update(INCIDENT.upper(), TicketUpdate(assigned_to=USER.upper()))
    [request] = sn.requests
    assert request.path.endswith(INCIDENT)
    assert request.json == {"assigned_to": USER}


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_errors_and_rate_limit_are_retryable(
    sn: FakeServiceNow, tickets: ServiceNowTickets, status: int
) -> None:
    sn.fail_next(1, status=status)
    with pytest.raises(TicketError) as caught:
        await tickets.update(INCIDENT, TicketUpdate(work_note="first try"))
    assert caught.value.retryable is True
    assert caught.value.status == status
    assert sn.notes(INCIDENT) == []
    # The failure was one-off: the retry goes through.
    await tickets.update(INCIDENT, TicketUpdate(work_note="first try"))
    assert sn.notes(INCIDENT) == ["first try"]


async def test_wrong_credentials_are_permanent(http: httpx.AsyncClient) -> None:
    password = "not-the-Right-pa55word"
    async with FakeServiceNow(username="svc.hotline", password="the-Right-pa55word") as sn:
        sn.add_incident(INCIDENT, "INC0010001")
        tickets = ServiceNowTickets(sn.url, sn.username, password, http, timeout=2)
        with pytest.raises(TicketError) as caught:
            await tickets.update(INCIDENT, TicketUpdate(work_note="x"))
        assert sn.notes(INCIDENT) == []
        assert len(sn.requests) == 1
    error = caught.value
    assert (error.retryable, error.status) == (False, 401)
    assert "User Not Authenticated" in str(error)
    assert password not in str(error)
    assert password not in repr(error)
    assert password not in repr(tickets)


async def test_unknown_incident_is_permanent(
    sn: FakeServiceNow, tickets: ServiceNowTickets
) -> None:
    with pytest.raises(TicketError) as caught:
        await tickets.update("f" * 32, TicketUpdate(work_note="x"))
    assert (caught.value.retryable, caught.value.status) == (False, 404)
    assert "No Record found" in str(caught.value)


@pytest.mark.parametrize("status", [400, 403, 405, 409, 422])
async def test_other_client_errors_are_permanent(
    sn: FakeServiceNow, tickets: ServiceNowTickets, status: int
) -> None:
    sn.fail_next(1, status=status)
    with pytest.raises(TicketError) as caught:
        await tickets.update(INCIDENT, TicketUpdate(work_note="x"))
    assert (caught.value.retryable, caught.value.status) == (False, status)


async def test_timeout_is_retryable(sn: FakeServiceNow, http: httpx.AsyncClient) -> None:
    tickets = ServiceNowTickets(sn.url, sn.username, sn.password, http, timeout=0.2)
    sn.delay(1.0)
    with pytest.raises(TicketError) as caught:
        await tickets.update(INCIDENT, TicketUpdate(work_note="slow"))
    assert caught.value.retryable is True
    assert caught.value.status is None
    assert "timed out" in str(caught.value)
    assert sn.password not in str(caught.value)


async def test_unreachable_instance_is_retryable(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    password = "unreachable-Pa55word"
    tickets = ServiceNowTickets(f"http://127.0.0.1:{port}", "u", password, http, timeout=2)
    with pytest.raises(TicketError) as caught:
        await tickets.update(INCIDENT, TicketUpdate(work_note="x"))
    assert caught.value.retryable is True
    assert password not in str(caught.value)


async def test_non_json_success_is_retryable(http: httpx.AsyncClient) -> None:
    """A hibernating developer instance answers 200 with an HTML page."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, html="<html>Your instance is hibernating</html>")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        tickets = ServiceNowTickets("https://dev1.service-now.com", "u", "p" * 12, client)
        with pytest.raises(TicketError) as caught:
            await tickets.update(INCIDENT, TicketUpdate(work_note="x"))
    assert caught.value.retryable is True


@pytest.mark.parametrize(
    "sys_id",
    [
        "",
        "INC0010001",
        INCIDENT[:-1],
        INCIDENT + "0",
        INCIDENT[:-1] + "g",
        f"../{INCIDENT[3:]}",
        INCIDENT[:-1] + "\n",
        INCIDENT[:28] + "?x=1",
        "%2e%2e%2f" + INCIDENT[9:],
    ],
)
async def test_bad_sys_id_is_permanent_and_sends_nothing(
    sn: FakeServiceNow, tickets: ServiceNowTickets, sys_id: str
) -> None:
    with pytest.raises(TicketError) as caught:
        await tickets.update(sys_id, TicketUpdate(work_note="x"))
    assert caught.value.retryable is False
    assert sn.requests == []


async def test_bad_assigned_to_is_permanent_and_sends_nothing(
    sn: FakeServiceNow, tickets: ServiceNowTickets
) -> None:
    with pytest.raises(TicketError) as caught:
        await tickets.update(INCIDENT, TicketUpdate(assigned_to="ada.lovelace"))
    assert caught.value.retryable is False
    assert sn.requests == []


async def test_password_never_in_errors_or_logs(
    sn: FakeServiceNow, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = ServiceNowTickets(sn.url, sn.username, sn.password, http, timeout=0.2)
    bad = ServiceNowTickets(sn.url, sn.username, "wrong-" + sn.password, http, timeout=0.2)
    messages: list[str] = []

    async def attempt(tickets: ServiceNowTickets, sys_id: str = INCIDENT) -> None:
        with pytest.raises(TicketError) as caught:
            await tickets.update(sys_id, TicketUpdate(work_note="x"))
        messages.extend([str(caught.value), repr(caught.value)])

    await attempt(bad)
    await attempt(good, "0" * 32)
    await attempt(good, "bad")
    sn.fail_next(1, 503)
    await attempt(good)
    sn.delay(1.0)
    await attempt(good)
    for secret in (sn.password, "wrong-" + sn.password):
        assert not [m for m in messages if secret in m]
        assert secret not in caplog.text


async def test_ignored_field_is_logged(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """ServiceNow answers 200 but keeps a field the user may not write (ACL)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"result": {"state": "1", "assigned_to": ""}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        tickets = ServiceNowTickets("https://dev1.service-now.com", "u", "p" * 12, client)
        await tickets.update(INCIDENT, TicketUpdate(state=TicketState.IN_PROGRESS))
    assert "did not change state" in caplog.text


# --- inbound webhook signature ---------------------------------------------------------

SECRET = "webhook-secret-0123456789"
BODY = b'{"sys_id":"46d44a5a2f4a3010b6b1a9e2f699b6f1","number":"INC0010001","urgency":"1"}'


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_signature_valid() -> None:
    assert verify_webhook_signature(SECRET, BODY, _sign(BODY))
    assert verify_webhook_signature(SECRET, BODY, _sign(BODY).upper().replace("SHA256", "sha256"))
    assert verify_webhook_signature(SECRET, b"", _sign(b""))


def test_signature_matches_the_guide_example() -> None:
    """The worked example in integrations/servicenow/README.md, computed with openssl dgst."""
    body = (
        b'{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0000001",'
        b'"short_description":"Test page from curl","description":"","urgency":1,'
        b'"priority":1,"assignment_group":"Database"}'
    )
    header = "sha256=9e2121d01a5a5882389fe99a072c34508eaeab4bf95d7b607b5da929af14c406"
    assert verify_webhook_signature("change-me-0123456789abcdef", body, header)


@pytest.mark.parametrize(
    "header",
    [
        _sign(BODY, "another-secret-0123456789"),
        _sign(BODY + b" "),
        _sign(BODY.replace(b"INC0010001", b"INC0010002")),
    ],
)
def test_signature_invalid(header: str) -> None:
    assert not verify_webhook_signature(SECRET, BODY, header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256",
        _sign(BODY)[7:],  # hex without the prefix
        "sha1=" + _sign(BODY)[7:],
        _sign(BODY)[:-1],  # too short
        _sign(BODY) + "0",  # too long
        _sign(BODY)[:-1] + "z",  # not hex
        "sha256=" + base64.b64encode(bytes.fromhex(_sign(BODY)[7:])).decode(),  # base64
        _sign(BODY) + ",sha256=" + _sign(BODY)[7:],
        "sha256=é" + _sign(BODY)[8:],
    ],
)
def test_signature_missing_or_malformed(header: str | None) -> None:
    assert not verify_webhook_signature(SECRET, BODY, header)


def test_signature_empty_secret_never_matches() -> None:
    assert not verify_webhook_signature("", BODY, _sign(BODY, ""))
