"""The call log: a timestamped record of everything that happened on a call and its legs.

One ``CallLog`` serves a whole call tree (a call and the child legs its ``<Dial>`` made).
Entries are plain dicts, JSON-ready: ``at`` (wall clock, ISO 8601 UTC), ``t`` (simulated
seconds since the root call was created), ``leg`` (the CallSid the entry is about),
``kind`` and kind-specific fields. Kinds: ``leg`` (a leg was created), ``status``,
``webhook`` (a request and its response), ``say``, ``play``, ``pause``, ``beep``,
``prompt``, ``digits``, ``timeout``, ``record``, ``transcription``, ``dial``, ``bridge``,
``conference``, ``queue``, ``error``, ``warning``, ``hangup``.
"""

from __future__ import annotations

from typing import Any

from hotline.simulator.formats import utcnow


class CallLog:
    """Append-only entries of one call tree."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []

    def add(self, leg: str, kind: str, t: float, **fields: Any) -> dict[str, Any]:
        """Record an event of ``leg`` at simulated time ``t`` of the call tree."""
        entry = {
            "at": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "t": round(t, 3),
            "leg": leg,
            "kind": kind,
            **fields,
        }
        self._entries.append(entry)
        return entry

    def entries(self, leg: str | None = None) -> list[dict[str, Any]]:
        """Copies of the entries, all of them or those about one leg."""
        return [dict(e) for e in self._entries if leg is None or e["leg"] == leg]
