"""Domain errors. The web and CLI shells translate each kind into one HTTP status / exit code."""

from __future__ import annotations


class DomainError(Exception):
    """Base class; ``str(error)`` is safe to show to a user (it never holds a secret)."""


class NotFound(DomainError):
    """A referenced entity does not exist (HTTP 404)."""


class Conflict(DomainError):
    """The change contradicts stored state, e.g. a duplicate name or a nesting cycle (HTTP 409)."""


class Invalid(DomainError):
    """The input itself is malformed or out of range (HTTP 422)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CycleError(Conflict):
    """Saving a group would make it contain itself through nested groups."""

    def __init__(self, path: list[str]) -> None:
        super().__init__("group nesting cycle: " + " -> ".join(path))
        self.path = path


class ConcurrentChange(Conflict):
    """Someone else saved the same record first; reload and try again."""
