"""Hotline PINs are stored only as argon2 hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    """Constant-time check; a malformed hash never matches."""
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def keep_or_hash(existing: str | None, pin: str) -> str:
    """Reuse ``existing`` when it already matches ``pin`` (idempotent re-import)."""
    if existing is not None and verify_pin(existing, pin):
        return existing
    return hash_pin(pin)
