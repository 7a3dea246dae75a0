"""A simulator where every recording id exists, for ``bench/callin.py``.

The bench's callers make up their recordings (``RE`` + the call's id) instead of speaking
at a ``<Record>``, and Hotline downloads every recording it links to: a real carrier has
them, so here each one is five seconds of silence, made on first use. Without this, each
download would get a 404 and be retried in the background, load that no real call causes.

Run as a script, it is ``hotline simulator`` (same arguments) with such recordings: the
bench's simulator in its own process. :func:`keep_every_recording` does the same to a
simulator mounted in the server.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from hotline.simulator.audio import silence

SILENCE_SECONDS = 5
SILENCE = silence(SILENCE_SECONDS)


class EveryRecording(dict[str, Any]):
    """A simulator's recordings, where any ``RE...`` id exists (see the module docstring)."""

    def __init__(self, account_sid: str, existing: dict[str, Any]) -> None:
        super().__init__(existing)
        self.account_sid = account_sid

    def get(self, sid: str, default: Any = None) -> Any:
        if not dict.__contains__(self, sid) and sid.startswith("RE"):
            from hotline.simulator.records import Recording

            self[sid] = Recording(
                self.account_sid, "CA" + sid[2:], SILENCE, SILENCE_SECONDS, sid=sid
            )
        return super().get(sid, default)

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self.get(sid) is not None


def keep_every_recording(engine: Any, account_sid: str) -> None:
    """Make every recording id exist in a simulator engine's registry."""
    engine.recordings = EveryRecording(account_sid, engine.recordings)


def main() -> None:
    from hotline.cli import main as hotline
    from hotline.simulator.engine import Engine

    account_sid = os.environ["TWILIO_ACCOUNT_SID"]
    made = Engine.__init__

    def init(self: Engine, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        keep_every_recording(self, account_sid)

    Engine.__init__ = init  # type: ignore[method-assign]
    sys.argv = ["hotline", "simulator", *sys.argv[1:]]
    hotline()


if __name__ == "__main__":
    main()
