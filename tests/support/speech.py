"""Real synthetic speech for transcription tests: espeak-ng speaks, sox converts.

Needs the ``espeak-ng`` and ``sox`` programs (apt-get install espeak-ng sox); a missing tool
fails the test, it is never skipped.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

# PocketSphinx's US-English model hears this voice best of the espeak-ng ones we tried.
VOICE = ("-v", "en-us+f2", "-s", "120")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is required for this test: apt-get install -y espeak-ng sox")
    return path


def speak(text: str) -> bytes:
    """A 22,050 Hz mono 16-bit WAV of ``text``."""
    return subprocess.run(
        [tool("espeak-ng"), *VOICE, "--stdout", text], capture_output=True, check=True
    ).stdout


def telephone(wav: bytes) -> bytes:
    """``wav`` as a telephone recording: 8 kHz, mono, 16-bit PCM (what the simulator's
    recordings and Twilio's are)."""
    return subprocess.run(
        [
            tool("sox"),
            "-t",
            "wav",
            "-",
            "-t",
            "wav",
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-",
        ],
        input=wav,
        capture_output=True,
        check=True,
    ).stdout
