from __future__ import annotations

import httpx

from hotline.web.app import create_app
from tests.conftest import API_TOKEN

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


async def test_people_groups_and_oncall(container):
    app = create_app(container=container)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post(
                "/api/v1/users",
                headers=AUTH,
                json={"name": "Ada", "phones": [{"number": "(202) 555-0101"}], "pin": "1234"},
            )
            assert r.status_code == 201, r.text
            assert r.json()["phones"][0]["number"] == "+12025550101"
            assert r.json()["has_pin"] is True
            r = await client.post(
                "/api/v1/groups",
                headers=AUTH,
                json={
                    "name": "ops",
                    "members": [{"person": "Ada"}, {"phone": "+12025550199", "label": "pager"}],
                },
            )
            assert r.status_code == 201, r.text
            r = await client.get(
                "/api/v1/groups/ops/oncall", headers=AUTH, params={"at": "2026-11-21T10:00:00Z"}
            )
            assert r.status_code == 200, r.text
            assert r.json()["oncall"] == [
                {"name": "Ada", "phone": "+12025550101"},
                {"name": "pager", "phone": "+12025550199"},
            ]
            r = await client.put(
                "/api/v1/groups/ops",
                headers=AUTH,
                json={"name": "ops", "members": [{"group": "ops"}]},
            )
            assert r.status_code == 409, r.text
            assert r.json()["error"]["message"] == "group nesting cycle: ops -> ops"
            r = await client.get("/api/v1/users", headers={"Authorization": "Bearer nope"})
            assert r.status_code == 401
            assert r.json()["error"]["code"] == "unauthorized"
            r = await client.get("/healthz")
            assert r.json()["status"] == "ok"
