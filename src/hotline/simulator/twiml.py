"""TwiML parsing and validation (spec §2.1, §2.4).

``parse()`` turns a TwiML document into a tuple of verb ``Node``s, or raises ``TwiMLError``
with the Twilio error code the carrier would report: 12100 when the bytes are not a TwiML
document (not XML, root not ``<Response>``, a DOCTYPE), 12200 when the XML is well formed
but breaks the schema (unknown or misplaced verb, bad attribute value). Names are case
sensitive. Both twilio-python's compact output and hand-indented XML are accepted; text
bodies are stripped and, for ``<Say>``, whitespace is collapsed and SSML children are read
as their text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

PARSE_FAILURE = 12100
SCHEMA_ERROR = 12200

_INT = re.compile(r"^-?[0-9]+$")
_BOOL = {"true", "false"}
_METHODS = {"GET", "POST"}


class TwiMLError(Exception):
    """A document the carrier refuses; ``code`` is the Twilio error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Node:
    """One element: a verb or a noun, with its attributes, text body and children."""

    name: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    text: str = ""
    children: tuple[Node, ...] = ()

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def integer(self, name: str, default: int) -> int:
        value = self.attrs.get(name)
        return default if value is None or value.strip() == "" else int(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.attrs.get(name)
        return default if value is None else value.strip().lower() == "true"

    def method(self, name: str = "method") -> str:
        return (self.attrs.get(name) or "POST").strip().upper()


Check = Callable[[str], bool]


def _integer(low: int, high: int | None = None) -> Check:
    def check(value: str) -> bool:
        value = value.strip()
        if not _INT.match(value):
            return False
        number = int(value)
        return number >= low and (high is None or number <= high)

    return check


def _one_of(*choices: str) -> Check:
    return lambda value: value.strip() in choices


def _pattern(regex: str) -> Check:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


_boolean: Check = lambda value: value.strip().lower() in _BOOL  # noqa: E731
_method: Check = lambda value: value.strip().upper() in _METHODS  # noqa: E731

_DIGITS = _pattern(r"[0-9A-Da-d#*wW]*")
_STATUS_EVENTS = _pattern(r"\s*((initiated|ringing|answered|completed)\s*)*")

# Per element: allowed children (None = free SSML text), attribute checks.
_CHILDREN: dict[str, frozenset[str] | None] = {
    "Say": None,
    "Play": frozenset(),
    "Pause": frozenset(),
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Record": frozenset(),
    "Dial": frozenset({"Number", "Client", "Sip", "Conference", "Queue"}),
    "Enqueue": frozenset({"Task"}),
    "Leave": frozenset(),
    "Redirect": frozenset(),
    "Hangup": frozenset(),
    "Reject": frozenset(),
    "Number": frozenset(),
    "Client": frozenset({"Identity", "Parameter"}),
    "Sip": frozenset(),
    "Conference": frozenset(),
    "Queue": frozenset(),
    "Task": frozenset(),
    "Identity": frozenset(),
    "Parameter": frozenset(),
}
VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Record", "Dial", "Enqueue", "Leave", "Redirect"}
    | {"Hangup", "Reject"}
)
_CHECKS: dict[str, dict[str, Check]] = {
    "Say": {"loop": _integer(0)},
    "Play": {"loop": _integer(0), "digits": _DIGITS},
    "Pause": {"length": _integer(0)},
    "Gather": {
        "input": _pattern(r"(dtmf|speech)( (dtmf|speech))?"),
        "method": _method,
        "timeout": _integer(0),
        "finishOnKey": _pattern(r"[0-9#*]?"),
        "numDigits": _integer(1),
        "actionOnEmptyResult": _boolean,
    },
    "Record": {
        "method": _method,
        "timeout": _integer(0),
        "finishOnKey": _pattern(r"[0-9#*]*"),
        "maxLength": _integer(1, 86400),
        "playBeep": _boolean,
        "transcribe": _boolean,
        "recordingStatusCallbackMethod": _method,
        "recordingStatusCallbackEvent": _pattern(r"\s*((in-progress|completed|absent)\s*)*"),
        "trim": _one_of("trim-silence", "do-not-trim"),
    },
    "Dial": {
        "method": _method,
        "timeout": _integer(1, 600),
        "timeLimit": _integer(1),
        "hangupOnStar": _boolean,
        "answerOnBridge": _boolean,
    },
    "Number": {
        "method": _method,
        "statusCallbackMethod": _method,
        "statusCallbackEvent": _STATUS_EVENTS,
        "sendDigits": _DIGITS,
    },
    "Client": {
        "method": _method,
        "statusCallbackMethod": _method,
        "statusCallbackEvent": _STATUS_EVENTS,
    },
    "Sip": {
        "method": _method,
        "statusCallbackMethod": _method,
        "statusCallbackEvent": _STATUS_EVENTS,
    },
    "Conference": {
        "startConferenceOnEnter": _boolean,
        "endConferenceOnExit": _boolean,
        "muted": _boolean,
        "beep": _one_of("true", "false", "onEnter", "onExit"),
        "waitMethod": _method,
        "maxParticipants": _integer(2, 250),
        "statusCallbackMethod": _method,
    },
    "Queue": {"method": _method},
    "Enqueue": {"method": _method, "waitUrlMethod": _method},
    "Redirect": {"method": _method},
    "Reject": {"reason": _one_of("rejected", "busy")},
}


