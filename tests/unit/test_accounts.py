"""Unit tests for dashboard accounts (``hotline.services.accounts``) on the in-memory store:
roles, username and password rules, argon2 round trips, and sessions ending on changes."""

from __future__ import annotations

import asyncio
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.adapters.clock import FixedClock
from hotline.domain.errors import Conflict, Invalid
from hotline.services.accounts import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    AccountsService,
    MemoryAccountStore,
    Role,
)
from tests.conftest import NOW

GOOD = "correct horse battery"
ORDER = [Role.VIEWER, Role.RESPONDER, Role.ADMIN]


def service() -> AccountsService:
    return AccountsService(MemoryAccountStore(), FixedClock(NOW))


def test_roles_are_ordered_viewer_responder_admin() -> None:
    for have, need in product(Role, Role):
        assert have.allows(need) is (ORDER.index(have) >= ORDER.index(need)), (have, need)
    assert [r for r in Role if r.allows(Role.RESPONDER)] == [Role.RESPONDER, Role.ADMIN]


PASSWORDS = st.text(st.characters(codec="utf-8"), min_size=MIN_PASSWORD, max_size=60)


# Every example costs a few argon2 hashes (tens of milliseconds each, on purpose).
@settings(max_examples=12, deadline=None)
@given(password=PASSWORDS, other=PASSWORDS, role=st.sampled_from(Role))
def test_any_allowed_password_opens_its_account_and_no_other_does(
    password: str, other: str, role: Role
) -> None:
    async def check() -> None:
        svc = service()
        created = await svc.create("alice", password, role)
        found = await svc.store.find("alice")
        assert found is not None and found[1].startswith("$argon2")
        assert password not in found[1]
        opened = await svc.authenticate("ALICE", password)  # usernames ignore case
        assert opened is not None and (opened.id, opened.role) == (created.id, role)
        if other != password:
            assert await svc.authenticate("alice", other) is None

    asyncio.run(check())


@settings(max_examples=50, deadline=None)
@given(
    password=st.one_of(
        st.text(max_size=MIN_PASSWORD - 1),
        st.text(st.sampled_from("ab"), min_size=MAX_PASSWORD + 1, max_size=MAX_PASSWORD + 5),
    )
)
def test_too_short_or_too_long_passwords_are_refused_and_nothing_is_stored(password: str) -> None:
    async def check() -> None:
        svc = service()
        with pytest.raises(Invalid) as refused:
            await svc.create("alice", password, Role.VIEWER)
        assert refused.value.field == "password"
        assert await svc.list() == []

    asyncio.run(check())


USERNAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", fullmatch=True)


@settings(max_examples=12, deadline=None)
@given(good=USERNAMES, bad=st.text(max_size=70).filter(lambda t: not USERNAME_OK(t)))
def test_usernames_follow_the_rule(good: str, bad: str) -> None:
    async def check() -> None:
        svc = service()
        with pytest.raises(Invalid):
            await svc.create(bad, GOOD, Role.VIEWER)
        await svc.create(good, GOOD, Role.VIEWER)
        with pytest.raises(Conflict):
            await svc.create(good.swapcase(), GOOD, Role.ADMIN)

    asyncio.run(check())


def USERNAME_OK(text: str) -> bool:
    from hotline.services.accounts import USERNAME

    return USERNAME.fullmatch(text) is not None


async def test_changes_to_an_account_end_its_sessions() -> None:
    svc = service()
    account = await svc.create("alice", GOOD, Role.RESPONDER)
    assert account.session_epoch == 0
    assert (await svc.set_role("alice", Role.VIEWER)).session_epoch == 1
    assert (await svc.set_password("alice", "another good password")).session_epoch == 2
    assert await svc.authenticate("alice", GOOD) is None
    assert await svc.authenticate("alice", "another good password") is not None
    disabled = await svc.set_active("alice", False)
    assert disabled.session_epoch == 3 and not disabled.active
    assert await svc.authenticate("alice", "another good password") is None
    with pytest.raises(Invalid):
        await svc.set_password("alice", "short")


async def test_a_login_is_noted_and_an_unknown_user_is_refused_like_a_wrong_password() -> None:
    svc = service()
    await svc.create("alice", GOOD, Role.ADMIN)
    assert await svc.authenticate("bob", GOOD) is None
    assert await svc.authenticate("alice", "x" * (MAX_PASSWORD + 1)) is None
    await svc.authenticate("alice", GOOD)
    assert (await svc.by_username("alice")).last_login_at == NOW


async def test_the_first_secret_stored_is_the_one_everybody_gets() -> None:
    svc = service()
    assert await svc.secret("session", "first") == "first"
    assert await svc.secret("session", "second") == "first"
