"""Incidents: status, severity and the vocabulary of their timeline."""

from __future__ import annotations

from enum import StrEnum

from hotline.domain.errors import Conflict


class IncidentStatus(StrEnum):
    """``triggered -> paging -> accepted | unanswered``, then ``resolved``."""

    TRIGGERED = "triggered"
    PAGING = "paging"
    ACCEPTED = "accepted"
    UNANSWERED = "unanswered"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not IncidentStatus.RESOLVED


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Source(StrEnum):
    API = "api"
    SERVICENOW = "servicenow"
    HOTLINE = "hotline"


SEVERITY_NAMES = {1: "critical", 2: "high", 3: "medium", 4: "low", 5: "minimal"}


def priority_of(severity: int) -> Priority:
    """Severity 1-2 is high priority, 3-4 medium, 5 low."""
    if severity <= 2:
        return Priority.HIGH
    return Priority.MEDIUM if severity <= 4 else Priority.LOW


def check_transition(current: IncidentStatus, new: IncidentStatus) -> None:
    """Raise :class:`Conflict` for a status change the lifecycle does not allow."""
    allowed = {
        IncidentStatus.TRIGGERED: {
            IncidentStatus.PAGING,
            IncidentStatus.ACCEPTED,
            IncidentStatus.UNANSWERED,
            IncidentStatus.RESOLVED,
        },
        IncidentStatus.PAGING: {
            IncidentStatus.ACCEPTED,
            IncidentStatus.UNANSWERED,
            IncidentStatus.RESOLVED,
        },
        IncidentStatus.ACCEPTED: {IncidentStatus.RESOLVED},
        IncidentStatus.UNANSWERED: {
            IncidentStatus.ACCEPTED,
            IncidentStatus.RESOLVED,
            IncidentStatus.PAGING,
        },
        IncidentStatus.RESOLVED: set(),
    }
    if new not in allowed[current]:
        raise Conflict(f"an incident that is {current} cannot become {new}")
