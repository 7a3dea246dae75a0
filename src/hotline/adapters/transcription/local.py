"""Offline speech-to-text: the :class:`hotline.ports.Transcriber` port over PocketSphinx.

PocketSphinx (``pip install 'hotline[transcription]'``) ships its US-English acoustic model,
language model and dictionary, so nothing is downloaded at run time. Its accuracy is modest:
good enough to attach a searchable gist of a recorded message, not a verbatim record.
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
import wave
from array import array
from typing import Any

from hotline.ports import TranscriptionError

SAMPLE_RATE = 16_000
"""What the bundled acoustic model was trained on: 16 kHz, mono, 16-bit."""
MAX_SECONDS = 600
"""Longer recordings are refused: decoding is CPU-bound and roughly real-time / 3."""
INSTALL_HINT = "install the transcription extra: pip install 'hotline[transcription]'"


class PocketSphinxTranscriber:
    """Implements :class:`hotline.ports.Transcriber` with a local PocketSphinx decoder.

    Takes a PCM WAV of any sample rate (8-bit, 16-bit, 24-bit or 32-bit samples, any number
    of channels), mixes it to mono and resamples it linearly to 16 kHz, then decodes it in a
    worker thread so the event loop never waits on it. Recordings without 0.3 s of loud
    speech give "" without decoding. At most ``concurrency`` transcriptions run at once.

    Errors (:class:`TranscriptionError`) are permanent, because the same bytes would fail
    again: pocketsphinx not installed or its model unusable, a WAV that cannot be read or is
    not PCM, a recording longer than ``max_seconds``, a decoder failure. The one exception is
    running out of memory, which is retryable.

    Accuracy: the bundled model is 16 kHz wideband. Clear 16 kHz speech comes out close to
    right, but 8 kHz telephone audio (what Twilio records) comes out mostly wrong.
    """

    def __init__(self, max_seconds: int = MAX_SECONDS, concurrency: int = 1) -> None:
        if max_seconds <= 0 or concurrency <= 0:
            raise ValueError("max_seconds and concurrency must be positive")
        self._max_seconds = max_seconds
        # Taken by the worker thread for the whole decode: a cancelled caller leaves its
        # thread running, and that thread must still count against the limit.
        self._slots = threading.BoundedSemaphore(concurrency)

    async def transcribe(self, wav: bytes) -> str:
        return await asyncio.to_thread(self._transcribe, wav)

    def _transcribe(self, wav: bytes) -> str:
        samples = _read_wav(wav, self._max_seconds)
        with self._slots:
            pocketsphinx = _import()
            if not _has_speech(pocketsphinx, samples):
                return ""
            # A fresh decoder each time (about 0.4 s): a reused one carries its noise and
            # loudness estimates over, so the same recording could be heard differently.
            decoder = _decoder(pocketsphinx)
            try:
                # The first pass only tunes the decoder's running loudness (cepstral mean)
                # estimate to this recording; the second one is heard with it.
                _run(decoder, samples[:_WARM_UP_BYTES])
                hypothesis = _run(decoder, samples)
            except MemoryError:
                raise TranscriptionError("out of memory while decoding", retryable=True) from None
            except RuntimeError as error:
                raise TranscriptionError(f"decoding failed: {error}", retryable=False) from None
        if hypothesis is None:
            return ""
        return " ".join(str(hypothesis.hypstr).lower().split())


_CHUNK_BYTES = 640  # 20 ms at 16 kHz
_WARM_UP_BYTES = 2 * SAMPLE_RATE * 10
_SPEECH_FRAMES = 10  # 0.3 s of 30 ms frames: less than that is silence, clicks or hiss
_SPEECH_RMS = 100  # about -50 dBFS; PocketSphinx invents words in digital silence


def _run(decoder: Any, samples: bytes) -> Any:
    decoder.start_utt()
    # Small pieces: the decoder holds the GIL while it works, and the event loop needs it
    # back every few milliseconds.
    for start in range(0, len(samples), _CHUNK_BYTES):
        decoder.process_raw(samples[start : start + _CHUNK_BYTES], full_utt=False)
    decoder.end_utt()
    return decoder.hyp()


def _import() -> Any:
    try:
        import pocketsphinx
    except ImportError:
        raise TranscriptionError(
            f"pocketsphinx is not installed: {INSTALL_HINT}", retryable=False
        ) from None
    return pocketsphinx


def _decoder(pocketsphinx: Any) -> Any:
    try:
        return pocketsphinx.Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
    except (RuntimeError, OSError, ValueError) as error:
        raise TranscriptionError(
            f"pocketsphinx could not load its model ({error}); {INSTALL_HINT}", retryable=False
        ) from None


def _has_speech(pocketsphinx: Any, samples: bytes) -> bool:
    """Enough loud 30 ms frames that the voice activity detector calls speech."""
    vad = pocketsphinx.Vad(mode=3, sample_rate=SAMPLE_RATE, frame_length=0.03)
    size = vad.frame_bytes
    found = 0
    for start in range(0, len(samples) - size + 1, size):
        frame = samples[start : start + size]
        values = array("h", frame)
        if sum(v * v for v in values) >= _SPEECH_RMS**2 * len(values) and vad.is_speech(frame):
            found += 1
            if found >= _SPEECH_FRAMES:
                return True
    return False


def _read_wav(data: bytes, max_seconds: int) -> bytes:
    """16 kHz mono signed 16-bit native-order samples from a PCM WAV file."""
    try:
        with wave.open(io.BytesIO(_plain_pcm_header(data)), "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            if channels < 1 or rate < 1 or width not in (1, 2, 3, 4):
                raise TranscriptionError(
                    f"unsupported WAV: {channels} channels, {rate} Hz, {width}-byte samples",
                    retryable=False,
                )
            # The header's frame count is not trusted (streamed WAVs carry a placeholder):
            # read no more than the limit allows and look at what actually came.
            frames = reader.readframes(max_seconds * rate + 1)
    except (wave.Error, EOFError, ValueError) as error:
        raise TranscriptionError(f"not a readable PCM WAV file: {error}", retryable=False) from None
    count = len(frames) // (width * channels)
    if count > max_seconds * rate:
        raise _too_long(count / rate, max_seconds)
    samples = _to_int16(frames[: count * width * channels], width)
    samples = _mix_down(samples, channels)
    return _resample(samples, rate, SAMPLE_RATE).tobytes()  # native order, as PocketSphinx reads


def _plain_pcm_header(data: bytes) -> bytes:
    """``data`` with a WAVE_FORMAT_EXTENSIBLE PCM header relabelled as plain PCM.

    ``wave`` before Python 3.12 reads only format 1; sox and many recorders write the
    extensible form (0xFFFE) for PCM too. Anything else is left for ``wave`` to refuse.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    offset = 12
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if data[offset : offset + 4] == b"fmt ":
            body = offset + 8
            extensible = data[body : body + 2] == b"\xfe\xff" and size >= 40
            if extensible and data[body + 24 : body + 26] == b"\x01\x00":  # PCM sub-format
                return data[:body] + b"\x01\x00" + data[body + 2 :]
            return data
        offset += 8 + size + (size & 1)
    return data


