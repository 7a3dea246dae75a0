"""Virtual phone scripts: how a number behaves when called, or how a caller behaves.

A ``PhoneScript`` is plain data, loadable from a YAML or JSON file::

    mode: answer            # answer | no-answer | busy | fail | machine | interactive
    answer_after: 3         # seconds of ringing before answering
    digits: ["1", null, "12#"]   # one entry per Gather/Record prompt; null = silent
    think_time: 1           # seconds after a prompt before pressing
    hangup_after: 60        # seconds from answer; omitted = never hangs up by itself
    hangup_at_prompt: 3     # 1-based prompt at which the phone hangs up
    recording: message.wav  # what it says at a <Record> (path, relative to the file)
    recording_duration: 8   # seconds; defaults to the WAV's own length
    transcript: "Database is down"   # what the default transcriber returns

``machine`` answers like ``answer`` but is an answering machine: AnsweredBy is
``machine_start`` when detection was requested, and it never presses or records.
``interactive`` does nothing by itself: its actions come at run time from the Python API
or the test API (answer, press, hang up, upload a recording).
All times are simulated seconds (multiplied by the simulator's ``time_scale``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from hotline.simulator.audio import silence, wav_duration

Mode = Literal["answer", "no-answer", "busy", "fail", "machine", "interactive"]
MODES: tuple[str, ...] = get_args(Mode)
KEYS = re.compile(r"[0-9A-D#*]*")


@dataclass(frozen=True)
class PhoneScript:
    """The behaviour of one virtual phone (see the module docstring)."""

    mode: Mode = "answer"
    answer_after: float = 2.0
    digits: Sequence[str | None] = ()
    think_time: float = 1.0
    hangup_after: float | None = None
    hangup_at_prompt: int | None = None
    recording: bytes | Path | None = field(default=None, repr=False)
    recording_duration: float | None = None
    transcript: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        object.__setattr__(self, "digits", tuple(self.digits))
        if isinstance(self.recording, str):
            object.__setattr__(self, "recording", Path(self.recording))
        for name in ("answer_after", "think_time", "hangup_after", "recording_duration"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int | float) or value < 0):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")
        if self.hangup_at_prompt is not None and (
            not isinstance(self.hangup_at_prompt, int) or self.hangup_at_prompt < 1
        ):
            raise ValueError(f"hangup_at_prompt is 1-based, not {self.hangup_at_prompt!r}")
        for entry in self.digits:
            if entry is not None and (not isinstance(entry, str) or not KEYS.fullmatch(entry)):
                raise ValueError(f"digits entries are keys 0-9 A-D # * or null, not {entry!r}")

    def keys_at(self, prompt: int) -> str | None:
        """What the phone presses at the 0-based ``prompt``; None = stays silent."""
        if self.mode == "machine" or prompt >= len(self.digits):
            return None
        return self.digits[prompt] or None

    def hangs_up_at(self, prompt: int) -> bool:
        """Whether the phone hangs up at the 0-based ``prompt``."""
        return self.hangup_at_prompt == prompt + 1

    def audio(self) -> tuple[bytes, float] | None:
        """What the phone says at a ``<Record>``: WAV bytes and their simulated duration."""
        if self.mode == "machine":
            return None
        data = self.recording.read_bytes() if isinstance(self.recording, Path) else None
        data = self.recording if isinstance(self.recording, bytes) else data
        if data is None:
            if not self.recording_duration:
                return None
            return silence(self.recording_duration), self.recording_duration
        duration = self.recording_duration
        return data, wav_duration(data) if duration is None else duration

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base_dir: Path | None = None) -> PhoneScript:
        """A script from parsed YAML/JSON; ``ValueError`` names the bad key.

        ``recording`` is a path (relative to ``base_dir``); ``recording_base64`` carries
        the WAV bytes inline (what ``to_mapping`` emits).
        """
        if not isinstance(data, Mapping):
            raise ValueError("a phone script is a mapping of settings")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "recording_base64":
                try:
                    values["recording"] = base64.b64decode(str(value), validate=True)
                except binascii.Error:
                    raise ValueError("recording_base64 is not valid base64") from None
            elif key == "recording" and value is not None:
                path = Path(str(value))
                values[key] = path if base_dir is None or path.is_absolute() else base_dir / path
            elif key == "digits":
                if not isinstance(value, list | tuple):
                    raise ValueError("digits must be a list of strings or nulls")
                values[key] = tuple(None if v is None else str(v) for v in value)
            elif key in known:
                values[key] = value
            else:
                raise ValueError(f"unknown phone script setting {key!r}")
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path) -> PhoneScript:
        """A script from a YAML or JSON file (JSON is YAML, so one reader does both)."""
        path = Path(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.from_mapping(data, base_dir=path.parent)

    def to_mapping(self) -> dict[str, Any]:
        """JSON-ready settings; a recording is embedded as ``recording_base64``."""
        result: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "recording":
                if value is not None:
                    data = value.read_bytes() if isinstance(value, Path) else value
                    result["recording_base64"] = base64.b64encode(data).decode()
            elif value != f.default:
                result[f.name] = list(value) if f.name == "digits" else value
        return result
