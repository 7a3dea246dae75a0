"""``<Gather>`` and ``<Record>``: the verbs that listen to the phone (spec §1.4, §1.5, §2.2).

Gather: nested Say/Play/Pause run first (a key pressed during them stops them); then
keys are collected until ``finishOnKey``, ``numDigits`` or ``timeout`` seconds without a
key. Input → the ``action`` (default: the current document URL) with ``Digits`` and
``FinishedOnKey``. No input (or only the finish key) → fall through to the next verb,
unless ``actionOnEmptyResult``.

Record: a beep, then the phone speaks; the recording ends on a ``finishOnKey`` key,
``timeout`` seconds of silence, ``maxLength`` or a hang-up. The ``action`` (default: the
current document URL) gets ``RecordingUrl``, ``RecordingSid``, ``RecordingDuration`` and
``Digits`` (the key, or ``hangup`` with ``CallStatus=completed``). An empty recording
falls through to the next verb without an action (unless the simulator keeps empty
recordings).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.simulator import recordings
from hotline.simulator.audio import join, silence
from hotline.simulator.documents import AppError, Document
from hotline.simulator.formats import whole_seconds
from hotline.simulator.line import HungUp, Keys, Line, Speech
from hotline.simulator.records import Call, Recording
from hotline.simulator.speech import beep
from hotline.simulator.twiml import Node

if TYPE_CHECKING:
    from hotline.simulator.interpreter import Run

RECORD_FINISH_KEYS = "1234567890*#"


def _begin(call: Call, kind: str) -> int:
    index = call.prompts
    call.prompts += 1
    call.listening = kind
    call.line.listen(index)
    call.note("prompt", prompt=kind, index=index)
    return index


def _end(call: Call) -> None:
    call.line.stop_listening()
    call.listening = None
    call.heard.clear()


async def _collect(
    line: Line, silence_limit: int, finish: str, limit: int | None
) -> tuple[str, str]:
    """Keys until the finish key, the limit or a silence; ``(digits, finished_on_key)``."""
    digits = ""
    while True:
        item = await line.read(silence_limit)
        if item is None:
            return digits, ""
        if isinstance(item, Speech):
            continue
        if not isinstance(item, Keys):
            line.hang_up("caller")
            line.check()
            continue
        for key in item.keys:
            if finish and key == finish:
                return digits, key
            digits += key
            if limit is not None and len(digits) >= limit:
                return digits, ""


async def gather(run: Run, verb: Node) -> Document | None:
    call = run.call
    action = run.resolve(verb.get("action") or run.own_url("Gather"))
    finish = verb.get("finishOnKey", "#") or ""
    limit = verb.integer("numDigits", 0) or None
    timeout = verb.integer("timeout", 5)
    index = _begin(call, "gather")
    try:
        for child in verb.children:
            if await run.perform(child, barge_in=True):
                break
        call.phone.prompted(call.line, "gather", index)
        if "dtmf" in (verb.get("input") or "dtmf"):
            digits, finished_on = await _collect(call.line, timeout, finish, limit)
        else:  # speech only: virtual phones do not speak to <Gather>
            await call.line.pause(timeout)
            digits, finished_on = "", ""
    finally:
        _end(call)
    if digits:
        call.note("digits", digits=digits, finished_on_key=finished_on)
    else:
        call.note("timeout", prompt="gather", finished_on_key=finished_on)
        if not verb.flag("actionOnEmptyResult", False):
            return None
    params = {"Digits": digits, "FinishedOnKey": finished_on}
    return await run.load(action, verb.method(), params, purpose="gather-action")


@dataclass
class Take:
    """What a ``<Record>`` heard so far."""

    audio: list[bytes] = field(default_factory=list)
    spoken: float = 0.0
    key: str = ""
    hung_up: bool = False


async def _listen(line: Line, take: Take, silence_limit: int, finish: str, max_length: int) -> None:
    """Fill ``take`` until a finish key, ``silence_limit`` seconds of silence (0: no
    limit) or ``max_length``."""
    started = line.now()
    while (remaining := max_length - (line.now() - started)) > 0:
        item = await line.read(remaining if silence_limit == 0 else min(silence_limit, remaining))
        if item is None:
            return
        if isinstance(item, Speech):
            take.audio.append(item.wav)
            length, before = min(item.duration, remaining), line.now()
            try:
                await line.pause(length)
            finally:
                take.spoken += min(length, line.now() - before)
        elif isinstance(item, Keys):
            take.key = next((k for k in item.keys if k in finish), "")
            if take.key:
                return
        else:
            line.hang_up("caller")
            line.check()


async def record(run: Run, verb: Node) -> Document | None:
    call, engine = run.call, run.engine
    action = run.resolve(verb.get("action") or run.own_url("Record"))
    transcribe = verb.flag("transcribe", False)
    max_length = verb.integer("maxLength", 120 if transcribe else 3600)
    finish = verb.get("finishOnKey", RECORD_FINISH_KEYS) or ""
    status_url = verb.get("recordingStatusCallback")
    status_url = run.resolve(status_url) if status_url else None
    status_method = verb.method("recordingStatusCallbackMethod")
    events = set((verb.get("recordingStatusCallbackEvent") or "completed").split())
    transcribe_url = verb.get("transcribeCallback")
    transcribe_url = run.resolve(transcribe_url) if transcribe_url else None
    index = _begin(call, "record")
    take, recording = Take(), Recording(engine.account_sid, call.sid, b"", 0)
    try:
        if verb.flag("playBeep", True):
            await beep(call)
        if status_url and "in-progress" in events:
            recordings.status_callback(
                engine, call, status_url, status_method, recording, "in-progress"
            )
        call.phone.prompted(call.line, "record", index)
        await _listen(call.line, take, verb.integer("timeout", 5), finish, max_length)
    except HungUp:
        take.hung_up = True
    finally:
        _end(call)
    if not take.audio and not engine.keep_empty_recordings:
        call.note("timeout", prompt="record", empty=True)
        if status_url and "absent" in events:
            recordings.status_callback(engine, call, status_url, status_method, recording, "absent")
        call.line.check()
        return None
    recording.wav = join(take.audio) if take.audio else silence(0)
    recording.duration = whole_seconds(take.spoken)
    recordings.store(engine, call, recording)
    if status_url and "completed" in events:
        recordings.status_callback(engine, call, status_url, status_method, recording, "completed")
    if transcribe:
        engine.spawn(recordings.transcribe(engine, call, recording, transcribe_url), call)
    params = {
        "Digits": "hangup" if take.hung_up else take.key,
        "RecordingDuration": str(recording.duration),
        "RecordingSid": recording.sid,
        "RecordingUrl": recordings.media_url(engine, recording.sid),
    }
    if take.hung_up:  # the action is still requested; its TwiML is ignored
        params["CallStatus"] = "completed"
        with contextlib.suppress(AppError):
            await run.load(action, verb.method(), params, purpose="record-action")
        raise HungUp(call.line.hangup_reason or "caller")
    return await run.load(action, verb.method(), params, purpose="record-action")
