"""Dashboard accounts and generated web secrets on SQLAlchemy (one transaction per call)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hotline.adapters.db.engine import READ_ONLY
from hotline.adapters.db.tables import AccountRow, WebSecretRow
from hotline.domain.errors import Conflict, NotFound
from hotline.services.accounts import Account, Role


def _account(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        active=row.active,
        session_epoch=row.session_epoch,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


class SqlAccountStore:
    """Implements :class:`hotline.services.accounts.AccountStore`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def _read(self) -> AsyncSession:
        session = self._sessions()
        await session.connection(execution_options={READ_ONLY: True})
        return session

    async def add(self, username: str, password_hash: str, role: Role, now: datetime) -> Account:
        async with self._sessions() as session:
            taken = await session.scalar(
                select(AccountRow.id).where(func.lower(AccountRow.username) == username.lower())
            )
            if taken is not None:
                raise Conflict(f"the username {username!r} is taken")
            row = AccountRow(
                username=username,
                password_hash=password_hash,
                role=role.value,
                active=True,
                session_epoch=0,
                created_at=now,
            )
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                raise Conflict(f"the username {username!r} is taken") from None
            return _account(row)

    async def get(self, account_id: int) -> Account | None:
        async with await self._read() as session:
            row = await session.get(AccountRow, account_id)
            return _account(row) if row else None

    async def find(self, username: str) -> tuple[Account, str] | None:
        async with await self._read() as session:
            row = await session.scalar(
                select(AccountRow).where(func.lower(AccountRow.username) == username.lower())
            )
            return (_account(row), row.password_hash) if row else None

    async def list(self) -> list[Account]:
        async with await self._read() as session:
            rows = await session.scalars(select(AccountRow).order_by(AccountRow.username))
            return [_account(r) for r in rows]

    async def update(
        self,
        account_id: int,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        end_sessions: bool = False,
    ) -> Account:
        async with self._sessions() as session:
            row = await session.get(AccountRow, account_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no account {account_id}")
            if password_hash is not None:
                row.password_hash = password_hash
            if role is not None:
                row.role = role.value
            if active is not None:
                row.active = active
            if end_sessions:
                row.session_epoch += 1
            await session.commit()
            return _account(row)

    async def logged_in(self, account_id: int, now: datetime, rehash: str | None) -> None:
        async with self._sessions() as session:
            row = await session.get(AccountRow, account_id)
            if row is None:
                return
            row.last_login_at = now
            if rehash is not None:
                row.password_hash = rehash
            await session.commit()

    async def secret(self, name: str, make: str, now: datetime) -> str:
        async with await self._read() as session:
            value = await session.scalar(
                select(WebSecretRow.value).where(WebSecretRow.name == name)
            )
        if value is not None:
            return value
        async with self._sessions() as session:
            session.add(WebSecretRow(name=name, value=make, created_at=now))
            try:
                await session.commit()
                return make
            except IntegrityError:
                await session.rollback()
        # Another replica stored its value first: everyone uses that one.
        async with await self._read() as session:
            stored = await session.scalar(
                select(WebSecretRow.value).where(WebSecretRow.name == name)
            )
        assert stored is not None
        return stored
