"""The call-in hotline: ``/voice/incoming`` and one callback URL per conversation step.

The state stays server-side, keyed by CallSid; URLs name only the step. Every reply is
rendered from the prompts the service returns after committing.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from hotline.domain import hotline_menu as hm
from hotline.domain import voice as v
from hotline.services.hotline_calls import HotlineCalls, Reply
from hotline.web.voice.security import require_twilio_signature
from hotline.web.voice.twiml import twiml, url_for

router = APIRouter(
    prefix="/voice", dependencies=[Depends(require_twilio_signature)], include_in_schema=False
)

BASE = "/voice/hotline"
UNAVAILABLE = "Sorry, that is not available on this line. Goodbye."
KEY_STEPS = {hm.Step.NUMBER, hm.Step.PIN, hm.Step.MENU, hm.Step.GROUP, hm.Step.SEVERITY}
KEY_STEPS |= {hm.Step.CONFIRM, hm.Step.BRIDGE_CODE}


def _calls(request: Request) -> HotlineCalls:
    calls: HotlineCalls = request.app.state.container.hotline_calls
    return calls


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(val) for k, val in form.items()}


def _url(request: Request, step: hm.Step | str) -> str:
    return url_for(request, f"{BASE}/{step}")


def render(request: Request, reply: Reply) -> Response:
    out: list[v.Prompt] = []
    for prompt in reply.prompts:
        match prompt:
            case hm.Ask():
                out.append(
                    v.Gather(
                        action=_url(request, prompt.step),
                        prompts=(v.Say(prompt.text),),
                        num_digits=prompt.digits,
                        timeout=prompt.timeout,
                        finish_on_key=prompt.finish_on_key,
                        action_on_empty_result=True,
                    )
                )
            case hm.Listen():
                out.append(
                    v.Record(
                        action=_url(request, prompt.step),
                        max_length=prompt.max_seconds,
                        play_beep=prompt.beep,
                        transcribe_callback=_url(request, "transcript")
                        if _calls(request).config.carrier_transcription
                        else None,
                    )
                )
                # No audio at all: the carrier continues here; treated as too short.
                out.append(v.Redirect(_url(request, prompt.step)))
            case hm.GoTo():
                if reply.wait_phrase:
                    out += [v.Say(reply.wait_phrase), v.Pause(2)]
                out.append(v.Redirect(_url(request, prompt.step)))
            case v.Say() | v.Hangup():
                out.append(prompt)
    return twiml(request, out)


@router.post("/incoming")
async def incoming(request: Request) -> Response:
    """The URL a phone number's "a call comes in" points at."""
    form = await _form(request)
    reply = await _calls(request).incoming(
        form.get("CallSid", ""), form.get("From", ""), form.get("StirVerstat")
    )
    return render(request, reply)


@router.post("/hotline/transcript")
async def transcript(request: Request) -> Response:
    form = await _form(request)
    ok = form.get("TranscriptionStatus") == "completed"
    recording = form.get("RecordingSid") or form.get("RecordingUrl", "")
    text = form.get("TranscriptionText", "")
    await _calls(request).transcript(form.get("CallSid", ""), text, ok, recording)
    return Response(status_code=204)


@router.post("/hotline/{step}")
async def step(step: str, request: Request) -> Response:
    form = await _form(request)
    call_sid = form.get("CallSid", "")
    calls = _calls(request)
    try:
        where = hm.Step(step)
    except ValueError:
        return Response(status_code=404)
    digits = form.get("Digits", "")
    if digits == "hangup" or form.get("CallStatus") == "completed":
        return render(request, await calls.event(call_sid, hm.HungUp()))
    if where in (hm.Step.LIVE_CALL, hm.Step.BRIDGE):
        # Served by their own routers, mounted ahead of this one; never loop here.
        return render(request, Reply((v.Say(UNAVAILABLE), v.Hangup())))
    if where is hm.Step.WAIT:
        return render(request, await calls.wait(call_sid))
    if where is hm.Step.RECORDING:
        url = form.get("RecordingUrl", "")
        seconds = float(form.get("RecordingDuration") or 0) if url else 0.0
        event: hm.Event = hm.Recorded(url, seconds, digits or None)
        return render(request, await calls.event(call_sid, event))
    if where in KEY_STEPS:
        keys = digits.removesuffix("#")
        return render(request, await calls.event(call_sid, hm.Keys(keys)))
    return render(request, await calls.event(call_sid, hm.Timeout()))
