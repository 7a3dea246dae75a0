"""The agent's phone call in a page-out: what Hotline says and what the keys do.

Voice handlers return a :class:`PageView` that the web layer renders; it is built from what
was committed, so an agent never hears a confirmation that was not stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hotline.domain import ladder as lad
from hotline.domain.incident import Attempt, Incident
from hotline.domain.voice import CallStatus
from hotline.ports import (
    UnitOfWork,
)
from hotline.services.paging import PagingService


class Step(StrEnum):
    GREET = "greet"  # human check: press any key
    DETAILS = "details"  # incident details and the 1/2/3 menu
    REPROMPT = "reprompt"
    ACCEPTED = "accepted"
    PASSED = "passed"
    ESCALATED = "escalated"
    GOODBYE = "goodbye"
    STALE = "stale"
    LAST = "last"  # the agent ended the ladder: nobody is left to call
    HANG_UP = "hang-up"
    UNKNOWN = "unknown"


REPLY_STEPS = {
    lad.Reply.ACCEPTED: Step.ACCEPTED,
    lad.Reply.PASSED: Step.PASSED,
    lad.Reply.ESCALATED: Step.ESCALATED,
    lad.Reply.REPROMPT: Step.REPROMPT,
    lad.Reply.GOODBYE: Step.GOODBYE,
    lad.Reply.STALE: Step.STALE,
    lad.Reply.NONE: Step.GOODBYE,
}


@dataclass(frozen=True)
class PageView:
    step: Step
    say_name: str = ""
    number: str = ""
    severity: int = 0
    title: str = ""
    status: str = ""
    assignee: str | None = None


def _view(step: Step, incident: Incident | None = None, attempt: Attempt | None = None) -> PageView:
    if incident is None:
        return PageView(step)
    say_name = attempt.name if attempt else ""
    if attempt is not None and incident.ladder is not None:
        target = incident.ladder.tiers[attempt.tier].targets[attempt.position]
        say_name = target.say_name
    return PageView(
        step,
        say_name,
        incident.spoken_number,
        incident.severity,
        incident.title,
        incident.status.value,
        incident.assignee,
    )


def _step(decision: lad.Decision) -> Step:
    """The reply step; when this choice left nobody to call, say so instead."""
    if any(isinstance(c, lad.Finish) and not c.accepted for c in decision.commands):
        return Step.LAST
    return REPLY_STEPS[decision.reply]


def _is_machine(answered_by: str | None) -> bool:
    return bool(answered_by) and (answered_by or "").startswith(("machine", "fax"))


class PageCalls:
    def __init__(self, paging: PagingService) -> None:
        self.paging = paging

    async def locked(self, uow: UnitOfWork, token: str) -> tuple[Incident, Attempt] | None:
        """The attempt and its incident, the incident row locked for this transaction."""
        incident = await uow.incidents.get_by_attempt(token)
        if incident is None:
            return None
        attempt = await uow.incidents.attempt(token)  # read after the lock: current values
        assert attempt is not None
        return incident, attempt

    @staticmethod
    def current(incident: Incident, attempt: Attempt) -> bool:
        ladder = incident.ladder
        return (
            ladder is not None
            and ladder.status is lad.LadderStatus.PAGING
            and ladder.attempt == attempt.number
            and attempt.outcome is None
        )

    # --- voice ----------------------------------------------------------------------------

    async def answer(self, token: str, answered_by: str | None) -> PageView:
        """The agent's phone was answered and asks what to say."""

        async def work(uow: UnitOfWork, now: datetime) -> PageView:
            found = await self.locked(uow, token)
            if found is None:
                return _view(Step.UNKNOWN)
            incident, attempt = found
            if not self.current(incident, attempt):
                return _view(Step.STALE, incident, attempt)
            if _is_machine(answered_by):
                await self.feed(uow, incident, lad.Answered(attempt.number, machine=True), now)
                return _view(Step.HANG_UP, incident, attempt)
            await self._mark_answered(uow, incident, attempt, now)
            step = Step.GREET if self.paging.config.human_check else Step.DETAILS
            return _view(step, incident, attempt)

        return await self.paging.transact(work)

    async def greeted(self, token: str, digits: str) -> PageView:
        """The human check: any key reads the details; silence ends this attempt."""

        async def work(uow: UnitOfWork, now: datetime) -> PageView:
            found = await self.locked(uow, token)
            if found is None:
                return _view(Step.UNKNOWN)
            incident, attempt = found
            if not self.current(incident, attempt):
                return _view(Step.STALE, incident, attempt)
            if digits:
                return _view(Step.DETAILS, incident, attempt)
            decision = await self.feed(uow, incident, lad.Silent(attempt.number), now)
            return _view(_step(decision), incident, attempt)

        return await self.paging.transact(work)

    async def choice(self, token: str, digits: str) -> PageView:
        """The agent's key at the menu (empty on timeout)."""

        async def work(uow: UnitOfWork, now: datetime) -> PageView:
            found = await self.locked(uow, token)
            if found is None:
                return _view(Step.UNKNOWN)
            incident, attempt = found
            digit = digits[:1]
            decision = await self.feed(uow, incident, lad.Pressed(attempt.number, digit), now)
            step = _step(decision)
            if step is Step.REPROMPT and digit == "9":
                step = Step.DETAILS  # 9 = hear it again, no "sorry"
            return _view(step, incident, attempt)

        return await self.paging.transact(work)

    async def status(self, token: str, form: Mapping[str, str]) -> None:
        """A carrier status callback. Duplicates and late arrivals change nothing: an attempt
        ends once, and only the current attempt moves the ladder."""
        try:
            status = CallStatus(form.get("CallStatus", ""))
        except ValueError:
            return

        async def work(uow: UnitOfWork, now: datetime) -> None:
            found = await self.locked(uow, token)
            if found is None:
                return
            incident, attempt = found
            if attempt.state == "ended":
                return
            attempt.call_sid = attempt.call_sid or form.get("CallSid") or None
            if status.is_final:
                attempt.state = "ended"
                attempt.ended_at = now
                duration = form.get("CallDuration", "")
                attempt.duration = int(duration) if duration.isdigit() else None
                await uow.incidents.save_attempt(attempt)
                await self.feed(uow, incident, lad.CallEnded(attempt.number, status), now)
            elif status is CallStatus.IN_PROGRESS:
                if _is_machine(form.get("AnsweredBy")):
                    await uow.incidents.save_attempt(attempt)
                    await self.feed(uow, incident, lad.Answered(attempt.number, True), now)
                else:
                    await self._mark_answered(uow, incident, attempt, now)
            else:
                if attempt.state in ("queued", "placing", "placed"):
                    attempt.state = status.value
                await uow.incidents.save_attempt(attempt)

        await self.paging.transact(work)

    async def _mark_answered(
        self, uow: UnitOfWork, incident: Incident, attempt: Attempt, now: datetime
    ) -> None:
        if attempt.answered_at is None:
            attempt.answered_at = now
            await self.paging.record(
                uow,
                incident,
                now,
                "answered",
                f"{attempt.name} answered.",
                attempt=attempt.number,
                person=attempt.name,
            )
        if attempt.state != "ended":
            attempt.state = "answered"
        await uow.incidents.save_attempt(attempt)

    async def feed(
        self, uow: UnitOfWork, incident: Incident, event: lad.Event, now: datetime
    ) -> lad.Decision:
        assert incident.ladder is not None
        decision = lad.decide(incident.ladder, event, now)
        await self.paging.apply(uow, incident, decision, now)
        return decision
