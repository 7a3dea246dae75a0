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
from datetime import datetime
from typing import Protocol

from hotline.domain import hotline_menu as hm
from hotline.domain import voice as v
from hotline.domain.errors import Invalid
from hotline.domain.hotline_config import Action, Menu, MenuGroup
from hotline.domain.oncall import oncall
from hotline.ports import CallRecord, UnitOfWork
from hotline.services.callin_auth import CallerAuth
from hotline.services.callin_config import HotlineConfig
from hotline.services.callin_outcomes import TRANSCRIPT_PENDING, Message, Outcomes
from hotline.services.conversation_codec import dump, load
from hotline.services.paging import PagingService
from hotline.services.wait_phrases import next_phrase

log = logging.getLogger("hotline.callin")

NOT_SET_UP = "Sorry, this line is not set up yet. Please contact your on-call team another way."

Handed = hm.OutcomeStored | hm.OutcomeFailed


@dataclass(frozen=True)
class Reply:
    """What the web layer renders: the machine's prompts (already committed)."""

    prompts: tuple[hm.Prompt, ...]
    wait_phrase: str = ""


class LiveCallStarter(Protocol):
    """Starts the live-call hunt for a caller (the live-call capability)."""

    async def start(
        self, uow: UnitOfWork, record: CallRecord, group: str, now: datetime
    ) -> Handed: ...


class BridgeHost(Protocol):
    """Opens conference bridges and lets callers join them by code."""

    async def open(
        self, uow: UnitOfWork, record: CallRecord, message: Message, now: datetime
    ) -> Handed: ...

    async def join(
        self, uow: UnitOfWork, record: CallRecord, code: str, now: datetime
    ) -> hm.OutcomeStored | hm.CodeRejected: ...


class RecordingLinks(Protocol):
    """Turns a carrier recording into the link Hotline hands out (and keeps the audio)."""

    async def link(
        self, uow: UnitOfWork, record: CallRecord, recording_url: str, now: datetime
    ) -> str: ...


class Forwarder(Protocol):
    """Forwards a stored call-in event elsewhere (e.g. an xMatters inbound trigger)."""

    async def forward(
        self,
        uow: UnitOfWork,
        action: Action,
        message: Message,
        severity: int | None,
        now: datetime,
    ) -> None: ...


class CarrierLinks:
    """The default :class:`RecordingLinks`: the carrier's own recording URL."""

    async def link(
        self, uow: UnitOfWork, record: CallRecord, recording_url: str, now: datetime
    ) -> str:
        return recording_url


# --- the service --------------------------------------------------------------------------


class HotlineCalls:
    """The call-in conversation's shell; the optional collaborators plug in the actions
    that hand the caller over (live call, bridges), recording links and forwarding."""

    def __init__(
        self,
        paging: PagingService,
        config: HotlineConfig,
        *,
        live_calls: LiveCallStarter | None = None,
        bridges: BridgeHost | None = None,
        links: RecordingLinks | None = None,
        forwarder: Forwarder | None = None,
    ) -> None:
        self.paging = paging
        self.config = config
        self.auth = CallerAuth(config)
        self.outcomes = Outcomes(paging, config)
        self.live_calls = live_calls
        self.bridges = bridges
        self.links = links or CarrierLinks()
        self.forwarder = forwarder

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
            caller = self.auth.normalise(from_)
            person, access = await self.auth.authorise(uow, caller)
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
        """Feed one caller event (keys, recording, hang-up, resume) to the conversation."""

        async def work(uow: UnitOfWork, now: datetime) -> Reply:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return Reply((v.Hangup(),))
            menu = await self._menu(uow, now)
            if isinstance(event, hm.HungUp):
                await self._hung_up_while_pending(uow, record, menu, now)
            return await self._feed(uow, record, menu, event, now)

        return await self.paging.transact(work)

    async def resume(self, call_sid: str, action: Action | None = None) -> Reply:
        """A handed-over caller comes back: the main menu, or a message for an incident."""
        return await self.event(call_sid, hm.Resume(action))

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
        """A transcript arrived (carrier callback or local engine): keep it; when the
        outcome already went out without it, add it to the incident's timeline."""

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
            follow = await self._execute(uow, record, commands.pop(0), now)
            if follow is not None:
                nxt = hm.decide(state, follow, now)
                state, prompts = nxt.state, [*prompts, *nxt.prompts]
                commands.extend(nxt.commands)
        record.state["conversation"] = dump(state)
        record.updated_at = now
        await uow.conversations.save(record)
        return Reply(tuple(prompts))

    async def _execute(
        self, uow: UnitOfWork, record: CallRecord, command: hm.Command, now: datetime
    ) -> hm.Event | None:
        """Carry out one command; the event it answers with, if any."""
        match command:
            case hm.VerifyPin():
                return hm.PinChecked(await self.auth.check_pin(uow, record, command))
            case hm.Refused():
                log.warning("call-in %s refused: %s", record.call_sid, command.reason.value)
            case hm.SendAlert() | hm.CreateIncident() | hm.OpenConference():
                record.state["waiting_since"] = now.isoformat()  # the wait loop sends it
            case hm.StartLiveCall():
                if self.live_calls is None:
                    return hm.OutcomeFailed("live calls are not available")
                return await self.live_calls.start(uow, record, command.group, now)
            case hm.JoinBridge():
                if self.bridges is None:
                    return hm.OutcomeFailed("bridges are not available")
                return await self.bridges.join(uow, record, command.code, now)
        return None

    async def _hung_up_while_pending(
        self, uow: UnitOfWork, record: CallRecord, menu: Menu, now: datetime
    ) -> None:
        """A caller who hangs up after confirming still gets the message sent."""
        state = load(record.state["conversation"], menu)
        needs_message = state.action in (Action.ALERT, Action.INCIDENT, Action.CONFERENCE)
        if state.stage is hm.Stage.PENDING and needs_message and "reference" not in record.state:
            outcome = await self._execute_outcome(uow, record, state, now)
            record.state["conversation"] = dump(hm.decide(state, outcome, now).state)

    async def _execute_outcome(
        self, uow: UnitOfWork, record: CallRecord, state: hm.Conversation, now: datetime
    ) -> Handed:
        """Send the confirmed message on: incident, alert or bridge."""
        assert state.group is not None and state.recording is not None
        message = Message(
            group=state.group.name,
            who=record.person or record.caller,
            caller=record.caller,
            transcript=record.state.get("transcript") or TRANSCRIPT_PENDING,
            recording=await self.links.link(uow, record, state.recording, now),
        )
        outcome: Handed
        try:
            if state.action is Action.INCIDENT:
                incident_id = await self.outcomes.incident(
                    uow, record, message, state.severity or 3, now
                )
                record.state["incident_id"] = incident_id
                outcome = hm.OutcomeStored(str(incident_id))
            elif state.action is Action.ALERT:
                outcome = hm.OutcomeStored(await self.outcomes.alert(uow, message, now))
            elif state.action is Action.CONFERENCE and self.bridges is not None:
                outcome = await self.bridges.open(uow, record, message, now)
            else:
                outcome = hm.OutcomeFailed("not available")
        except Invalid as error:
            log.warning("call-in %s outcome failed: %s", record.call_sid, error)
            return hm.OutcomeFailed(str(error))
        if isinstance(outcome, hm.OutcomeStored):
            record.state["reference"] = outcome.reference
            record.state["late_transcript"] = "transcript" not in record.state
            if self.forwarder is not None and state.action is not None:
                await self.forwarder.forward(uow, state.action, message, state.severity, now)
        return outcome

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
            phrases=self.config.phrases,
        )
