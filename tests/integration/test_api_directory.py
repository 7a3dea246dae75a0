"""REST API integration tests for the directory, on SQLite and PostgreSQL.

Every error answer must have the stable shape ``{"error": {"code", "message", ...}}``; a
rejected request must change nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hotline.bootstrap import Container, build
from hotline.services import pins
from hotline.settings import load_settings
from hotline.web.app import create_app
from tests.conftest import API_TOKEN

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
CODES = {401: "unauthorized", 404: "not_found", 409: "conflict", 422: "invalid"}

ADA = "+12025550101"
GRACE = "+12025550102"
ALAN = "+12025550103"
KATHERINE = "+12025550104"
EDSGER = "+12025550105"
BARBARA = "+12025550106"
MARGARET = "+12025550107"
PAGER = "+12025550199"


# --- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
async def app(container: Container) -> AsyncIterator[FastAPI]:
    application = create_app(container=container)
    async with application.router.lifespan_context(application):
        yield application


def http(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http(app, AUTH) as c:
        yield c


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    """Assert the stable error shape and return the inner ``error`` object."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["error"], body
    inner = body["error"]
    assert inner["code"] == CODES[status], inner
    assert isinstance(inner["message"], str) and inner["message"], inner
    return inner


def members(group: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if v is not None} for m in group["members"]]


def person(name: str, number: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "phones": [{"number": number}], **extra}


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if status != 204 else None


async def make_people(client: httpx.AsyncClient, *names: str) -> None:
    numbers = {
        "Ada": ADA,
        "Grace": GRACE,
        "Alan": ALAN,
        "Katherine": KATHERINE,
        "Edsger": EDSGER,
        "Barbara": BARBARA,
        "Margaret": MARGARET,
    }
    for name in names:
        ok(await client.post("/api/v1/users", json=person(name, numbers[name])), 201)


async def snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    """Everything the API can list, to compare before and after a rejected request."""
    out = {}
    for path in ("users", "groups", "rotations", "policies", "absences"):
        out[path] = ok(await client.get(f"/api/v1/{path}"))
    return out


# --- 401 ---------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/api/v1/users", None),
    ("POST", "/api/v1/users", {"name": "Ada"}),
    ("POST", "/api/v1/users", {"bogus": True}),  # auth is checked before the body
    ("GET", "/api/v1/users/nobody", None),  # ... and before existence
    ("PUT", "/api/v1/users/Ada", {"name": "Ada"}),
    ("DELETE", "/api/v1/users/Ada", None),
    ("GET", "/api/v1/groups", None),
    ("GET", "/api/v1/groups/ops/oncall", None),
    ("GET", "/api/v1/rotations", None),
    ("GET", "/api/v1/policies", None),
    ("GET", "/api/v1/absences", None),
    ("DELETE", "/api/v1/absences/1", None),
]


async def _assert_all_401(c: httpx.AsyncClient, message: str) -> None:
    for method, path, body in ROUTES:
        r = await c.request(method, path, json=body)
        e = error(r, 401)
        assert e["message"] == message, (method, path, e)
        assert r.headers["www-authenticate"] == "Bearer"


async def test_401_without_authorization_header(app, client):
    async with http(app) as anon:
        await _assert_all_401(anon, "missing bearer token")
    assert ok(await client.get("/api/v1/users")) == []


async def test_401_with_wrong_token(app):
    for token in ("nope", API_TOKEN + "x", API_TOKEN[:-1], API_TOKEN.upper(), ""):
        async with http(app, {"Authorization": f"Bearer {token}"}) as c:
            r = await c.get("/api/v1/users")
            assert r.status_code == 401, token
            assert error(r, 401)["message"] in ("invalid bearer token", "missing bearer token")
    async with http(app, {"Authorization": "Bearer nope"}) as c:
        await _assert_all_401(c, "invalid bearer token")


async def test_401_with_wrong_scheme(app):
    for value in (f"Basic {API_TOKEN}", f"Token {API_TOKEN}", API_TOKEN):
        async with http(app, {"Authorization": value}) as c:
            e = error(await c.get("/api/v1/users"), 401)
            assert e["message"] == "missing bearer token", value


async def test_scheme_is_case_insensitive(app):
    async with http(app, {"Authorization": f"bearer {API_TOKEN}"}) as c:
        assert (await c.get("/api/v1/users")).status_code == 200


async def test_401_when_no_api_token_is_configured(container):
    settings = load_settings(database_url=container.settings.database_url, api_token=None)
    tokenless = build(settings, clock=container.clock)
    try:
        app = create_app(container=tokenless)
        async with app.router.lifespan_context(app):
            for headers in (AUTH, {"Authorization": "Bearer "}, None):
                async with http(app, headers) as c:
                    await _assert_all_401(c, "the API is disabled: set HOTLINE_API_TOKEN")
            async with http(app) as c:
                r = await c.get("/healthz")
                assert r.status_code == 200
                assert r.json()["status"] == "ok"
    finally:
        await tokenless.close()


# --- health and docs ---------------------------------------------------------------------


