"""Helpers for voice routes: TwiML responses and absolute callback URLs."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request, Response

from hotline.adapters.twilio.twiml import render
from hotline.domain import voice as v


def twiml(request: Request, prompts: Sequence[v.Prompt]) -> Response:
    settings = request.app.state.container.settings
    body = render(prompts, voice=settings.tts_voice, language=settings.tts_language)
    return Response(body, media_type="text/xml")


def url_for(request: Request, path: str) -> str:
    """Absolute public URL of one of our routes (the carrier needs absolute URLs)."""
    public: str = request.app.state.container.settings.public_url
    return public + path