def _too_long(seconds: float, max_seconds: int) -> TranscriptionError:
    return TranscriptionError(
        f"recording is {seconds:.0f} s long; at most {max_seconds} s can be transcribed",
        retryable=False,
    )


def _to_int16(frames: bytes, width: int) -> array[int]:
    """Little-endian PCM of any width as native signed 16-bit samples (the top 16 bits)."""
    wide = bytearray(frames) if width == 2 else bytearray(len(frames) // width * 2)
    if width != 2:
        if width == 1:  # unsigned 8-bit: flipping the top bit makes it signed
            wide[1::2] = frames.translate(bytes((b ^ 0x80) for b in range(256)))
        else:  # 24/32-bit little-endian: keep the two most significant bytes
            wide[0::2] = frames[width - 2 :: width]
            wide[1::2] = frames[width - 1 :: width]
    samples = array("h")
    samples.frombytes(wide)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _mix_down(samples: array[int], channels: int) -> array[int]:
    if channels == 1:
        return samples
    lanes = [samples[c::channels] for c in range(channels)]
    return array("h", (sum(frame) // channels for frame in zip(*lanes, strict=True)))


def _resample(samples: array[int], rate: int, target: int) -> array[int]:
    """Linear interpolation; going down, a moving average first keeps most aliasing out."""
    if rate == target or not samples:
        return samples
    source: array[int] | list[float] = samples
    if rate > target:
        width = -(-rate // target)  # ceil: the box filter spans one output period
        if width > 1:
            source = _box_filter(samples, width)
    step = rate / target
    last = len(source) - 1
    out_len = int(len(source) * target / rate)
    out = array("h", bytes(2 * out_len))
    for i in range(out_len):
        position = i * step
        j = int(position)
        if j >= last:
            value = float(source[last])
        else:
            left = source[j]
            value = left + (source[j + 1] - left) * (position - j)
        out[i] = max(-32768, min(32767, round(value)))
    return out


def _box_filter(samples: array[int], width: int) -> list[float]:
    out: list[float] = []
    total = 0
    for i, value in enumerate(samples):
        total += value
        if i >= width:
            total -= samples[i - width]
        out.append(total / min(i + 1, width))
    return out
