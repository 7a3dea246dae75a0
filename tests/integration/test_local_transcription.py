"""PocketSphinx on real synthetic speech: espeak-ng speaks, the adapter transcribes.

Needs the ``espeak-ng`` and ``sox`` programs (apt-get install espeak-ng sox) and the
``pocketsphinx`` package (the ``transcription`` extra). Missing tools fail the test; they are
never skipped.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import wave

import pytest

from hotline.adapters.transcription.local import PocketSphinxTranscriber
from hotline.ports import TranscriptionError

SENTENCE = "the database server is down"
KEY_WORDS = ("database", "server", "down")
# PocketSphinx's US-English model recognises this espeak-ng voice well at 16 kHz and above.
VOICE = ("-v", "en-us+f2", "-s", "130")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is required for this test: apt-get install -y espeak-ng sox")
    return path


def speak(text: str) -> bytes:
    """A 22,050 Hz mono 16-bit WAV of ``text``."""
    return subprocess.run(
        [_tool("espeak-ng"), *VOICE, "--stdout", text], capture_output=True, check=True
    ).stdout


def convert(wav: bytes, *sox_output_options: str) -> bytes:
    return subprocess.run(
        [_tool("sox"), "-t", "wav", "-", "-t", "wav", *sox_output_options, "-"],
        input=wav,
        capture_output=True,
        check=True,
    ).stdout


def make_wav(frames: bytes, rate: int = 16_000, channels: int = 1, width: int = 2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


@pytest.fixture(scope="module")
def transcriber() -> PocketSphinxTranscriber:
    return PocketSphinxTranscriber()


def _key_words(text: str) -> set[str]:
    return {word for word in KEY_WORDS if word in text.split()}


async def test_speech_is_transcribed(transcriber: PocketSphinxTranscriber) -> None:
    text = await transcriber.transcribe(speak(SENTENCE))
    assert len(_key_words(text)) >= 2, text
    assert text == text.lower()


async def test_the_same_recording_gives_the_same_text(
    transcriber: PocketSphinxTranscriber,
) -> None:
    wav = speak(SENTENCE)
    assert len({await transcriber.transcribe(wav) for _ in range(3)}) == 1


async def test_16khz_and_24bit_input(transcriber: PocketSphinxTranscriber) -> None:
    wav = speak(SENTENCE)
    for options in (("-r", "16000"), ("-b", "24"), ("-r", "44100", "-c", "2")):
        text = await transcriber.transcribe(convert(wav, *options))
        assert len(_key_words(text)) >= 2, (options, text)


async def test_8khz_stereo_input_works(transcriber: PocketSphinxTranscriber) -> None:
    # Telephone bandwidth: the 16 kHz model hears much less of it, so only ask for words.
    wav = convert(speak(SENTENCE), "-r", "8000", "-c", "2")
    with wave.open(io.BytesIO(wav)) as reader:
        assert (reader.getframerate(), reader.getnchannels()) == (8000, 2)
    text = await transcriber.transcribe(wav)
    assert text
    assert text == text.lower()
    assert text == " ".join(text.split())


async def test_silence_is_empty(transcriber: PocketSphinxTranscriber) -> None:
    assert await transcriber.transcribe(make_wav(bytes(2 * 16_000 * 3))) == ""
    assert await transcriber.transcribe(make_wav(b"", rate=8000)) == ""


@pytest.mark.parametrize(
    "data",
    [b"", b"not a wav at all", b"RIFF\x10\x00\x00\x00WAVEfmt ", speak("hello")[:30]],
    ids=["empty", "text", "truncated-header", "cut-after-header"],
)
async def test_corrupt_wav_is_a_permanent_error(
    transcriber: PocketSphinxTranscriber, data: bytes
) -> None:
    with pytest.raises(TranscriptionError) as caught:
        await transcriber.transcribe(data)
    assert caught.value.retryable is False


async def test_too_long_is_a_permanent_error() -> None:
    short_limit = PocketSphinxTranscriber(max_seconds=2)
    with pytest.raises(TranscriptionError, match="at most 2 s") as caught:
        await short_limit.transcribe(make_wav(bytes(2 * 8000 * 3), rate=8000))
    assert caught.value.retryable is False
    assert await short_limit.transcribe(make_wav(bytes(2 * 8000 * 2), rate=8000)) == ""


async def test_ten_minutes_is_the_default_limit(transcriber: PocketSphinxTranscriber) -> None:
    eleven_minutes = make_wav(bytes(660 * 8000), rate=8000, width=1)
    started = time.perf_counter()
    with pytest.raises(TranscriptionError, match="at most 600 s") as caught:
        await transcriber.transcribe(eleven_minutes)
    assert caught.value.retryable is False
    assert time.perf_counter() - started < 5  # refused before any decoding


async def test_event_loop_keeps_running_while_decoding(
    transcriber: PocketSphinxTranscriber,
) -> None:
    import asyncio

    wav = speak(SENTENCE + ". " + SENTENCE)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await transcriber.transcribe(wav)
    finally:
        task.cancel()
    assert ticks >= 5
