"""Dashboard accounts: local users with argon2 password hashes and one of three roles.

Roles are ordered: a ``viewer`` reads every page, a ``responder`` also acts on incidents and
uses the softphone, an ``admin`` also manages accounts. Passwords exist only as argon2
hashes; a failed login takes as long whether or not the user exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hotline.domain.errors import Conflict, Invalid, NotFound
from hotline.ports import Clock

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes any length; a bound keeps a login request cheap
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both cases cost one argon2 check.
_DUMMY_HASH = _hasher.hash("no such user: constant-time refusal")


class Role(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may (roles are ordered)."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: Role
    active: bool
    session_epoch: int
    created_at: datetime
    last_login_at: datetime | None = None


class AccountStore(Protocol):
    """Accounts and generated secrets in the database; each call is its own transaction."""

    async def add(self, username: str, password_hash: str, role: Role, now: datetime) -> Account:
        """Store a new account; ``Conflict`` if the username is taken."""
        ...

    async def get(self, account_id: int) -> Account | None: ...
    async def find(self, username: str) -> tuple[Account, str] | None:
        """The account and its password hash, by username (case-insensitive)."""
        ...

    async def list(self) -> list[Account]: ...
    async def update(
        self,
        account_id: int,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        end_sessions: bool = False,
    ) -> Account:
        """Change the given fields; ``end_sessions`` bumps the session epoch."""
        ...

    async def logged_in(self, account_id: int, now: datetime, rehash: str | None) -> None:
        """Note a login (and replace the hash when argon2's parameters changed)."""
        ...

    async def secret(self, name: str, make: str, now: datetime) -> str:
        """The stored secret ``name``; stores ``make`` first if there is none (the first
        replica to get there wins, the others read its value)."""
        ...


class AccountsService:
    def __init__(self, store: AccountStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create(self, username: str, password: str, role: Role) -> Account:
        """A new account. ``Invalid`` for a bad name or weak password, ``Conflict`` if taken."""
        _check_username(username)
        _check_password(password)
        return await self.store.add(username, _hasher.hash(password), role, self.clock.now())

    async def authenticate(self, username: str, password: str) -> Account | None:
        """The active account these credentials open, or None (never says which part failed)."""
        if len(password) > MAX_PASSWORD:
            return None
        found = await self.store.find(username) if USERNAME.fullmatch(username) else None
        stored = found[1] if found else _DUMMY_HASH
        ok: bool
        try:
            ok = _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or found is None or not found[0].active:
            return None
        account = found[0]
        rehash = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None
        await self.store.logged_in(account.id, self.clock.now(), rehash)
        return account

    async def get(self, account_id: int) -> Account | None:
        return await self.store.get(account_id)

    async def by_username(self, username: str) -> Account:
        found = await self.store.find(username)
        if found is None:
            raise NotFound(f"no account {username!r}")
        return found[0]

    async def list(self) -> list[Account]:
        return await self.store.list()

    async def set_password(self, username: str, password: str) -> Account:
        """New password; the account's existing sessions end."""
        _check_password(password)
        account = await self.by_username(username)
        return await self.store.update(
            account.id, password_hash=_hasher.hash(password), end_sessions=True
        )

    async def set_role(self, username: str, role: Role) -> Account:
        """New role; existing sessions end (they carried the old role's rights)."""
        account = await self.by_username(username)
        return await self.store.update(account.id, role=role, end_sessions=True)

    async def set_active(self, username: str, active: bool) -> Account:
        account = await self.by_username(username)
        return await self.store.update(account.id, active=active, end_sessions=True)

    async def secret(self, name: str, make: str) -> str:
        return await self.store.secret(name, make, self.clock.now())


def _check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise Invalid(
            "a username is 1-64 letters, digits or . _ @ - (starting with a letter or digit)",
            field="username",
        )


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password"
        )


class MemoryAccountStore:
    """An in-memory :class:`AccountStore` with the SQL store's rules (usernames unique
    regardless of case, epochs bumped on ``end_sessions``), for tests of the service."""

    def __init__(self) -> None:
        self.accounts: dict[int, tuple[Account, str]] = {}
        self.secrets: dict[str, str] = {}

    async def add(self, username: str, password_hash: str, role: Role, now: datetime) -> Account:
        if await self.find(username) is not None:
            raise Conflict(f"the username {username!r} is taken")
        account = Account(len(self.accounts) + 1, username, role, True, 0, now)
        self.accounts[account.id] = (account, password_hash)
        return account

    async def get(self, account_id: int) -> Account | None:
        found = self.accounts.get(account_id)
        return found[0] if found else None

    async def find(self, username: str) -> tuple[Account, str] | None:
        wanted = username.lower()
        return next((f for f in self.accounts.values() if f[0].username.lower() == wanted), None)

    async def list(self) -> list[Account]:
        return sorted((a for a, _ in self.accounts.values()), key=lambda a: a.username)

    async def update(
        self,
        account_id: int,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        end_sessions: bool = False,
    ) -> Account:
        if account_id not in self.accounts:
            raise NotFound(f"no account {account_id}")
        account, stored = self.accounts[account_id]
        account = replace(
            account,
            role=role if role is not None else account.role,
            active=active if active is not None else account.active,
            session_epoch=account.session_epoch + (1 if end_sessions else 0),
        )
        self.accounts[account_id] = (account, password_hash or stored)
        return account

    async def logged_in(self, account_id: int, now: datetime, rehash: str | None) -> None:
        account, stored = self.accounts[account_id]
        self.accounts[account_id] = (replace(account, last_login_at=now), rehash or stored)

    async def secret(self, name: str, make: str, now: datetime) -> str:
        return self.secrets.setdefault(name, make)
