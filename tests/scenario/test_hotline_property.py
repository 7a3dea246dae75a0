"""Property: whatever a caller does, the call-in hotline answers with valid TwiML and the call
ends in a spoken prompt or a hang-up; the server never fails.

Most examples post signed webhooks straight to the real ASGI app, in the order a carrier
would send them for a random caller (keys, ``*``, ``#``, silence, speech of any length,
hang-ups, retried webhooks, transcripts arriving at any time): :class:`Carrier` executes
each reply's verbs as the simulator would, after checking it with the simulator's own TwiML
parser. A few examples run through the real server and the simulator end to end.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from hotline.adapters.db import migrate
from hotline.bootstrap import build
from hotline.settings import load_settings
from hotline.simulator.twiml import Node, parse
from hotline.web.app import create_app
from tests.scenario.callin import (
    AGENT1,
    CALLER,
    CALLER_PIN,
    STRANGER,
    WITHHELD,
    P,
    call,
    directory,
)
from tests.scenario.conftest import HOTLINE_NUMBER, Hotline, running_hotline

PUBLIC = "https://hotline.example.com"
TOKEN = "a" * 32
ACCOUNT = "AC" + "0" * 32
RECORDINGS = f"https://carrier.example.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/"
STEPS = f"{PUBLIC}/voice/hotline/"
RECORD_KEYS = "1234567890*#"
NO_LIMIT = {"hotline_caller_rate_limit": 0}  # every example calls from the same few numbers
SETUPS: dict[str, dict[str, Any]] = {
    # caller ID is enough; two groups and one nobody is on call for; no waiting for transcripts
    "caller-id": {"transcript_wait": 0},
    # PIN, withheld callers key in their number, one group, a default severity, and the
    # outcome waits for the transcript (the carrier below sends it when nothing else happens)
    "pin": {
        "hotline_require_pin": True,
        "hotline_withheld_callers": "ask",
        "hotline_groups": ["network"],
        "hotline_actions": ["incident", "alert"],
        "hotline_default_severity": 2,
        "hotline_max_recording": 5,
        "transcript_wait": 600,
    },
}
MAX_STEPS = 80  # webhooks after the scripted input ran out; silence ends any call sooner

# --- what a caller does ---------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    """Keys at a ``<Gather>``; at a ``<Record>``: ``seconds`` of speech ended by the key."""

    keys: str
    seconds: int = 3


@dataclass(frozen=True)
class Silence:
    """Nothing at all: the prompt times out (an empty ``<Record>``)."""


@dataclass(frozen=True)
class Speak:
    """Talk for ``seconds`` without pressing (a ``<Record>`` ends at its maximum length)."""

    seconds: int


@dataclass(frozen=True)
class HangUp:
    """The caller hangs up (the carrier's final status callback)."""


@dataclass(frozen=True)
class Retry:
    """The carrier sends the last webhook again (a retry after a lost reply)."""


@dataclass(frozen=True)
class Transcript:
    """The transcription service calls back now, with text or a failure."""

    ok: bool


Input = Press | Silence | Speak | HangUp | Retry | Transcript

LIKELY = {  # per prompt (the last part of its action URL): what callers mostly press there
    "number": ["2025550131#", "2025550131#", "2025550199#", "12#"],
    "pin": [f"{CALLER_PIN}#", f"{CALLER_PIN}#", "0000#"],
    "menu": ["1", "2", "1", "2", "*"],
    "group": ["1", "3", "1", "3", "2", "*"],  # 2 is "empty": nobody is on call there
    "severity": ["1", "2", "3", "5", "*"],
    "confirm": ["1", "1", "1", "5", "*"],
}
mishaps: st.SearchStrategy[Input] = st.one_of(
    st.just(Silence()),
    st.just(Retry()),
    st.builds(Transcript, st.booleans()),
    st.builds(Press, st.text(alphabet="0123456789*#", min_size=1, max_size=4), st.integers(0, 12)),
    st.builds(Speak, st.integers(1, 200)),
)


def choices(verb: Node) -> st.SearchStrategy[Input]:
    """What the caller does at ``verb``: mostly something sensible, often not."""
    likely: st.SearchStrategy[Input]
    if verb.name == "Redirect":
        likely = st.just(Silence())  # the carrier just follows it
    elif verb.name == "Record":
        likely = st.builds(Press, st.sampled_from(RECORD_KEYS), st.integers(2, 12))
    else:
        step = str(verb.get("action")).rsplit("/", 1)[-1]
        likely = st.builds(Press, st.sampled_from(LIKELY.get(step, ["1"])))
    return st.one_of(likely, likely, likely, likely, likely, mishaps)


# --- the carrier ----------------------------------------------------------------------------


@dataclass
class Carrier:
    """Sends one caller's webhooks as the carrier would and checks every reply."""

    client: httpx.AsyncClient
    call_sid: str
    from_: str
    heard: list[str] = field(default_factory=list)
    last: tuple[str, dict[str, str]] | None = None
    recordings: itertools.count[int] = field(default_factory=itertools.count)

    async def post(
        self, url: str, fields: dict[str, str] | None = None, expect: int = 200
    ) -> tuple[Node, ...]:
        form = {
            "AccountSid": ACCOUNT,
            "CallSid": self.call_sid,
            "From": self.from_,
            "To": HOTLINE_NUMBER,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            **(fields or {}),
        }
        if expect == 200:  # a voice webhook, answered with TwiML: what a retry repeats
            self.last = (url, form)
        return await self._send(url, form, expect)

    async def retry(self) -> tuple[Node, ...]:
        assert self.last is not None
        url, form = self.last
        return await self._send(url, form, 200)

    async def _send(self, url: str, form: dict[str, str], expect: int) -> tuple[Node, ...]:
        signature = RequestValidator(TOKEN).compute_signature(url, form)
        response = await self.client.post(
            url.removeprefix(PUBLIC), data=form, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == expect, (url, form, response.text)
        if expect != 200:
            return ()
        assert response.headers["content-type"].startswith("text/xml")
        verbs = parse(response.content)  # raises TwiMLError if the carrier would refuse it
        for url in urls(verbs):
            parts = urlsplit(url)
            assert url.startswith(STEPS) and not parts.query, url  # state stays server-side
        return verbs

    async def status(self, status: str = "completed") -> None:
        await self.post(f"{PUBLIC}/voice/status", {"CallStatus": status}, expect=204)

    async def transcript(self, ok: bool) -> None:
        text = "The payroll database is down" if ok else ""
        status = "completed" if ok else "failed"
        fields = {"TranscriptionStatus": status, "TranscriptionText": text}
        await self.post(f"{STEPS}transcript", fields, expect=204)

    def recording(self, seconds: int, key: str) -> dict[str, str]:
        sid = f"RE{next(self.recordings):032x}"
        return {
            "RecordingSid": sid,
            "RecordingUrl": RECORDINGS + sid,
            "RecordingDuration": str(seconds),
            "Digits": key,
        }


def urls(verbs: tuple[Node, ...]) -> list[str]:
    found = []
    for verb in verbs:
        if verb.name == "Redirect":
            found.append(verb.text)
        for attribute in ("action", "transcribeCallback"):
            if verb.get(attribute):
                found.append(str(verb.get(attribute)))
    return found


def gathered(pressed: str, verb: Node) -> str:
    """What a ``<Gather>`` collects from ``pressed`` (up to its finish key or digit count)."""
    finish = verb.get("finishOnKey", "#") or ""
    limit = verb.integer("numDigits", 0) or None
    digits = ""
    for key in pressed:
        if key == finish:
            break
        digits += key
        if limit is not None and len(digits) >= limit:
            break
    return digits


async def walk(
    carrier: Carrier, choose: Callable[[Node], Input], patience: int, hang_up_at: int | None
) -> str:
    """Run a call to its end: ``patience`` chosen actions, then silence (and, while the
    caller holds for a transcript, the transcription service's answer); the caller hangs up
    at action ``hang_up_at`` if the call lasts that long. How it ended: ``hung up``,
    ``said goodbye`` or ``ran out`` (of instructions, after a spoken prompt).
    """
    verbs = await carrier.post(f"{PUBLIC}/voice/incoming", {"CallStatus": "ringing"})
    transcribed = False
    for turn in range(patience + MAX_STEPS):
        spoke, index = False, 0
        for index, verb in enumerate(verbs, 1):  # noqa: B007 (index is used after the loop)
            if verb.name == "Say":
                carrier.heard.append(verb.text)
                spoke = True
            elif verb.name == "Hangup":
                assert spoke, f"hung up without a word: {verbs}"
                return "said goodbye"
            elif verb.name in ("Gather", "Record", "Redirect"):
                carrier.heard.extend(c.text for c in verb.children if c.name == "Say")
                break
            elif verb.name not in ("Play", "Pause"):
                raise AssertionError(f"the hotline answered with <{verb.name}>: {verbs}")
        else:
            assert spoke, f"the call ran out of instructions in silence: {verbs}"
            return "ran out"
        action: Input
        if turn == hang_up_at:
            action = HangUp()
        elif turn < patience:
            action = choose(verb)
        elif verb.name == "Redirect" and verb.text.endswith("/wait") and not transcribed:
            action, transcribed = Transcript(ok=True), True
        else:
            action = Silence()
        if isinstance(action, Transcript):
            await carrier.transcript(action.ok)
            verbs = verbs[index - 1 :]  # still at the same prompt
        elif isinstance(action, Retry) and carrier.last is not None:
            verbs = await carrier.retry()
        else:
            outcome = await _act(carrier, verb, action)
            if outcome is None:
                return "hung up"
            verbs = verbs[index:] if outcome == "fall through" else outcome
    raise AssertionError(f"the call never ended; the caller heard {carrier.heard[-5:]}")


async def _act(carrier: Carrier, verb: Node, action: Input) -> Any:
    """The caller's ``action`` at ``verb``: the next verbs, "fall through", or None (gone)."""
    url = verb.text if verb.name == "Redirect" else str(verb.get("action"))
    if isinstance(action, HangUp):
        if verb.name == "Record":
            ended = {"CallStatus": "completed", **carrier.recording(2, "hangup")}
            await carrier.post(url, ended)
        await carrier.status()
        return None
    if verb.name == "Redirect":
        return await carrier.post(url)
    if verb.name == "Gather":
        digits = gathered(action.keys, verb) if isinstance(action, Press) else ""
        if not digits and not verb.flag("actionOnEmptyResult", False):
            return "fall through"
        finished = "#" if isinstance(action, Press) and "#" in action.keys else ""
        return await carrier.post(url, {"Digits": digits, "FinishedOnKey": finished})
    # <Record>: speech until a key, the maximum length or silence
    maximum = verb.integer("maxLength", 3600)
    finish = verb.get("finishOnKey", RECORD_KEYS) or ""
    if isinstance(action, Press):
        seconds, key = action.seconds, next((k for k in action.keys if k in finish), "")
    else:
        seconds, key = (action.seconds if isinstance(action, Speak) else 0), ""
    if seconds == 0:
        return "fall through"  # an empty recording: the carrier goes on to the next verb
    return await carrier.post(url, carrier.recording(min(seconds, maximum), key))


# --- the apps -------------------------------------------------------------------------------


@dataclass
class Apps:
    clients: dict[str, httpx.AsyncClient]
    sids: itertools.count[int] = field(default_factory=itertools.count)


@pytest.fixture
async def apps(database_url: str) -> AsyncIterator[Apps]:
    """The real app in each setup, on one database, reached through its ASGI interface."""
    containers, clients = [], {}
    async with contextlib.AsyncExitStack() as stack:
        for name, overrides in SETUPS.items():
            container = build(
                load_settings(
                    database_url=database_url,
                    public_url=PUBLIC,
                    carrier="twilio",
                    twilio_account_sid=ACCOUNT,
                    twilio_auth_token=TOKEN,
                    twilio_phone_number=HOTLINE_NUMBER,
                    **NO_LIMIT,
                    **overrides,
                )
            )
            container.run_worker = False  # nothing leaves: the jobs stay in their table
            containers.append(container)
            stack.push_async_callback(container.close)
            await migrate.upgrade(container.engine)
            app = create_app(container=container)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8000")
            clients[name] = await stack.enter_async_context(client)
        await directory(containers[0], pin=CALLER_PIN)
        yield Apps(clients)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    setup=st.sampled_from(sorted(SETUPS)),
    caller=st.sampled_from([CALLER, CALLER, CALLER, WITHHELD, STRANGER, AGENT1]),
    patience=st.integers(10, 40),
    hang_up_at=st.one_of(st.none(), st.integers(0, 40)),
    data=st.data(),
)
async def test_random_callers_always_get_valid_twiml_and_a_proper_ending(
    apps: Apps,
    setup: str,
    caller: str,
    patience: int,
    hang_up_at: int | None,
    data: st.DataObject,
) -> None:
    carrier = Carrier(apps.clients[setup], f"CA{next(apps.sids):032x}", caller)
    ended = await walk(carrier, lambda verb: data.draw(choices(verb)), patience, hang_up_at)
    assert carrier.heard, "the caller heard nothing"
    if ended == "said goodbye":
        assert carrier.heard[-1].endswith(("Goodbye.", P.refused)), carrier.heard[-3:]
    event(f"{setup}: {ended}")
    event(f"{setup}: message sent: {any(h.startswith('Done.') for h in carrier.heard)}")
    # Over for the server too: the last webhook sent again still gets a valid reply.
    if carrier.last is not None:
        await carrier.retry()


# --- a few through the simulator ------------------------------------------------------------

sim_keys = st.lists(
    st.one_of(st.none(), st.sampled_from(["1", "2", "*", "#", "9", f"{CALLER_PIN}#"])),
    max_size=12,
)


@pytest.fixture
async def simulated(database_url: str) -> AsyncIterator[Hotline]:
    async with running_hotline(
        database_url, hotline_require_pin=True, transcript_wait=0, **NO_LIMIT
    ) as h:
        await directory(h, pin=CALLER_PIN)
        yield h


@settings(
    max_examples=3,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    keys=sim_keys,
    hangup_at=st.one_of(st.none(), st.integers(1, 10)),
    seconds=st.sampled_from([0, 1, 4]),
)
async def test_random_callers_through_the_simulator(
    simulated: Hotline, keys: list[str | None], hangup_at: int | None, seconds: int
) -> None:
    script: dict[str, Any] = {"hangup_at_prompt": hangup_at, "transcript": "x"}
    if seconds:
        script["recording_duration"] = seconds
    done = await call(simulated, CALLER, *keys, **script)
    assert done.errors == [], done.errors  # the simulator accepted every reply
    webhooks = [e for e in done.log if e["kind"] == "webhook"]
    assert all((e["status"] or 599) < 500 for e in webhooks), webhooks
    if hangup_at is None:
        assert done.said and done.said[-1].endswith(("Goodbye.", P.refused)), done.said