async def test_healthz_docs_and_openapi_need_no_token(app):
    async with http(app) as anon:
        r = await anon.get("/healthz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "version": r.json()["version"]}
        assert r.json()["version"]
        r = await anon.get("/docs")
        assert r.status_code == 200
        assert "text/html" in r.headers["content-type"]
        assert "swagger" in r.text.lower()
        r = await anon.get("/openapi.json")
        assert r.status_code == 200
        spec = r.json()
        assert spec["info"]["title"] == "Hotline"
        for path in (
            "/api/v1/users",
            "/api/v1/users/{name}",
            "/api/v1/groups/{name}",
            "/api/v1/groups/{name}/oncall",
            "/api/v1/rotations/{name}",
            "/api/v1/policies/{name}",
            "/api/v1/absences/{absence_id}",
            "/healthz",
        ):
            assert path in spec["paths"], path
        assert "HTTPBearer" in spec["components"]["securitySchemes"]
        responses = spec["paths"]["/api/v1/users/{name}"]["get"]["responses"]
        assert {"401", "404", "409", "422"} <= set(responses)
        # the write-only PIN is in the input schema, never in the output schema
        schemas = spec["components"]["schemas"]
        assert "pin" in schemas["PersonIn"]["properties"]
        assert "pin" not in schemas["PersonOut"]["properties"]
        assert "has_pin" in schemas["PersonOut"]["properties"]


async def test_unknown_route_and_method_use_the_error_shape(client):
    error(await client.get("/api/v1/nothing-here"), 404)
    r = await client.patch("/api/v1/users/Ada", json={})
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


# --- people ------------------------------------------------------------------------------


async def test_user_crud(client):
    body = {
        "name": "Ada",
        "spoken_name": "Ada L",
        "email": "ada@example.com",
        "phones": [
            {"number": "(202) 555-0101", "voice": True, "sms": True},
            {"number": "+44 20 7946 0958", "voice": False, "sms": True},
        ],
        "pin": "1234",
        "servicenow_user_id": "abc123",
    }
    created = ok(await client.post("/api/v1/users", json=body), 201)
    assert created == {
        "name": "Ada",
        "spoken_name": "Ada L",
        "email": "ada@example.com",
        "phones": [
            {"number": ADA, "voice": True, "sms": True},
            {"number": "+442079460958", "voice": False, "sms": True},
        ],
        "has_pin": True,
        "servicenow_user_id": "abc123",
        "active": True,
    }
    assert ok(await client.get("/api/v1/users/Ada")) == created
    await make_people(client, "Grace")
    listed = ok(await client.get("/api/v1/users"))
    assert [p["name"] for p in listed] == ["Ada", "Grace"]
    assert listed[0] == created

    replaced = ok(
        await client.put(
            "/api/v1/users/Ada",
            json={"name": "Ada", "phones": [{"number": ALAN}], "active": False},
        )
    )
    assert replaced == {
        "name": "Ada",
        "spoken_name": None,
        "email": None,
        "phones": [{"number": ALAN, "voice": True, "sms": False}],
        "has_pin": True,  # no "pin" in the body: kept
        "servicenow_user_id": None,
        "active": False,
    }
    assert ok(await client.get("/api/v1/users/Ada")) == replaced

    assert (await client.delete("/api/v1/users/Ada")).status_code == 204
    error(await client.get("/api/v1/users/Ada"), 404)
    assert [p["name"] for p in ok(await client.get("/api/v1/users"))] == ["Grace"]


async def test_put_creates_then_replaces_then_renames(client, container):
    r = await client.put("/api/v1/users/Ada", json=person("Ada", ADA, pin="1234"))
    assert r.status_code == 201, r.text
    r = await client.put("/api/v1/users/Ada", json=person("Ada", ADA, email="a@example.com"))
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "a@example.com"
    # an identical PUT is still 200, not 201
    r = await client.put("/api/v1/users/Ada", json=person("Ada", ADA, email="a@example.com"))
    assert r.status_code == 200, r.text
    before = (await container.directory.get_person("Ada")).pin_hash

    ok(
        await client.post("/api/v1/groups", json={"name": "ops", "members": [{"person": "Ada"}]}),
        201,
    )
    r = await client.put("/api/v1/users/Ada", json=person("Ada King", ADA))
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Ada King"
    assert r.json()["has_pin"] is True
    error(await client.get("/api/v1/users/Ada"), 404)
    assert (await container.directory.get_person("Ada King")).pin_hash == before
    # references follow the rename
    assert members(ok(await client.get("/api/v1/groups/ops"))) == [{"person": "Ada King"}]
    # renaming something that does not exist is a 404, and creates nothing
    e = error(await client.put("/api/v1/users/Nobody", json=person("Other", GRACE)), 404)
    assert "Nobody" in e["message"]
    error(await client.get("/api/v1/users/Other"), 404)


async def test_pin_is_write_only_kept_or_cleared(client, container):
    r = await client.post("/api/v1/users", json=person("Ada", ADA, pin="2468"))
    assert r.status_code == 201, r.text
    stored = (await container.directory.get_person("Ada")).pin_hash
    assert stored is not None and stored != "2468"
    assert pins.verify_pin(stored, "2468")
    for resp in (
        r,
        await client.get("/api/v1/users/Ada"),
        await client.get("/api/v1/users"),
    ):
        assert "2468" not in resp.text
        assert stored not in resp.text
        assert "argon2" not in resp.text
        assert '"pin"' not in resp.text
    assert r.json()["has_pin"] is True

    # PUT without "pin" keeps the exact same hash
    r = await client.put("/api/v1/users/Ada", json=person("Ada", ADA, email="ada@example.com"))
    assert r.status_code == 200, r.text
    assert r.json()["has_pin"] is True
    assert (await container.directory.get_person("Ada")).pin_hash == stored
    # the same PIN again also keeps the hash (no needless rehash)
    r = await client.put("/api/v1/users/Ada", json=person("Ada", ADA, pin="2468"))
    assert r.status_code == 200, r.text
    assert (await container.directory.get_person("Ada")).pin_hash == stored
    # a new PIN is re-hashed
    r = await client.put("/api/v1/users/Ada", json=person("Ada", ADA, pin="13579"))
    assert r.status_code == 200, r.text
    changed = (await container.directory.get_person("Ada")).pin_hash
    assert changed is not None and changed != stored
    assert pins.verify_pin(changed, "13579")
    assert not pins.verify_pin(changed, "2468")
    # "pin": null clears it
    r = await client.put("/api/v1/users/Ada", json=person("Ada", ADA, pin=None))
    assert r.status_code == 200, r.text
    assert r.json()["has_pin"] is False
    assert (await container.directory.get_person("Ada")).pin_hash is None
    assert (ok(await client.get("/api/v1/users/Ada")))["has_pin"] is False


async def test_user_404s(client):
    for r in (
        await client.get("/api/v1/users/nobody"),
        await client.delete("/api/v1/users/nobody"),
        await client.put("/api/v1/users/nobody", json=person("somebody", ADA)),
        await client.get("/api/v1/absences", params={"person": "nobody"}),
    ):
        assert "nobody" in error(r, 404)["message"]


async def test_user_409s(client):
    await make_people(client, "Ada", "Grace")
    before = await snapshot(client)
    e = error(await client.post("/api/v1/users", json=person("Ada", KATHERINE)), 409)
    assert e["message"] == "a person named 'Ada' already exists"
    e = error(await client.put("/api/v1/users/Ada", json=person("Grace", ADA)), 409)
    assert e["message"] == "a person named 'Grace' already exists"
    assert await snapshot(client) == before


async def test_user_422s(client):
    await make_people(client, "Ada")
    before = await snapshot(client)

    e = error(await client.post("/api/v1/users", json=person("Bob", "12345")), 422)
    assert e["field"] == "phones[0].number"
    assert "12345" in e["message"]
    body = {"name": "Bob", "phones": [{"number": GRACE}, {"number": "+1 202 555"}]}
    e = error(await client.post("/api/v1/users", json=body), 422)
    assert e["field"] == "phones[1].number"
    e = error(await client.post("/api/v1/users", json=person("Bob", "not a number")), 422)
    assert e["field"] == "phones[0].number"
    # the same number twice
    body = {"name": "Bob", "phones": [{"number": GRACE}, {"number": "(202) 555-0102"}]}
    e = error(await client.post("/api/v1/users", json=body), 422)
    assert e["field"] == "phones"
    # invalid number on PUT (replace) too
    e = error(await client.put("/api/v1/users/Ada", json=person("Ada", "+1 000")), 422)
    assert e["field"] == "phones[0].number"

    for pin in ("12a4", "123", "1234567890123", " 12 34 ", 1234):
        r = await client.post("/api/v1/users", json=person("Bob", GRACE, pin=pin))
        e = error(r, 422)
        assert e["message"].startswith("pin"), e
        if isinstance(pin, str) and pin.strip():
            assert pin.strip() not in r.text  # the input is never echoed

    e = error(await client.post("/api/v1/users", json=person("Bob", GRACE, email="bob")), 422)
    assert e["field"] == "email"
    error(await client.post("/api/v1/users", json={"name": ""}), 422)
    error(await client.post("/api/v1/users", json={"phones": []}), 422)
    e = error(await client.post("/api/v1/users", json={"name": "Bob", "nickname": "B"}), 422)
    assert "nickname" in e["message"]
    r = await client.post(
        "/api/v1/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    error(r, 422)
    assert await snapshot(client) == before


# --- groups ------------------------------------------------------------------------------


async def test_group_crud_with_all_member_kinds(client):
    await make_people(client, "Ada", "Grace", "Alan")
    ok(
        await client.post(
            "/api/v1/rotations",
            json={"name": "primary", "participants": ["Ada", "Grace"], "start": "2026-11-16"},
        ),
        201,
    )
    ok(
        await client.post("/api/v1/groups", json={"name": "db", "members": [{"person": "Alan"}]}),
        201,
    )
    body = {
        "name": "ops",
        "spoken_name": "the operations team",
        "members": [
            {"rotation": "primary"},
            {"person": "Grace"},
            {"group": "db"},
            {"phone": "(202) 555-0199", "label": "NOC pager"},
            {"phone": "+12025550198"},
        ],
    }
    created = ok(await client.post("/api/v1/groups", json=body), 201)
    assert created["name"] == "ops"
    assert created["spoken_name"] == "the operations team"
    expected = [
        {"rotation": "primary"},
        {"person": "Grace"},
        {"group": "db"},
        {"phone": PAGER, "label": "NOC pager"},
        {"phone": "+12025550198"},
    ]
    assert members(created) == expected
    got = ok(await client.get("/api/v1/groups/ops"))
    assert got == created
    assert set(got["members"][0]) == {"person", "group", "rotation", "phone", "label"}
    assert [g["name"] for g in ok(await client.get("/api/v1/groups"))] == ["db", "ops"]

    # replace: new order, fewer members
    r = await client.put(
        "/api/v1/groups/ops",
        json={"name": "ops", "members": [{"group": "db"}, {"person": "Ada"}]},
    )
    replaced = ok(r)
    assert replaced["spoken_name"] is None
    assert members(replaced) == [{"group": "db"}, {"person": "Ada"}]
    assert ok(await client.get("/api/v1/groups/ops")) == replaced

    # PUT creates (201), then renames (200)
    r = await client.put("/api/v1/groups/web", json={"name": "web", "members": []})
    assert r.status_code == 201, r.text
    r = await client.put("/api/v1/groups/db", json={"name": "database", "members": []})
    assert r.status_code == 200, r.text
    error(await client.get("/api/v1/groups/db"), 404)
    assert members(ok(await client.get("/api/v1/groups/ops"))) == [
        {"group": "database"},
        {"person": "Ada"},
    ]

    assert (await client.delete("/api/v1/groups/ops")).status_code == 204
    error(await client.get("/api/v1/groups/ops"), 404)
    # the people, rotation and nested group are untouched
    assert [g["name"] for g in ok(await client.get("/api/v1/groups"))] == [
        "database",
        "web",
    ]
    assert (await client.get("/api/v1/users/Ada")).status_code == 200
    assert (await client.get("/api/v1/rotations/primary")).status_code == 200


async def test_group_404s(client):
    for r in (
        await client.get("/api/v1/groups/nope"),
        await client.delete("/api/v1/groups/nope"),
        await client.put("/api/v1/groups/nope", json={"name": "other"}),
        await client.get("/api/v1/groups/nope/oncall"),
        await client.get("/api/v1/groups/nope/oncall", params={"at": "2026-11-21T10:00:00Z"}),
    ):
        assert "nope" in error(r, 404)["message"]


async def test_nesting_cycle_through_two_groups_is_refused(client):
    await make_people(client, "Ada")
    ok(await client.post("/api/v1/groups", json={"name": "a", "members": []}), 201)
    ok(
        await client.post(
            "/api/v1/groups", json={"name": "b", "members": [{"group": "a"}, {"person": "Ada"}]}
        ),
        201,
    )
    before = await snapshot(client)
    r = await client.put("/api/v1/groups/a", json={"name": "a", "members": [{"group": "b"}]})
    assert error(r, 409)["message"] == "group nesting cycle: a -> b -> a"
    assert await snapshot(client) == before
    assert members(ok(await client.get("/api/v1/groups/a"))) == []


async def test_nesting_cycle_through_three_groups_is_refused(client):
    ok(await client.post("/api/v1/groups", json={"name": "c", "members": []}), 201)
    ok(await client.post("/api/v1/groups", json={"name": "b", "members": [{"group": "c"}]}), 201)
    ok(await client.post("/api/v1/groups", json={"name": "a", "members": [{"group": "b"}]}), 201)
    before = await snapshot(client)
    r = await client.put(
        "/api/v1/groups/c",
        json={"name": "c", "members": [{"phone": PAGER}, {"group": "a"}]},
    )
    assert error(r, 409)["message"] == "group nesting cycle: c -> a -> b -> c"
    # a new group that contains itself
    r = await client.post("/api/v1/groups", json={"name": "d", "members": [{"group": "d"}]})
    assert error(r, 409)["message"] == "group nesting cycle: d -> d"
    # a rename that would close a cycle: b (contains c) renamed to x, with a as a member
    r = await client.put("/api/v1/groups/b", json={"name": "x", "members": [{"group": "a"}]})
    assert error(r, 409)["message"] == "group nesting cycle: x -> a -> x"
    assert await snapshot(client) == before
    assert members(ok(await client.get("/api/v1/groups/c"))) == []
    error(await client.get("/api/v1/groups/d"), 404)


async def test_group_409s_and_delete_in_use(client):
    await make_people(client, "Ada", "Grace")
    ok(
        await client.post(
            "/api/v1/rotations",
            json={"name": "primary", "participants": ["Grace"], "start": "2026-11-16"},
        ),
        201,
    )
    ok(
        await client.post("/api/v1/groups", json={"name": "db", "members": [{"person": "Ada"}]}),
        201,
    )
    ok(
        await client.post(
            "/api/v1/groups",
            json={"name": "ops", "members": [{"group": "db"}, {"rotation": "primary"}]},
        ),
        201,
    )
    ok(await client.post("/api/v1/groups", json={"name": "tier2", "members": []}), 201)
    ok(await client.post("/api/v1/policies", json={"name": "p", "tiers": ["tier2"]}), 201)
    before = await snapshot(client)

    e = error(await client.post("/api/v1/groups", json={"name": "db"}), 409)
    assert e["message"] == "a group named 'db' already exists"
    e = error(await client.put("/api/v1/groups/tier2", json={"name": "ops"}), 409)
    assert e["message"] == "a group named 'ops' already exists"

    e = error(await client.delete("/api/v1/users/Ada"), 409)
    assert e["message"] == "person 'Ada' is still used by group 'db'"
    e = error(await client.delete("/api/v1/users/Grace"), 409)
    assert e["message"] == "person 'Grace' is still used by rotation 'primary'"
    e = error(await client.delete("/api/v1/groups/db"), 409)
    assert e["message"] == "group 'db' is still used by group 'ops'"
    e = error(await client.delete("/api/v1/groups/tier2"), 409)
    assert e["message"] == "group 'tier2' is still used by policy 'p'"
    e = error(await client.delete("/api/v1/rotations/primary"), 409)
    assert e["message"] == "rotation 'primary' is still used by group 'ops'"
    assert await snapshot(client) == before

    # once unreferenced, everything can go (in dependency order)
    for path in (
        "/api/v1/policies/p",
        "/api/v1/groups/tier2",
        "/api/v1/groups/ops",
        "/api/v1/groups/db",
        "/api/v1/rotations/primary",
        "/api/v1/users/Ada",
        "/api/v1/users/Grace",
    ):
        assert (await client.delete(path)).status_code == 204, path
    assert await snapshot(client) == {k: [] for k in before}


async def test_group_422s(client):
    await make_people(client, "Ada")
    ok(await client.post("/api/v1/groups", json={"name": "ops", "members": []}), 201)
    before = await snapshot(client)

    def g(*member: dict[str, Any], name: str = "new") -> dict[str, Any]:
        return {"name": name, "members": list(member)}

    cases = [
        ({"person": "Nobody"}, "unknown person 'Nobody'", "members"),
        ({"group": "nogroup"}, "unknown group 'nogroup'", "members"),
        ({"rotation": "norota"}, "unknown rotation 'norota'", "members"),
    ]
    for member, message, field in cases:
        for r in (
            await client.post("/api/v1/groups", json=g({"person": "Ada"}, member)),
            await client.put("/api/v1/groups/ops", json=g(member, name="ops")),
        ):
            e = error(r, 422)
            assert e["message"] == message
            assert e["field"] == field

    e = error(await client.post("/api/v1/groups", json=g({"person": "Ada"}, {"phone": "555"})), 422)
    assert e["field"] == "members[1].phone"
    two = {"person": "Ada", "phone": PAGER}
    e = error(await client.post("/api/v1/groups", json=g(two)), 422)
    assert "exactly one" in e["message"]
    assert e["message"].startswith("members.0")
    e = error(await client.post("/api/v1/groups", json=g({})), 422)
    assert "exactly one" in e["message"]
    e = error(await client.post("/api/v1/groups", json=g({"person": "Ada", "label": "x"})), 422)
    assert "label" in e["message"]
    e = error(await client.post("/api/v1/groups", json=g({"team": "x"})), 422)
    assert "team" in e["message"]
    assert await snapshot(client) == before


# --- rotations ---------------------------------------------------------------------------


ROTATION = {
    "name": "primary",
    "participants": ["Ada", "Grace"],
    "start": "2026-11-16",
    "shift_length": 2,
    "shift_unit": "days",
    "handoff": "09:30:45",
    "timezone": "Europe/Paris",
}


async def test_rotation_crud(client):
    await make_people(client, "Ada", "Grace", "Alan")
    created = ok(await client.post("/api/v1/rotations", json=ROTATION), 201)
    assert created == {
        "name": "primary",
        "participants": ["Ada", "Grace"],
        "start": "2026-11-16",
        "shift_length": 2,
        "shift_unit": "days",
        "handoff": "09:30",
        "timezone": "Europe/Paris",
    }
    assert ok(await client.get("/api/v1/rotations/primary")) == created
    minimal = ok(
        await client.post(
            "/api/v1/rotations",
            json={"name": "backup", "participants": ["Alan"], "start": "2026-01-01"},
        ),
        201,
    )
    assert minimal == {
        "name": "backup",
        "participants": ["Alan"],
        "start": "2026-01-01",
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff": "09:00",
        "timezone": "UTC",
    }
    assert [x["name"] for x in ok(await client.get("/api/v1/rotations"))] == [
        "backup",
        "primary",
    ]
    # PUT of an unknown name creates (201); an identical PUT is 200
    r = await client.put("/api/v1/rotations/night", json={**ROTATION, "name": "night"})
    assert r.status_code == 201, r.text
    r = await client.put("/api/v1/rotations/night", json={**ROTATION, "name": "night"})
    assert r.status_code == 200, r.text
    before = await snapshot(client)
    e = error(await client.put("/api/v1/rotations/night", json={**ROTATION, "name": "backup"}), 409)
    assert e["message"] == "a rotation named 'backup' already exists"
    e = error(await client.post("/api/v1/rotations", json={**ROTATION, "name": "backup"}), 409)
    assert e["message"] == "a rotation named 'backup' already exists"
    assert await snapshot(client) == before
    assert (await client.delete("/api/v1/rotations/night")).status_code == 204
    assert [x["name"] for x in ok(await client.get("/api/v1/rotations"))] == [
        "backup",
        "primary",
    ]
    for r in (
        await client.get("/api/v1/rotations/night"),
        await client.delete("/api/v1/rotations/night"),
        await client.put("/api/v1/rotations/night", json={**ROTATION, "name": "other"}),
    ):
        assert "night" in error(r, 404)["message"]


async def test_rotation_put_replaces_and_renames(client):
    await make_people(client, "Ada", "Grace", "Alan")
    ok(await client.post("/api/v1/rotations", json=ROTATION), 201)
    r = await client.put(
        "/api/v1/rotations/primary",
        json={**ROTATION, "participants": ["Alan", "Ada", "Grace"], "shift_unit": "hours"},
    )
    replaced = ok(r)
    assert replaced["participants"] == ["Alan", "Ada", "Grace"]
    assert replaced["shift_unit"] == "hours"
    assert ok(await client.get("/api/v1/rotations/primary")) == replaced
    r = await client.put("/api/v1/rotations/primary", json={**ROTATION, "name": "late"})
    assert r.status_code == 200, r.text
    error(await client.get("/api/v1/rotations/primary"), 404)
    assert (ok(await client.get("/api/v1/rotations/late")))["participants"] == [
        "Ada",
        "Grace",
    ]


async def test_rotation_put_changing_only_the_timezone(client):
    await make_people(client, "Ada", "Grace")
    ok(await client.post("/api/v1/rotations", json=ROTATION), 201)
    r = await client.put("/api/v1/rotations/primary", json={**ROTATION, "timezone": "UTC"})
    assert (ok(r))["timezone"] == "UTC"


async def test_rotation_422s(client):
    await make_people(client, "Ada")
    before = await snapshot(client)
    base = {"name": "r", "participants": ["Ada"], "start": "2026-11-16"}
    e = error(await client.post("/api/v1/rotations", json={**base, "timezone": "Mars/Base"}), 422)
    assert e["field"] == "timezone"
    assert "Mars/Base" in e["message"]
    e = error(
        await client.post("/api/v1/rotations", json={**base, "participants": ["Ada", "Zed"]}),
        422,
    )
    assert e == {"code": "invalid", "message": "unknown person 'Zed'", "field": "participants"}
    error(await client.post("/api/v1/rotations", json={**base, "participants": []}), 422)
    error(await client.post("/api/v1/rotations", json={**base, "shift_length": 0}), 422)
    error(await client.post("/api/v1/rotations", json={**base, "shift_unit": "months"}), 422)
    error(await client.post("/api/v1/rotations", json={**base, "handoff": "25:00"}), 422)
    error(await client.post("/api/v1/rotations", json={**base, "start": "next monday"}), 422)
    assert await snapshot(client) == before


# --- policies ----------------------------------------------------------------------------


async def test_policy_crud(client):
    for name in ("agents", "escalation"):
        ok(await client.post("/api/v1/groups", json={"name": name}), 201)
    created = ok(
        await client.post("/api/v1/policies", json={"name": "default", "tiers": ["agents"]}),
        201,
    )
    assert created == {
        "name": "default",
        "tiers": ["agents"],
        "ring_timeout": 30,
        "rounds": 2,
        "round_delay": 60,
    }
    assert ok(await client.get("/api/v1/policies/default")) == created
    body = {
        "name": "other",
        "tiers": ["agents", "escalation"],
        "ring_timeout": 600,
        "rounds": 10,
        "round_delay": 0,
    }
    r = await client.put("/api/v1/policies/other", json=body)
    assert r.status_code == 201, r.text
    assert r.json() == body
    r = await client.put("/api/v1/policies/other", json=body)  # identical: 200
    assert r.status_code == 200, r.text
    assert [p["name"] for p in ok(await client.get("/api/v1/policies"))] == [
        "default",
        "other",
    ]
    before = await snapshot(client)
    e = error(await client.post("/api/v1/policies", json={**body, "name": "default"}), 409)
    assert e["message"] == "a policy named 'default' already exists"
    e = error(await client.put("/api/v1/policies/other", json={**body, "name": "default"}), 409)
    assert e["message"] == "a policy named 'default' already exists"
    assert await snapshot(client) == before
    # renaming a tier group shows in the policy
    ok(await client.put("/api/v1/groups/agents", json={"name": "support"}))
    assert (ok(await client.get("/api/v1/policies/other")))["tiers"] == [
        "support",
        "escalation",
    ]
    assert (await client.delete("/api/v1/policies/other")).status_code == 204
    for r in (
        await client.get("/api/v1/policies/other"),
        await client.delete("/api/v1/policies/other"),
        await client.put("/api/v1/policies/other", json={**body, "name": "x"}),
    ):
        assert "other" in error(r, 404)["message"]
    assert [p["name"] for p in ok(await client.get("/api/v1/policies"))] == ["default"]


async def test_policy_put_replaces_and_renames(client):
    for name in ("agents", "escalation"):
        ok(await client.post("/api/v1/groups", json={"name": name}), 201)
    ok(
        await client.post("/api/v1/policies", json={"name": "default", "tiers": ["agents"]}),
        201,
    )
    body = {
        "name": "default",
        "tiers": ["agents", "escalation"],
        "ring_timeout": 600,
        "rounds": 10,
        "round_delay": 0,
    }
    assert ok(await client.put("/api/v1/policies/default", json=body)) == body
    assert ok(await client.get("/api/v1/policies/default")) == body
    r = await client.put("/api/v1/policies/default", json={**body, "name": "renamed"})
    assert r.status_code == 200, r.text
    error(await client.get("/api/v1/policies/default"), 404)


async def test_policy_422s(client):
    ok(await client.post("/api/v1/groups", json={"name": "agents"}), 201)
    before = await snapshot(client)
    base = {"name": "p", "tiers": ["agents"]}
    for value in (4, 601, 0, -1):
        e = error(await client.post("/api/v1/policies", json={**base, "ring_timeout": value}), 422)
        assert e["message"].startswith("ring_timeout"), e
    for extra in ({"rounds": 0}, {"rounds": 11}, {"round_delay": -1}, {"round_delay": 3601}):
        error(await client.post("/api/v1/policies", json={**base, **extra}), 422)
    error(await client.post("/api/v1/policies", json={**base, "tiers": []}), 422)
    e = error(await client.post("/api/v1/policies", json={**base, "tiers": ["agents", "x"]}), 422)
    assert e == {"code": "invalid", "message": "unknown group 'x'", "field": "tiers"}
    assert await snapshot(client) == before
    # the bounds themselves are accepted
    for name, value in (("low", 5), ("high", 600)):
        body = {**base, "name": name, "ring_timeout": value}
        r = await client.post("/api/v1/policies", json=body)
        assert r.status_code == 201, r.text


# --- absences ----------------------------------------------------------------------------


async def test_absence_crud(client):
    await make_people(client, "Ada", "Grace", "Alan")
    body = {
        "person": "Ada",
        "starts_at": "2026-12-20T01:00:00+01:00",
        "ends_at": "2027-01-04T00:00:00Z",
        "replacement": "Grace",
        "reason": "holiday",
    }
    posted = ok(await client.post("/api/v1/absences", json=body), 201)
    absence_id = posted["id"]
    assert isinstance(absence_id, int)
    # the same instant (the POST answer may keep the given offset)
    assert instant(posted["starts_at"]) == instant("2026-12-20T00:00:00Z")
    assert instant(posted["ends_at"]) == instant("2027-01-04T00:00:00Z")
    created = ok(await client.get(f"/api/v1/absences/{absence_id}"))
    assert created == {
        "id": absence_id,
        "person": "Ada",
        "starts_at": "2026-12-20T00:00:00Z",
        "ends_at": "2027-01-04T00:00:00Z",
        "replacement": "Grace",
        "reason": "holiday",
    }
    assert {k: v for k, v in posted.items() if not k.endswith("_at")} == {
        k: v for k, v in created.items() if not k.endswith("_at")
    }
    # posting the same absence again reuses it
    again = ok(await client.post("/api/v1/absences", json=body), 201)
    assert again["id"] == absence_id
    other = ok(
        await client.post(
            "/api/v1/absences",
            json={
                "person": "Alan",
                "starts_at": "2026-11-01T00:00:00Z",
                "ends_at": "2026-11-02T00:00:00Z",
            },
        ),
        201,
    )
    assert other["replacement"] is None and other["reason"] is None
    listed = ok(await client.get("/api/v1/absences"))
    assert [a["id"] for a in listed] == [other["id"], absence_id]  # by start
    assert ok(await client.get("/api/v1/absences", params={"person": "Ada"})) == [created]
    assert ok(await client.get("/api/v1/absences", params={"person": "Grace"})) == []

    # a person covering for someone cannot be deleted
    e = error(await client.delete("/api/v1/users/Grace"), 409)
    assert e["message"] == "person 'Grace' is still used by an absence of 'Ada' (as replacement)"

    changed = {**body, "replacement": None, "reason": "sick"}
    replaced = ok(await client.put(f"/api/v1/absences/{absence_id}", json=changed))
    assert replaced["id"] == absence_id
    assert instant(replaced["starts_at"]) == instant(created["starts_at"])
    assert ok(await client.get(f"/api/v1/absences/{absence_id}")) == {
        **created,
        "replacement": None,
        "reason": "sick",
    }
    assert (await client.delete("/api/v1/users/Grace")).status_code == 204

    assert (await client.delete(f"/api/v1/absences/{absence_id}")).status_code == 204
    for r in (
        await client.get(f"/api/v1/absences/{absence_id}"),
        await client.delete(f"/api/v1/absences/{absence_id}"),
        await client.put(f"/api/v1/absences/{absence_id}", json=changed),
        await client.get("/api/v1/absences/999999"),
    ):
        error(r, 404)
    # deleting the absent person removes their absences
    assert (await client.delete("/api/v1/users/Alan")).status_code == 204
    assert ok(await client.get("/api/v1/absences")) == []


async def test_absence_422s(client):
    await make_people(client, "Ada", "Grace")
    before = await snapshot(client)
    base = {
        "person": "Ada",
        "starts_at": "2026-12-20T00:00:00Z",
        "ends_at": "2026-12-21T00:00:00Z",
    }
    e = error(await client.post("/api/v1/absences", json={**base, "person": "Nobody"}), 422)
    assert e == {"code": "invalid", "message": "unknown person 'Nobody'", "field": "person"}
    e = error(await client.post("/api/v1/absences", json={**base, "replacement": "Ada"}), 422)
    assert e["field"] == "replacement"
    e = error(
        await client.post("/api/v1/absences", json={**base, "ends_at": base["starts_at"]}), 422
    )
    assert e["field"] == "starts_at"
    e = error(
        await client.post("/api/v1/absences", json={**base, "starts_at": "2026-12-20T00:00:00"}),
        422,
    )
    assert e["message"].startswith("starts_at")
    error(await client.get("/api/v1/absences/not-a-number"), 422)
    assert await snapshot(client) == before


async def test_unknown_absence_replacement_names_the_replacement_field(client):
    await make_people(client, "Ada")
    r = await client.post(
        "/api/v1/absences",
        json={
            "person": "Ada",
            "starts_at": "2026-12-20T00:00:00Z",
            "ends_at": "2026-12-21T00:00:00Z",
            "replacement": "Nobody",
        },
    )
    e = error(r, 422)
    assert e["message"] == "unknown person 'Nobody'"
    assert e["field"] == "replacement"


# --- on call -----------------------------------------------------------------------------


async def make_oncall_directory(client: httpx.AsyncClient) -> None:
    """ops = [rotation primary, Katherine, group db, NOC pager, Margaret, Alan];
    db = [Edsger, Barbara]; primary = Ada, Grace, Alan in daily 09:00 UTC shifts from
    Monday 2026-11-16; Margaret is inactive; Edsger is away (Grace covers) from 11-20 to
    11-23; Katherine is away (nobody covers) on 11-21 from 11:00 to 13:00 UTC."""
    await make_people(client, "Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara")
    ok(await client.post("/api/v1/users", json=person("Margaret", MARGARET, active=False)), 201)
    ok(
        await client.post(
            "/api/v1/users",
            json={"name": "Sam", "phones": [{"number": "+12025550108", "voice": False}]},
        ),
        201,
    )
    ok(
        await client.post(
            "/api/v1/rotations",
            json={
                "name": "primary",
                "participants": ["Ada", "Grace", "Alan"],
                "start": "2026-11-16",
                "shift_unit": "days",
                "handoff": "09:00",
            },
        ),
        201,
    )
    ok(
        await client.post(
            "/api/v1/groups",
            json={"name": "db", "members": [{"person": "Edsger"}, {"person": "Barbara"}]},
        ),
        201,
    )
    ok(
        await client.post(
            "/api/v1/groups",
            json={
                "name": "ops",
                "members": [
                    {"rotation": "primary"},
                    {"person": "Katherine"},
                    {"group": "db"},
                    {"phone": PAGER, "label": "NOC pager"},
                    {"person": "Margaret"},
                    {"person": "Sam"},
                    {"person": "Alan"},
                ],
            },
        ),
        201,
    )
    ok(
        await client.post(
            "/api/v1/groups",
            json={"name": "all", "members": [{"group": "ops"}, {"phone": "+12025550198"}]},
        ),
        201,
    )
    for absence in (
        {
            "person": "Edsger",
            "starts_at": "2026-11-20T00:00:00Z",
            "ends_at": "2026-11-23T00:00:00Z",
            "replacement": "Grace",
        },
        {
            "person": "Katherine",
            "starts_at": "2026-11-21T11:00:00Z",
            "ends_at": "2026-11-21T13:00:00Z",
        },
    ):
        ok(await client.post("/api/v1/absences", json=absence), 201)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def entries(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "phone": p} for n, p in pairs]


async def test_oncall_resolution(client):
    await make_oncall_directory(client)

    async def oncall(group: str, at: str | None = None) -> dict[str, Any]:
        params = {"at": at} if at is not None else {}
        return ok(await client.get(f"/api/v1/groups/{group}/oncall", params=params))

    # default `at` is the container clock: 2026-11-21 12:00 UTC (Alan's shift; Katherine
    # away; Edsger away, covered by Grace)
    now = await oncall("ops")
    assert now == {
        "group": "ops",
        "at": "2026-11-21T12:00:00Z",
        "oncall": entries(
            ("Alan", ALAN), ("Grace", GRACE), ("Barbara", BARBARA), ("NOC pager", PAGER)
        ),
    }
    # the same instant with another offset: same people, `at` echoed as given
    shifted = await oncall("ops", "2026-11-21T14:00:00+02:00")
    assert shifted["at"] == "2026-11-21T14:00:00+02:00"
    assert shifted["oncall"] == now["oncall"]
    # before the hand-off: Grace's shift, Katherine back, Grace (covering Edsger) a duplicate
    morning = await oncall("ops", "2026-11-21T08:00:00Z")
    assert morning["at"] == "2026-11-21T08:00:00Z"
    assert morning["oncall"] == entries(
        ("Grace", GRACE),
        ("Katherine", KATHERINE),
        ("Barbara", BARBARA),
        ("NOC pager", PAGER),
        ("Alan", ALAN),
    )
    # after both absences: Alan on shift again (day 8), Edsger back
    later = await oncall("ops", "2026-11-24T12:00:00Z")
    assert later["oncall"] == entries(
        ("Alan", ALAN),
        ("Katherine", KATHERINE),
        ("Edsger", EDSGER),
        ("Barbara", BARBARA),
        ("NOC pager", PAGER),
    )
    # absence bounds: the end instant is no longer covered
    edge = await oncall("ops", "2026-11-21T13:00:00Z")
    assert ("Katherine", KATHERINE) in [(e["name"], e["phone"]) for e in edge["oncall"]]
    # before the rotation's first hand-off nobody is on shift
    early = await oncall("ops", "2026-11-16T08:59:00Z")
    assert early["oncall"] == entries(
        ("Katherine", KATHERINE),
        ("Edsger", EDSGER),
        ("Barbara", BARBARA),
        ("NOC pager", PAGER),
        ("Alan", ALAN),
    )
    # nested two levels: expanded in place, order kept
    outer = await oncall("all", "2026-11-21T12:00:00Z")
    assert outer["group"] == "all"
    assert outer["oncall"] == [*now["oncall"], *entries(("+12025550198", "+12025550198"))]
    assert (await oncall("db", "2026-11-21T12:00:00Z"))["oncall"] == entries(
        ("Grace", GRACE), ("Barbara", BARBARA)
    )
    # an empty group answers an empty list
    ok(await client.post("/api/v1/groups", json={"name": "empty"}), 201)
    assert (await oncall("empty"))["oncall"] == []


async def test_oncall_422s(client):
    ok(await client.post("/api/v1/groups", json={"name": "ops"}), 201)
    for at in ("2026-11-21T10:00:00", "yesterday", "2026-13-01T00:00:00Z"):
        r = await client.get("/api/v1/groups/ops/oncall", params={"at": at})
        e = error(r, 422)
        assert "at" in e["message"], e
    # the 404 for an unknown group is not masked by a valid instant
    r = await client.get("/api/v1/groups/nope/oncall", params={"at": "2026-11-21T10:00:00Z"})
    error(r, 404)


# --- out-of-range input must be a 4xx, never a 500 ---------------------------------------


@pytest.fixture
async def lenient(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees the app's 500 answer instead of the raised exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as c:
        yield c


async def test_an_out_of_range_absence_id_is_not_found(lenient):
    for absence_id in (2**31, 10**20):
        for method in ("GET", "DELETE"):
            r = await lenient.request(method, f"/api/v1/absences/{absence_id}")
            assert r.status_code in (404, 422), (method, absence_id, r.text)
            error(r, r.status_code)


async def test_an_instant_outside_the_utc_range_is_invalid(lenient):
    ok(await lenient.post("/api/v1/users", json=person("Ada", ADA)), 201)
    ok(await lenient.post("/api/v1/groups", json={"name": "ops"}), 201)
    ok(
        await lenient.put(
            "/api/v1/groups/ops", json={"name": "ops", "members": [{"person": "Ada"}]}
        )
    )
    for at in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        r = await lenient.get("/api/v1/groups/ops/oncall", params={"at": at})
        error(r, 422)
    body = {
        "person": "Ada",
        "starts_at": "0001-01-01T00:00:00+01:00",
        "ends_at": "2026-01-01T00:00:00Z",
    }
    error(await lenient.post("/api/v1/absences", json=body), 422)
