"""What a caller hears while their recorded message is being transcribed.

Three modes, chosen in settings: ``joke`` (our own built-in jokes, or one fetched from an
optional joke URL with the built-ins as fallback), ``phrase`` (the configured phrases in order,
cycling) and ``static`` (one phrase every turn). The waiting loop asks :func:`next_phrase` on
every turn with the turn number it keeps in the conversation state, so the choice is pure and
the same on every replica. This fixes the seed's ``phrase`` mode, which compared against the
length of the mode name and concatenated the counter as a string (seed B.11, B.22 item 15).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
from collections.abc import Sequence
from typing import Final, Literal, get_args

import httpx

WaitMode = Literal["joke", "phrase", "static"]
WAIT_MODES: Final[tuple[str, ...]] = get_args(WaitMode)

DEFAULT_WAIT_PHRASE: Final = "Please hold on while we process your message."
JOKE_INTRO: Final = "How about a joke while we wait?"
MAX_JOKE_CHARS: Final = 300

BUILTIN_JOKES: Final[tuple[str, ...]] = (
    "Our backup generator is very shy. It only shows up when the lights go out.",
    "I asked the load balancer how it was doing. It said it just passes everything on.",
    "The firewall and I are close friends, but it still checks my ID every single time.",
    "My coffee mug has ninety nine percent uptime. The other one percent is refills.",
    "The printer and the fax machine started a band. Nobody could tell which one was jamming.",
    "The spreadsheet stayed calm during the outage. It had plenty of cells to fall back on.",
    "The old router retired to the countryside. It finally found a quieter network.",
    "I told a joke to the cache. It laughed, and then laughed again without thinking.",
    "The log files wanted a holiday, but someone kept rotating them back to work.",
    "Our pager has a great sense of timing. Mostly around three in the morning.",
    "The keyboard took a day off. It said it needed some space.",
    "The cable under the desk asked for a promotion. It was tired of being overlooked.",
    "The database went to a party and sat in the corner, waiting for someone to query it.",
    "The cloud insists it was never down. It was just feeling a little overcast.",
    "Our test suite is so thorough that it found a bug in the coffee machine.",
    "The wall clock was let go. Its replacement says it just needs more time.",
    "The monitor and the mouse had an argument. The mouse kept clicking its tongue.",
    "A bit asked a byte to join its team. The byte said it already had eight of them.",
    "The password and the username broke up. They just could not match.",
    "The help desk phone rang so often that it started signing autographs.",
    "I tried to tidy the cables behind my desk. Now they have formed a union.",
    "The elevator has its ups and downs, but the escalator just keeps going.",
    "The calendar is very relaxed. Its days are numbered and it does not mind at all.",
    "Our status page is an optimist. It calls every storm partly sunny.",
    "The office fridge has seen a lot over the years. It keeps its cool anyway.",
    "The stapler was promoted to manager. It is very good at keeping things together.",
    "The smoke alarm only speaks up in a crisis. It is our most focused colleague.",
    "My laptop fan sounds like a jet engine, but it has never taken me anywhere.",
    "The whiteboard is very forgiving. It wipes the slate clean after every bad idea.",
)


def next_phrase(
    mode: WaitMode | str, turn: int, phrases: Sequence[str] = (), *, seed: str | int = ""
) -> str:
    """The phrase for waiting turn ``turn`` (0, 1, 2, ...).

    ``joke``: a built-in joke, introduced on turn 0. Each ``seed`` (use the call's id) walks
    the whole list in its own order before repeating, so two callers rarely hear the same
    sequence. ``phrase``: ``phrases[turn % len(phrases)]``. ``static``: ``phrases[0]``.
    Blank phrases are ignored; with none left the default phrase is used.
    """
    if turn < 0:
        raise ValueError("turn must not be negative")
    if mode == "joke":
        return joke_line(turn, BUILTIN_JOKES[_joke_index(turn, seed, len(BUILTIN_JOKES))])
    if mode not in WAIT_MODES:
        raise ValueError(f"unknown wait mode {mode!r}; expected one of {', '.join(WAIT_MODES)}")
    usable = [p.strip() for p in phrases if p.strip()]
    if not usable:
        return DEFAULT_WAIT_PHRASE
    return usable[turn % len(usable) if mode == "phrase" else 0]


def joke_line(turn: int, joke: str) -> str:
    """A joke as spoken on ``turn``: the first one comes with an introduction."""
    return f"{JOKE_INTRO} {joke}" if turn == 0 else joke


def _joke_index(turn: int, seed: str | int, count: int) -> int:
    # sha256, not hash(): the same seed must give the same order on every replica.
    digest = hashlib.sha256(str(seed).encode()).digest()
    offset = int.from_bytes(digest[:8], "big") % count
    steps = [k for k in range(1, count) if math.gcd(k, count) == 1] or [1]
    step = steps[int.from_bytes(digest[8:16], "big") % len(steps)]
    return (offset + turn * step) % count


_MAX_BODY = 16 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINK = re.compile(
    r"(?i)(?:[a-z][a-z0-9+.-]*://|\bwww\.|@|\b[a-z0-9-]+\.(?:com|net|org|io|co|ly|me|info|biz"
    r"|xyz|app|dev|gg|tv|us|uk|de|fr|ru|cn|link|site|online|top|club|to|sh|ai)\b)"
)


async def fetch_joke(
    http: httpx.AsyncClient,
    url: str,
    timeout: float = 2.0,  # noqa: ASYNC109 - applied to the whole exchange with asyncio.timeout
) -> str | None:
    """One joke from an external joke service, or None when anything is off.

    Accepts ``text/plain`` or JSON with a string ``joke`` (the icanhazdadjoke shape). None on
    any transport error, a non-2xx reply, another content type, a body over 16 KiB, a joke
    over 300 characters or one containing a link or address. Control characters become
    spaces; the whole exchange is bounded by ``timeout``. The caller falls back to
    :data:`BUILTIN_JOKES`.
    """
    try:
        async with asyncio.timeout(timeout):
            body, content_type = await _get(http, url)
    except Exception:  # any failure means "use a built-in joke"
        return None
    if body is None:
        return None
    try:
        text = body.decode("utf-8")
        if content_type == "text/plain":
            joke: object = text
        elif content_type == "application/json" or content_type.endswith("+json"):
            data = json.loads(text)
            joke = data.get("joke") if isinstance(data, dict) else None
        else:
            return None
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(joke, str):
        return None
    joke = " ".join(_CONTROL.sub(" ", joke).split())
    if not joke or len(joke) > MAX_JOKE_CHARS or _LINK.search(joke):
        return None
    return joke


async def _get(http: httpx.AsyncClient, url: str) -> tuple[bytes | None, str]:
    headers = {"Accept": "application/json, text/plain;q=0.9", "User-Agent": "Hotline"}
    async with http.stream("GET", url, headers=headers, follow_redirects=False) as response:
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not response.is_success:
            return None, content_type
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > _MAX_BODY:
                return None, content_type
        return bytes(body), content_type
