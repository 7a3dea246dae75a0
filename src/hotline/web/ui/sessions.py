"""Dashboard sessions and CSRF protection.

The session cookie holds ``{uid, epoch, exp}`` signed with HMAC-SHA256; it is HttpOnly and
SameSite=Lax (Secure when the public URL is https). It ends at ``exp`` (measured with the
container's clock), when the account is deactivated, or when its ``session_epoch`` moves
(new password or role). The signing key is ``HOTLINE_SESSION_SECRET`` or, unset, a random key
generated once and kept in the database so every replica accepts every cookie.

CSRF: every visitor carries a random nonce in a second signed cookie (SameSite=Strict); every
form posts ``csrf_token`` = HMAC(key, nonce) and every script sends it as ``X-CSRF-Token``.
A state-changing request without the matching token is refused with 403 and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request, Response

from hotline.bootstrap import Container
from hotline.services.accounts import Account, Role

SESSION_COOKIE = "hotline_session"
CSRF_COOKIE = "hotline_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_KEY_NAME = "session"


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, scripts get 401."""


class Forbidden(Exception):
    """The account's role does not allow this (403)."""

    def __init__(self, needed: Role) -> None:
        super().__init__(f"this needs the {needed} role")
        self.needed = needed


class CsrfRejected(Exception):
    """A state-changing request without a valid CSRF token (403)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Signer:
    key: bytes

    def _mac(self, purpose: str, body: bytes) -> bytes:
        return hmac.new(self.key, purpose.encode() + b"\0" + body, hashlib.sha256).digest()

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return _b64(body) + "." + _b64(self._mac(purpose, body))

    def load(self, purpose: str, token: str | None) -> dict[str, Any] | None:
        """The payload of a token signed for ``purpose``, or None if it is not one."""
        if not token or token.count(".") != 1:
            return None
        body_text, mac_text = token.split(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def csrf_token(self, nonce: str) -> str:
        return _b64(self._mac("csrf-token", nonce.encode()))


async def signer(request: Request) -> Signer:
    """The app's signer (its key read or generated once, then kept on the app)."""
    found: Signer | None = getattr(request.app.state, "ui_signer", None)
    if found is None:
        container: Container = request.app.state.container
        configured = container.settings.session_secret
        if configured is not None:
            key = configured.get_secret_value().encode()
        else:
            key = bytes.fromhex(await container.accounts.secret(_KEY_NAME, secrets.token_hex(32)))
        found = Signer(key)
        request.app.state.ui_signer = found
    return found


def _secure(request: Request) -> bool:
    settings = request.app.state.container.settings
    if settings.cookie_secure is not None:
        return bool(settings.cookie_secure)
    return bool(settings.public_url.startswith("https://"))


# --- CSRF ---------------------------------------------------------------------------------


def csrf_nonce(request: Request, response: Response | None = None) -> str:
    """The visitor's CSRF nonce (a new one is set on ``response`` when there is none)."""
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce:
        return nonce
    s: Signer = request.state.signer
    payload = s.load("csrf", request.cookies.get(CSRF_COOKIE))
    nonce = str(payload["n"]) if payload and "n" in payload else None
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        request.state.new_csrf = s.sign("csrf", {"n": nonce})
    request.state.csrf_nonce = nonce
    return nonce


def set_cookies(request: Request, response: Response) -> None:
    """Attach a CSRF cookie created while rendering (see :func:`csrf_nonce`)."""
    fresh = getattr(request.state, "new_csrf", None)
    if fresh:
        response.set_cookie(
            CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )


async def check_csrf(request: Request) -> None:
    """Refuse the request unless it carries the visitor's CSRF token."""
    s = await signer(request)
    request.state.signer = s
    payload = s.load("csrf", request.cookies.get(CSRF_COOKIE))
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not payload or "n" not in payload or not given:
        raise CsrfRejected("missing CSRF token")
    if not hmac.compare_digest(given.encode(), s.csrf_token(str(payload["n"])).encode()):
        raise CsrfRejected("invalid CSRF token")


def new_csrf(request: Request) -> None:
    """Give the visitor a fresh nonce (after logging in or out)."""
    nonce = secrets.token_urlsafe(18)
    request.state.csrf_nonce = nonce
    request.state.new_csrf = request.state.signer.sign("csrf", {"n": nonce})


# --- sessions -----------------------------------------------------------------------------


def start_session(request: Request, response: Response, account: Account) -> None:
    container: Container = request.app.state.container
    lifetime = timedelta(hours=container.settings.session_hours)
    expires = container.clock.now() + lifetime
    token = request.state.signer.sign(
        "session",
        {"uid": account.id, "epoch": account.session_epoch, "exp": int(expires.timestamp())},
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def current_account(request: Request) -> Account | None:
    """The signed-in account, or None (no cookie, bad signature, expired, revoked)."""
    if hasattr(request.state, "account"):
        found: Account | None = request.state.account
        return found
    s = await signer(request)
    request.state.signer = s
    request.state.account = None
    payload = s.load("session", request.cookies.get(SESSION_COOKIE))
    if not payload:
        return None
    container: Container = request.app.state.container
    try:
        uid, epoch, exp = int(payload["uid"]), int(payload["epoch"]), int(payload["exp"])
    except (KeyError, TypeError, ValueError):
        return None
    if container.clock.now().timestamp() >= exp:
        return None
    account = await container.accounts.get(uid)
    if account is None or not account.active or account.session_epoch != epoch:
        return None
    request.state.account = account
    return account


def needs(role: Role) -> Any:
    """A dependency: the signed-in account, which must have at least ``role``."""

    async def dependency(request: Request) -> Account:
        account = await current_account(request)
        if account is None:
            raise LoginRequired()
        if not account.role.allows(role):
            raise Forbidden(role)
        return account

    return dependency
