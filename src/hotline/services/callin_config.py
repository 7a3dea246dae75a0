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
    require_stir_shaken: bool = False  # only calls with STIR/SHAKEN attestation A or B pass
    rate_limit: int = 10  # calls per caller per rate_window; 0 turns the limit off
    rate_window: timedelta = timedelta(minutes=10)
    actions: tuple[Action, ...] = (Action.ALERT, Action.INCIDENT)
    groups: tuple[str, ...] = ()
    default_severity: int | None = None
    max_recording: int = 90
    menu_timeout: int = 8  # seconds a prompt waits for a key
    transcript_wait: timedelta = timedelta(seconds=45)
    wait_mode: str = "static"  # joke | phrase | static (hotline.services.wait_phrases)
    wait_phrases: tuple[str, ...] = ("Still working on your message. Thank you for holding.",)
    email_enabled: bool = False
    carrier_transcription: bool = True  # False: Hotline transcribes kept recordings itself
    phrases: Phrases = field(default_factory=Phrases)
