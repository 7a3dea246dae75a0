"""The page-out call to an agent: human check, details, 1 / 2 / 3 menu, status callbacks.

URLs carry only the attempt's opaque token. Every reply is rendered from the committed
outcome the service returns.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from hotline.domain import voice as v
from hotline.domain.incidents import SEVERITY_NAMES
from hotline.services.page_calls import PageCalls, PageView, Step
from hotline.settings import PagePhrases
from hotline.web.voice.security import require_twilio_signature
from hotline.web.voice.twiml import twiml, url_for

router = APIRouter(
    prefix="/voice/page", dependencies=[Depends(require_twilio_signature)], include_in_schema=False
)


def _calls(request: Request) -> PageCalls:
    calls: PageCalls = request.app.state.container.page_calls
    return calls


def _say(template: str, view: PageView) -> str:
    return template.format(
        name=view.say_name,
        number=view.number,
        severity=view.severity,
        severity_name=SEVERITY_NAMES.get(view.severity, ""),
        title=view.title,
        status=view.status,
        assignee=view.assignee or "",
    )


def _prompts(request: Request, token: str, view: PageView) -> list[v.Prompt]:
    settings = request.app.state.container.settings
    phrases: PagePhrases = settings.page_phrases
    base = f"/voice/page/{token}"
    if view.step is Step.GREET:
        return [
            v.Gather(
                action=url_for(request, base + "/greeted"),
                num_digits=1,
                timeout=10,
                finish_on_key="",
                action_on_empty_result=True,
                prompts=(v.Say(_say(phrases.greeting, view)),),
            ),
            v.Hangup(),
        ]
    if view.step in (Step.DETAILS, Step.REPROMPT):
        lead = [v.Say(phrases.invalid)] if view.step is Step.REPROMPT else []
        text = _say(phrases.details, view) + " " + phrases.menu
        return [
            *lead,
            v.Gather(
                action=url_for(request, base + "/choice"),
                num_digits=1,
                timeout=settings.page_menu_timeout,
                finish_on_key="",
                action_on_empty_result=True,
                prompts=(v.Say(text),),
            ),
            v.Hangup(),
        ]
    template = {
        Step.ACCEPTED: phrases.accepted,
        Step.PASSED: phrases.passed,
        Step.ESCALATED: phrases.escalated,
        Step.GOODBYE: phrases.goodbye,
        Step.STALE: phrases.stale,
        Step.UNKNOWN: phrases.unknown,
        Step.LAST: phrases.last,
    }.get(view.step)
    return [v.Say(_say(template, view)), v.Hangup()] if template else [v.Hangup()]


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(val) for k, val in form.items()}


@router.post("/{token}")
async def answered(token: str, request: Request) -> Response:
    form = await _form(request)
    view = await _calls(request).answer(token, form.get("AnsweredBy"))
    return twiml(request, _prompts(request, token, view))


@router.post("/{token}/greeted")
async def greeted(token: str, request: Request) -> Response:
    form = await _form(request)
    view = await _calls(request).greeted(token, form.get("Digits", ""))
    return twiml(request, _prompts(request, token, view))


@router.post("/{token}/choice")
async def choice(token: str, request: Request) -> Response:
    form = await _form(request)
    view = await _calls(request).choice(token, form.get("Digits", ""))
    return twiml(request, _prompts(request, token, view))


@router.post("/{token}/status")
async def status(token: str, request: Request) -> Response:
    await _calls(request).status(token, await _form(request))
    return Response(status_code=204)
