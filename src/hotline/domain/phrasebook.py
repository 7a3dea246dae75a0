"""Phrases from configuration: a mapping of overrides applied to a phrase dataclass.

Keys are the dataclass's field names; a nested phrase group (e.g. ``alert``) takes a nested
mapping. Unknown keys and non-text values are refused with the key's dotted path, so a typo
in the YAML file is reported when the server starts, never heard by a caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from hotline.domain.errors import Invalid

T = TypeVar("T")


def with_overrides(phrases: T, overrides: Mapping[str, Any], where: str = "") -> T:
    """``phrases`` with the texts in ``overrides`` replaced (recursively for groups)."""
    assert is_dataclass(phrases) and not isinstance(phrases, type)
    known = {f.name: getattr(phrases, f.name) for f in fields(phrases)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in known:
            raise Invalid(f"unknown phrase {path!r}", field=path)
        current = known[key]
        if is_dataclass(current):
            if not isinstance(value, Mapping):
                raise Invalid(f"{path} must be a mapping of phrases", field=path)
            changes[key] = with_overrides(current, value, path)
        elif isinstance(value, str) and isinstance(current, str):
            changes[key] = value
        else:
            raise Invalid(f"{path} must be text", field=path)
    return replace(phrases, **changes)
