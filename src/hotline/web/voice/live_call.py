"""Live call webhooks: the caller's hold loop and the on-call people's calls.

The caller (``/voice/hotline/live-call``) waits in a carrier queue named after the hunt;
the queue's wait URL is the hold loop, which reads the hunt each turn ("now calling NAME",
hold audio, or leave when nobody was reached). A callee who presses a key takes the
caller off hold with ``<Dial><Queue>``. URLs carry only the hunt's opaque token. The hold
audio is ``HOTLINE_HOLD_AUDIO_URL``, by default Hotline's own ``/voice/hold.wav``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from hotline.domain import voice as v
from hotline.domain.hotline_config import Action
from hotline.services.hotline_calls import HotlineCalls, Reply
from hotline.services.live_call_legs import BASE, LiveCallLegs
from hotline.services.live_call_views import CalleeStep, CalleeView, CallerStep, CallerView
from hotline.services.live_calls import LiveCalls
from hotline.web.voice.hotline import render
from hotline.web.voice.security import require_twilio_signature
from hotline.web.voice.twiml import twiml, url_for

CALLER = "/voice/hotline/live-call"
HOLD_AUDIO = "/voice/hold.wav"  # served by hotline.web.voice.hold

router = APIRouter(dependencies=[Depends(require_twilio_signature)], include_in_schema=False)


def _calls(request: Request) -> LiveCalls:
    calls: LiveCalls = request.app.state.container.live_calls
    return calls


def _legs(request: Request) -> LiveCallLegs:
    legs: LiveCallLegs = request.app.state.container.live_call_legs
    return legs


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(val) for k, val in form.items()}


def _hold_audio(request: Request) -> str:
    configured: str = request.app.state.container.settings.hold_audio_url
    return configured or url_for(request, HOLD_AUDIO)


async def _caller(request: Request, view: CallerView, call_sid: str) -> Response:
    said = [v.Say(text) for text in view.said]
    match view.step:
        case CallerStep.HOLD:
            queue = v.Enqueue(
                view.queue,
                action=url_for(request, CALLER + "/left"),
                wait_url=url_for(request, CALLER + "/hold"),
            )
            return twiml(request, [*said, queue])
        case CallerStep.MUSIC:
            return twiml(request, [*said, v.Play(_hold_audio(request))])
        case CallerStep.LEAVE:
            return twiml(request, [v.Leave()])
        case CallerStep.CHOICES:
            ask = v.Gather(
                action=url_for(request, CALLER + "/choice"),
                prompts=tuple(said),
                num_digits=1,
                timeout=10,
                finish_on_key="",
                action_on_empty_result=True,
            )
            return twiml(request, [ask])
        case CallerStep.MENU | CallerStep.MESSAGE:
            hotline: HotlineCalls = request.app.state.container.hotline_calls
            action = Action.INCIDENT if view.step is CallerStep.MESSAGE else None
            reply = await hotline.resume(call_sid, action)
            return render(request, Reply((*said, *reply.prompts), reply.wait_phrase))
    return twiml(request, [*said, v.Hangup()])


def _callee(request: Request, token: str, leg: int, view: CalleeView) -> Response:
    base = f"{BASE}/{token}/{leg}"
    match view.step:
        case CalleeStep.CHECK:
            ask = v.Gather(
                action=url_for(request, base + "/key"),
                prompts=(v.Say(view.said),),
                num_digits=1,
                timeout=view.timeout,
                finish_on_key="",
                action_on_empty_result=True,
            )
            return twiml(request, [ask])
        case CalleeStep.CONNECT:
            dial = v.DialQueue(
                view.queue,
                action=url_for(request, base + "/dialed"),
                url=url_for(request, base + "/bridge"),
            )
            return twiml(request, [v.Say(view.said), dial])
        case CalleeStep.ANNOUNCE:
            return twiml(request, [v.Say(view.said)])
    return twiml(request, [v.Say(view.said), v.Hangup()])


# --- the caller -------------------------------------------------------------------------------


@router.post(CALLER)
async def caller_enters(request: Request) -> Response:
    sid = (await _form(request)).get("CallSid", "")
    return await _caller(request, await _calls(request).enter(sid), sid)


@router.post(CALLER + "/hold")
async def caller_holds(request: Request) -> Response:
    sid = (await _form(request)).get("CallSid", "")
    return await _caller(request, await _calls(request).hold(sid), sid)


@router.post(CALLER + "/left")
async def caller_left_queue(request: Request) -> Response:
    form = await _form(request)
    sid = form.get("CallSid", "")
    view = await _calls(request).left_queue(sid, form.get("QueueResult", ""))
    return await _caller(request, view, sid)


@router.post(CALLER + "/choice")
async def caller_chooses(request: Request) -> Response:
    form = await _form(request)
    sid = form.get("CallSid", "")
    view = await _calls(request).choose(sid, form.get("Digits", ""))
    return await _caller(request, view, sid)


# --- the people called -----------------------------------------------------------------------


@router.post(BASE + "/{token}/{leg}")
async def callee_answers(token: str, leg: int, request: Request) -> Response:
    return _callee(request, token, leg, await _legs(request).answered(token, leg))


@router.post(BASE + "/{token}/{leg}/key")
async def callee_pressed(token: str, leg: int, request: Request) -> Response:
    digits = (await _form(request)).get("Digits", "")
    return _callee(request, token, leg, await _legs(request).pressed(token, leg, digits))


@router.post(BASE + "/{token}/{leg}/bridge")
async def caller_taken_off_hold(token: str, leg: int, request: Request) -> Response:
    return _callee(request, token, leg, await _legs(request).bridging(token, leg))


@router.post(BASE + "/{token}/{leg}/dialed")
async def callee_bridge_ended(token: str, leg: int, request: Request) -> Response:
    form = await _form(request)
    return _callee(request, token, leg, await _legs(request).bridge_ended(token, leg, form))


@router.post(BASE + "/{token}/{leg}/gone")
async def callee_released(token: str, leg: int, request: Request) -> Response:
    return _callee(request, token, leg, await _legs(request).gone(token, leg))


@router.post(BASE + "/{token}/{leg}/status")
async def callee_status(token: str, leg: int, request: Request) -> Response:
    await _legs(request).status(token, leg, await _form(request))
    return Response(status_code=204)
