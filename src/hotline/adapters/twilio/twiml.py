"""TwiML rendering: a pure function from Hotline prompts to a TwiML document."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.voice_response import Dial, VoiceResponse
from twilio.twiml.voice_response import Gather as TwimlGather

from hotline.domain import voice as v

VOICE = "alice"


def render(prompts: Sequence[v.Prompt], *, voice: str = VOICE, language: str = "en-US") -> str:
    """The TwiML for ``prompts``, in order. An empty sequence is a valid empty response."""
    response = VoiceResponse()
    for prompt in prompts:
        _add(response, prompt, voice, language)
    return str(response)


def _add(response: VoiceResponse, p: v.Prompt, voice: str, language: str) -> None:
    match p:
        case v.Say() | v.Play() | v.Pause():
            _inline(response, p, voice, language)
        case v.Gather():
            gather = TwimlGather(
                input="dtmf",
                action=p.action,
                method="POST",
                timeout=p.timeout,
                finish_on_key=p.finish_on_key,
                num_digits=p.num_digits,
                action_on_empty_result=p.action_on_empty_result or None,
            )
            for inner in p.prompts:
                _inline(gather, inner, voice, language)
            response.append(gather)
        case v.Record():
            response.record(
                action=p.action,
                method="POST",
                max_length=p.max_length,
                timeout=p.timeout,
                finish_on_key=p.finish_on_key,
                play_beep=p.play_beep,
                transcribe=True if p.transcribe_callback else None,
                transcribe_callback=p.transcribe_callback,
                recording_status_callback=p.recording_status_callback,
                recording_status_callback_method="POST" if p.recording_status_callback else None,
            )
        case v.Redirect():
            response.redirect(p.url, method="POST")
        case v.Hangup():
            response.hangup()
        case v.Leave():
            response.leave()
        case v.DialNumber():
            dial = Dial(
                action=p.action,
                method="POST" if p.action else None,
                timeout=p.timeout,
                caller_id=p.caller_id,
            )
            dial.number(p.number, url=p.screen_url, method="POST" if p.screen_url else None)
            response.append(dial)
        case v.DialConference():
            dial = Dial(action=p.action, method="POST" if p.action else None)
            dial.conference(
                p.name,
                start_conference_on_enter=p.start_on_enter,
                end_conference_on_exit=p.end_on_exit,
                wait_url=p.wait_url,
                wait_method="POST" if p.wait_url else None,
                beep=p.beep,
                status_callback=p.status_callback,
                status_callback_method="POST" if p.status_callback else None,
                status_callback_event=" ".join(p.status_events) or None,
            )
            response.append(dial)
        case v.Enqueue():
            response.enqueue(
                p.queue,
                action=p.action,
                method="POST" if p.action else None,
                wait_url=p.wait_url,
                wait_url_method="POST" if p.wait_url else None,
            )
        case v.DialQueue():
            dial = Dial(action=p.action, method="POST" if p.action else None)
            dial.queue(p.queue, url=p.url, method="POST" if p.url else None)
            response.append(dial)


def _inline(parent: VoiceResponse | TwimlGather, p: v.Prompt, voice: str, language: str) -> None:
    match p:
        case v.Say():
            parent.say(p.text, voice=voice, language=language, loop=p.loop if p.loop != 1 else None)
        case v.Play():
            parent.play(p.url, loop=p.loop if p.loop != 1 else None)
        case v.Pause():
            parent.pause(length=p.seconds)
        case _:
            raise ValueError(f"{type(p).__name__} cannot be nested in a Gather")
