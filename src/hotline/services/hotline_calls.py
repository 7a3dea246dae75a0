"""The call-in hotline shell: authorise the caller, drive the pure conversation machine,
persist it per CallSid and carry out what it decides, all in one transaction per webhook.

Each webhook loads the conversation (locked), rebuilds the :class:`Menu` from configuration
and the directory, feeds one event to :func:`hotline_menu.decide`, executes the commands
(PIN check, incident, alert) and saves the new state; the web layer renders the prompts.

The outcome of a confirmed message waits for the carrier's transcript, at most
:attr:`HotlineConfig.transcript_wait`; past it the incident or alert goes out with
"transcript pending" and the transcript, when it comes, is added to the incident's timeline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hotline.domain import hotline_menu as hm
from hotline.domain import voice as v
from hotline.domain.directory import (
    EscalationPolicy,
    Group,
    GroupMember,
    Person,
    PersonMember,
    RotationMember,
)
from hotline.domain.errors import Invalid
from hotline.domain.hotline_config import Action, Menu, MenuGroup
from hotline.domain.incidents import Source
from hotline.domain.oncall import oncall
from hotline.ports import CallRecord, UnitOfWork
from hotline.services import phones
from hotline.services.conversation_codec import dump, load
from hotline.services.inputs import IncidentIn
from hotline.services.paging import NOTICE_DEADLINE, External, PagingService
from hotline.services.paging_plan import snapshot_tiers
from hotline.services.pins import verify_pin
from hotline.services.wait_phrases import next_phrase

log = logging.getLogger("hotline.callin")

WITHHELD = frozenset({"", "anonymous", "restricted", "unknown", "private", "+266696687"})
TRANSCRIPT_PENDING = "transcript pending"
NOT_SET_UP = "Sorry, this line is not set up yet. Please contact your on-call team another way."


@dataclass(frozen=True)
class HotlineConfig:
    region: str = "US"
    callers: str = "directory"  # everyone | directory | groups
    caller_groups: tuple[str, ...] = ()
    require_pin: bool = False
    withheld: str = "refuse"  # refuse | ask
    actions: tuple[Action, ...] = (Action.ALERT, Action.INCIDENT)
    groups: tuple[str, ...] = ()
    default_severity: int | None = None
    max_recording: int = 90
    transcript_wait: timedelta = timedelta(seconds=45)
    wait_mode: str = "static"  # joke | phrase | static (hotline.services.wait_phrases)
    wait_phrases: tuple[str, ...] = ("Still working on your message. Thank you for holding.",)
    email_enabled: bool = False


@dataclass(frozen=True)
class Reply:
    """What the web layer renders: the machine's prompts (already committed)."""

    prompts: tuple[hm.Prompt, ...]
    wait_phrase: str = ""


# --- the service --------------------------------------------------------------------------


