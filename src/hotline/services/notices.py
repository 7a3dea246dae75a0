"""The words Hotline writes: timeline details, ServiceNow work notes, SMS and e-mail."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from hotline.domain.incident import Attempt, Incident
from hotline.domain.incidents import SEVERITY_NAMES
from hotline.domain.ladder import Outcome, Target

OUTCOME_WORDS = {
    Outcome.ACCEPTED: "accepted (pressed 1)",
    Outcome.PASSED: "passed to the next person (pressed 2)",
    Outcome.ESCALATED: "escalated to the next tier (pressed 3)",
    Outcome.NO_ANSWER: "did not answer",
    Outcome.BUSY: "was busy",
    Outcome.FAILED: "could not be reached (call failed)",
    Outcome.CANCELED: "call canceled",
    Outcome.VOICEMAIL: "voicemail answered; hung up",
    Outcome.HUNG_UP: "answered but hung up without a choice",
    Outcome.NO_RESPONSE: "answered but made no valid choice",
    Outcome.STOPPED: "call stopped: the incident was handled elsewhere",
}


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def title_line(incident: Incident) -> str:
    severity = f"severity {incident.severity} ({SEVERITY_NAMES[incident.severity]})"
    return f"Incident {incident.spoken_number}, {severity}: {incident.title}"


def calling(attempt: Attempt, group: str) -> str:
    return (
        f"Calling {attempt.name} at {attempt.phone} "
        f"(round {attempt.round}, tier {attempt.tier + 1}: {group})"
    )


def attempt_note(attempt: Attempt, outcome: Outcome, at: datetime) -> str:
    """One ServiceNow work note per call attempt: time, person, number, outcome, key."""
    return f"{stamp(at)} Hotline called {attempt.name} ({attempt.phone}): {OUTCOME_WORDS[outcome]}."


def accepted_note(target: Target, at: datetime) -> str:
    return f"{stamp(at)} Hotline: incident accepted by {target.name} ({target.phone})."


def tried_summary(attempts: list[Attempt]) -> str:
    counts = Counter(a.name for a in attempts)
    return ", ".join(f"{name} ({n} call{'s' if n > 1 else ''})" for name, n in counts.items())


def unanswered_note(attempts: list[Attempt], rounds: int, at: datetime) -> str:
    if not attempts:
        return f"{stamp(at)} Hotline: nobody is on call for this incident; nobody was called."
    return (
        f"{stamp(at)} Hotline: nobody accepted after {rounds} round(s). "
        f"Tried: {tried_summary(attempts)}."
    )


def missed_sms(incident: Incident) -> str:
    return (
        f"Hotline: nobody accepted {title_line(incident)}. "
        "You were called about it. Please check the incident."
    )[:1500]


def missed_email(incident: Incident, attempts: list[Attempt]) -> tuple[str, str]:
    subject = f"[Hotline] Nobody accepted incident {incident.spoken_number}: {incident.title}"
    body = "\n".join(
        [
            title_line(incident) + ".",
            "",
            "Hotline phoned the on-call people and nobody accepted the incident.",
            f"Tried: {tried_summary(attempts) or 'nobody was on call'}.",
            "",
            incident.description or "",
        ]
    ).strip()
    return subject[:200], body + "\n"