def parse(source: bytes | str) -> tuple[Node, ...]:
    """The verbs of a TwiML document, in order; raises ``TwiMLError``."""
    raw = source.encode() if isinstance(source, str) else source
    if b"<!doctype" in raw.lower():
        raise TwiMLError(PARSE_FAILURE, "DOCTYPE declarations are not allowed in TwiML")
    try:
        root = ET.fromstring(raw)  # noqa: S314 - no DOCTYPE, so no entity expansion
    except ET.ParseError as error:
        raise TwiMLError(PARSE_FAILURE, f"document is not well-formed XML: {error}") from None
    if root.tag != "Response":
        raise TwiMLError(PARSE_FAILURE, f"root element must be <Response>, not <{root.tag}>")
    if (root.text or "").strip():
        raise TwiMLError(SCHEMA_ERROR, "<Response> cannot contain text")
    verbs = []
    for element in root:
        if element.tag not in VERBS:
            raise TwiMLError(SCHEMA_ERROR, f"<{element.tag}> is not a verb this carrier knows")
        verbs.append(_node(element))
        if (element.tail or "").strip():
            raise TwiMLError(SCHEMA_ERROR, "<Response> cannot contain text")
    return tuple(verbs)


def _node(element: ET.Element) -> Node:
    name = element.tag
    allowed = _CHILDREN.get(name, frozenset())
    checks = _CHECKS.get(name, {})
    for attribute, check in checks.items():
        value = element.get(attribute)
        if value is not None and not check(value):
            raise TwiMLError(SCHEMA_ERROR, f"<{name} {attribute}={value!r}> is not valid")
    if allowed is None:  # <Say>: SSML children are read as text
        text = " ".join("".join(element.itertext()).split())
        return Node(name, dict(element.attrib), text)
    children = []
    for child in element:
        if child.tag not in allowed:
            raise TwiMLError(SCHEMA_ERROR, f"<{child.tag}> is not allowed inside <{name}>")
        children.append(_node(child))
        if name != "Dial" and (child.tail or "").strip():
            raise TwiMLError(SCHEMA_ERROR, f"<{name}> cannot mix text and elements")
    text = (element.text or "").strip()
    if name == "Dial":
        text = " ".join(part for part in [text, *((c.tail or "").strip() for c in element)] if part)
        if text and children:
            raise TwiMLError(SCHEMA_ERROR, "<Dial> cannot mix a number with nouns")
    if name == "Play" and "digits" in element.attrib and text:
        raise TwiMLError(SCHEMA_ERROR, "<Play digits> cannot also have a URL")
    if name == "Gather":
        for nested in children:
            if nested.name == "Play" and "digits" in nested.attrs:
                raise TwiMLError(SCHEMA_ERROR, "<Play digits> is not allowed inside <Gather>")
    return Node(name, dict(element.attrib), text, tuple(children))