class HotlineCalls:
    def __init__(self, paging: PagingService, config: HotlineConfig) -> None:
        self.paging = paging
        self.config = config

    # --- webhooks -------------------------------------------------------------------------

    async def incoming(self, call_sid: str, from_: str) -> Reply:
        """A call came in: authorise the caller and start (or repeat) the conversation."""

        async def work(uow: UnitOfWork, now: datetime) -> Reply:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is not None:  # a retried webhook: repeat where the call stands
                menu = await self._menu(uow, now)
                return Reply(hm.current_prompts(load(record.state["conversation"], menu)))
            try:
                menu = await self._menu(uow, now)
            except Invalid as error:
                log.warning("call-in %s refused: hotline not configured (%s)", call_sid, error)
                return Reply((v.Say(NOT_SET_UP), v.Hangup()))
            caller = self._normalise(from_)
            person, access = await self._authorise(uow, caller)
            record = CallRecord(
                call_sid=call_sid,
                caller=caller or "withheld",
                person=person.name if person else None,
                state={"conversation": dump(hm.Conversation(menu))},
                created_at=now,
                updated_at=now,
            )
            await uow.conversations.add(record)
            if access is hm.Access.REFUSED:
                log.warning(
                    "call-in %s from %s refused: not authorised", call_sid, caller or "withheld"
                )
            return await self._feed(uow, record, menu, hm.Begin(access), now)

        return await self.paging.transact(work)

    async def event(self, call_sid: str, event: hm.Event) -> Reply:
        """Feed one caller event (keys, recording, hang-up) to the conversation."""

        async def work(uow: UnitOfWork, now: datetime) -> Reply:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return Reply((v.Hangup(),))
            menu = await self._menu(uow, now)
            if isinstance(event, hm.HungUp):
                await self._hung_up_while_pending(uow, record, menu, now)
            return await self._feed(uow, record, menu, event, now)

        return await self.paging.transact(work)

    async def hung_up(self, call_sid: str) -> None:
        async def work(uow: UnitOfWork, now: datetime) -> None:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return
            menu = await self._menu(uow, now)
            await self._hung_up_while_pending(uow, record, menu, now)
            await self._feed(uow, record, menu, hm.HungUp(), now)

        await self.paging.transact(work)

    async def wait(self, call_sid: str) -> Reply:
        """The caller holds while the outcome waits for the transcript (bounded)."""

        async def work(uow: UnitOfWork, now: datetime) -> Reply:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return Reply((v.Hangup(),))
            menu = await self._menu(uow, now)
            state = load(record.state["conversation"], menu)
            if state.stage is not hm.Stage.PENDING:
                return Reply(hm.current_prompts(state))
            since = datetime.fromisoformat(record.state.get("waiting_since") or now.isoformat())
            if "transcript" not in record.state and now - since < self.config.transcript_wait:
                turns = int(record.state.get("wait_turns", 0)) + 1
                record.state["wait_turns"] = turns
                record.updated_at = now
                await uow.conversations.save(record)
                phrase = next_phrase(
                    self.config.wait_mode, turns - 1, self.config.wait_phrases, seed=call_sid
                )
                return Reply(hm.current_prompts(state), phrase)
            outcome = await self._execute_outcome(uow, record, state, now)
            return await self._feed(uow, record, menu, outcome, now)

        return await self.paging.transact(work)

    async def transcript(self, call_sid: str, text: str, ok: bool) -> None:
        """The carrier's transcribeCallback: keep the text; late, add it to the incident."""

        async def work(uow: UnitOfWork, now: datetime) -> None:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return
            record.state["transcript"] = text if ok and text.strip() else ""
            record.updated_at = now
            await uow.conversations.save(record)
            incident_id = record.state.get("incident_id")
            if incident_id is not None and record.state.get("late_transcript"):
                incident = await uow.incidents.get(int(incident_id), for_update=True)
                if incident is not None:
                    detail = f"Transcript: {text}" if ok and text else "Transcription failed."
                    await self.paging.record(uow, incident, now, "transcript", detail)

        await self.paging.transact(work)

    # --- internals ------------------------------------------------------------------------

    async def _feed(
        self,
        uow: UnitOfWork,
        record: CallRecord,
        menu: Menu,
        event: hm.Event,
        now: datetime,
    ) -> Reply:
        state = load(record.state["conversation"], menu)
        decision = hm.decide(state, event, now)
        prompts = list(decision.prompts)
        state = decision.state
        commands = list(decision.commands)
        while commands:
            command = commands.pop(0)
            follow: hm.Event | None = None
            if isinstance(command, hm.VerifyPin):
                follow = hm.PinChecked(await self._check_pin(uow, record, command))
            elif isinstance(command, hm.Refused):
                log.warning("call-in %s refused: %s", record.call_sid, command.reason.value)
            elif isinstance(command, hm.SendAlert | hm.CreateIncident):
                record.state["waiting_since"] = now.isoformat()
            else:  # conference, live call and bridge are not in this slice
                follow = hm.OutcomeFailed("not available")
            if follow is not None:
                nxt = hm.decide(state, follow, now)
                state, prompts = nxt.state, [*prompts, *nxt.prompts]
                commands.extend(nxt.commands)
        record.state["conversation"] = dump(state)
        record.updated_at = now
        await uow.conversations.save(record)
        return Reply(tuple(prompts))

    async def _hung_up_while_pending(
        self, uow: UnitOfWork, record: CallRecord, menu: Menu, now: datetime
    ) -> None:
        """A caller who hangs up after confirming still gets the message sent."""
        state = load(record.state["conversation"], menu)
        if state.stage is hm.Stage.PENDING and "reference" not in record.state:
            outcome = await self._execute_outcome(uow, record, state, now)
            record.state["conversation"] = dump(hm.decide(state, outcome, now).state)

    async def _execute_outcome(
        self, uow: UnitOfWork, record: CallRecord, state: hm.Conversation, now: datetime
    ) -> hm.OutcomeStored | hm.OutcomeFailed:
        assert state.group is not None
        group = state.group.name
        transcript = record.state.get("transcript") or TRANSCRIPT_PENDING
        who = record.person or record.caller
        try:
            if state.action is Action.INCIDENT:
                severity = state.severity or 3
                description = (
                    f"Reported by phone by {who} ({record.caller}).\n"
                    f"Transcript: {transcript}\nRecording: {state.recording}"
                )
                incident, _ = await self.paging.create(
                    uow,
                    IncidentIn(
                        title=f"Hotline call from {who}: {_snippet(transcript)}",
                        description=description,
                        severity=severity,
                        group=group,
                    ),
                    now,
                    External(Source.HOTLINE, record.call_sid, record.caller),
                )
                record.state["incident_id"] = incident.id
                reference = str(incident.id)
            elif state.action is Action.ALERT:
                reference = await self._alert(uow, group, who, transcript, state, now)
            else:
                return hm.OutcomeFailed("not available")
        except Invalid as error:
            log.warning("call-in %s outcome failed: %s", record.call_sid, error)
            return hm.OutcomeFailed(str(error))
        record.state["reference"] = reference
        record.state["late_transcript"] = "transcript" not in record.state
        return hm.OutcomeStored(reference)

    async def _alert(
        self,
        uow: UnitOfWork,
        group: str,
        who: str,
        transcript: str,
        state: hm.Conversation,
        now: datetime,
    ) -> str:
        policy = EscalationPolicy(name=f"group {group}", tiers=(group,))
        tiers = await snapshot_tiers(uow, policy, now)
        targets = [t for tier in tiers for t in tier.targets]
        body = f"Hotline alert for {group} from {who}: {transcript}. Recording: {state.recording}"
        numbers = list(dict.fromkeys(n for t in targets for n in (t.sms or (t.phone,))))
        for number in numbers:
            uow.jobs.enqueue(
                "send_sms",
                {"to": number, "body": body[:1500]},
                run_at=now,
                deadline=now + NOTICE_DEADLINE,
            )
        emails = list(dict.fromkeys(t.email for t in targets if t.email))
        if emails and self.config.email_enabled:
            uow.jobs.enqueue(
                "send_email",
                {"to": emails, "subject": f"Hotline alert for {group}", "body": body},
                run_at=now,
                deadline=now + NOTICE_DEADLINE,
            )
        return f"alert to {len(numbers)} phone(s)"

    async def _check_pin(self, uow: UnitOfWork, record: CallRecord, command: hm.VerifyPin) -> bool:
        person: Person | None = None
        if command.number is not None:
            number = self._normalise(command.number)
            person = await self._person_by_number(uow, number) if number else None
            if person is not None and await self._allowed(uow, person):
                record.person, record.caller = person.name, number or record.caller
            else:
                person = None
        elif record.person is not None:
            person = await uow.directory.get_person(record.person)
        if person is None or not person.pin_hash:
            return False
        return verify_pin(person.pin_hash, command.pin)

    def _normalise(self, raw: str) -> str | None:
        if raw.strip().lower() in WITHHELD:
            return None
        try:
            return phones.normalise(raw, self.config.region, field="From")
        except Invalid:
            return None

    async def _authorise(
        self, uow: UnitOfWork, caller: str | None
    ) -> tuple[Person | None, hm.Access]:
        config = self.config
        if caller is None:
            ask = config.withheld == "ask"
            return None, hm.Access.NEEDS_NUMBER_AND_PIN if ask else hm.Access.REFUSED
        person = await self._person_by_number(uow, caller)
        if config.callers == "everyone":
            if config.require_pin and person is not None and person.pin_hash:
                return person, hm.Access.NEEDS_PIN
            return person, hm.Access.AUTHORISED
        if person is None or not await self._allowed(uow, person):
            return person, hm.Access.REFUSED
        if config.require_pin:
            access = hm.Access.NEEDS_PIN if person.pin_hash else hm.Access.REFUSED
            return person, access
        return person, hm.Access.AUTHORISED

    async def _allowed(self, uow: UnitOfWork, person: Person) -> bool:
        if self.config.callers != "groups":
            return True
        groups = {g.name: g for g in await uow.directory.list_groups()}
        rotations = {r.name: r for r in await uow.directory.list_rotations()}
        return any(
            _member(groups, rotations, name, person.name, set())
            for name in self.config.caller_groups
        )

    @staticmethod
    async def _person_by_number(uow: UnitOfWork, number: str) -> Person | None:
        for person in await uow.directory.list_people():
            if person.active and any(p.voice and p.number == number for p in person.phones):
                return person
        return None

    async def _menu(self, uow: UnitOfWork, now: datetime) -> Menu:
        directory_groups = {g.name: g for g in await uow.directory.list_groups()}
        names = list(self.config.groups) or sorted(directory_groups)[:9]
        names = [n for n in names if n in directory_groups]
        reachable = await uow.directory.load_for_oncall(names, now) if names else None
        groups = tuple(
            MenuGroup(
                name=n,
                spoken=directory_groups[n].say_name,
                on_call=bool(reachable and oncall(reachable, n, now)),
            )
            for n in names
        )
        return Menu(
            actions=self.config.actions,
            groups=groups,
            default_severity=self.config.default_severity,
            max_recording=self.config.max_recording,
        )


def _member(
    groups: dict[str, Group], rotations: dict[str, Any], group: str, person: str, seen: set[str]
) -> bool:
    if group in seen or group not in groups:
        return False
    seen.add(group)
    for m in groups[group].members:
        if isinstance(m, PersonMember) and m.person == person:
            return True
        rotation = rotations.get(m.rotation) if isinstance(m, RotationMember) else None
        if rotation is not None and person in rotation.participants:
            return True
        if isinstance(m, GroupMember) and _member(groups, rotations, m.group, person, seen):
            return True
    return False


def _snippet(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
