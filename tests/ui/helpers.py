"""Shared helpers of the dashboard tests: log in through the form, read CSRF tokens."""

from __future__ import annotations

import re

import httpx

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; the CSRF token of the signed-in session."""
    form = await client.get("/ui/login")
    response = await client.post(
        "/ui/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303, response.text
    page = await client.get("/ui/incidents")
    assert page.status_code == 200
    return csrf_of(page.text)
