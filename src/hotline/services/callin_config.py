"""The call-in hotline's configuration, as the services see it (built from Settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from hotline.domain.hotline_config import Action, Phrases


@dataclass(frozen=True)
class HotlineConfig:
    region: str = "US"
    callers: str = "directory"  # everyone | directory | groups
    caller_groups: tuple[str, ...] = ()
    require_pin: bool = False
    withheld: str = "refuse"  # refuse | ask
    actions: tuple[Action, ...] = (Action.ALERT, Action.INCIDENT)
    groups: tuple[str, ...] = ()
    default_severity: int | None = None
    max_recording: int = 90
    transcript_wait: timedelta = timedelta(seconds=45)
    wait_mode: str = "static"  # joke | phrase | static (hotline.services.wait_phrases)
    wait_phrases: tuple[str, ...] = ("Still working on your message. Thank you for holding.",)
    email_enabled: bool = False
    phrases: Phrases = field(default_factory=Phrases)
