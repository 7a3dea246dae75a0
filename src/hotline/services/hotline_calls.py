"""The call-in hotline shell: authorise the caller, drive the pure conversation machine,
persist it per CallSid and carry out what it decides, all in one transaction per webhook.

Each webhook loads the conversation (locked), rebuilds the :class:`Menu` from configuration
and the groups snapshotted when the call came in, feeds one event to
:func:`hotline_menu.decide`, executes the commands (PIN check, incident, alert, bridge, live
call) and saves the new state; the web layer renders the prompts. What the caller is handed
over to plugs in through :mod:`hotline.services.callin_ports`.

The outcome of a confirmed message waits for the carrier's transcript, at most
:attr:`HotlineConfig.transcript_wait`; past it the incident or alert goes out with
"transcript pending" and the transcript, when it comes, is added to the incident's timeline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from hotline.domain import hotline_menu as hm
from hotline.domain import voice as v
from hotline.domain.errors import Invalid
from hotline.domain.hotline_config import Action, Menu, MenuGroup
from hotline.domain.oncall import oncall
from hotline.ports import CallRecord, UnitOfWork
from hotline.services.callin_auth import CallerAuth
from hotline.services.callin_config import HotlineConfig
from hotline.services.callin_outcomes import (
    TRANSCRIPT_PENDING,
    TRANSCRIPTION_FAILED,
    Message,
    Outcomes,
)
from hotline.services.callin_ports import (
    BridgeHost,
    CarrierLinks,
    Forwarder,
    Handed,
    LiveCallStarter,
    RecordingLinks,
)
from hotline.services.conversation_codec import dump, load
from hotline.services.paging import PagingService
from hotline.services.wait_phrases import next_phrase

log = logging.getLogger("hotline.callin")

NOT_SET_UP = "Sorry, this line is not set up yet. Please contact your on-call team another way."


@dataclass(frozen=True)
class Reply:
    """What the web layer renders: the machine's prompts (already committed)."""

    prompts: tuple[hm.Prompt, ...]
    wait_phrase: str = ""


@dataclass(frozen=True)
class RecentCall:
    """One call-in call as the dashboard lists it."""

    call_sid: str
    caller: str
    person: str | None
    at: datetime
    stage: str
    action: str | None
    group: str | None
    reference: str | None  # the incident id, alert summary or bridge code it produced


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

    async def incoming(self, call_sid: str, from_: str, stir_verstat: str | None = None) -> Reply:
        """A call came in: authorise the caller (``stir_verstat``: Twilio's STIR/SHAKEN
        verdict, None when absent) and start (or repeat) the conversation."""

        async def work(uow: UnitOfWork, now: datetime) -> Reply:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is not None:  # a retried webhook: repeat where the call stands
                menu = await self._menu_for(uow, record, now)
                return Reply(hm.current_prompts(load(record.state["conversation"], menu)))
            try:
                menu = await self._menu(uow, now)
            except Invalid as error:
                log.warning("call-in %s refused: hotline not configured (%s)", call_sid, error)
                return Reply((v.Say(NOT_SET_UP), v.Hangup()))
            caller = self.auth.normalise(from_)
            person, access = await self.auth.authorise(uow, caller, now=now, verstat=stir_verstat)
            record = CallRecord(
                call_sid=call_sid,
                caller=caller or "withheld",
                person=person.name if person else None,
                state={"conversation": dump(hm.Conversation(menu)), "groups": _groups(menu)},
                created_at=now,
                updated_at=now,
            )
            if access is hm.Access.REFUSED:
                log.warning(
                    "call-in %s from %s refused: not authorised", call_sid, caller or "withheld"
                )
            return await self._feed(uow, record, menu, hm.Begin(access), now, new=True)

        return await self.paging.transact(work)

    async def event(self, call_sid: str, event: hm.Event) -> Reply:
        """Feed one caller event (keys, recording, hang-up, resume) to the conversation."""

        async def work(uow: UnitOfWork, now: datetime) -> Reply:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return Reply((v.Hangup(),))
            menu = await self._menu_for(uow, record, now)
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
            menu = await self._menu_for(uow, record, now)
            await self._hung_up_while_pending(uow, record, menu, now)
            if self.live_calls is not None and "live_call" in record.state:
                await self.live_calls.caller_gone(uow, call_sid, now)
            if self.bridges is not None and "bridge_id" in record.state:
                await self.bridges.host_gone(uow, record, now)
            await self._feed(uow, record, menu, hm.HungUp(), now)

        await self.paging.transact(work)

    async def wait(self, call_sid: str) -> Reply:
        """The caller holds while the outcome waits for the transcript (bounded)."""

        async def work(uow: UnitOfWork, now: datetime) -> Reply:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return Reply((v.Hangup(),))
            menu = await self._menu_for(uow, record, now)
            state = load(record.state["conversation"], menu)
            if state.stage is not hm.Stage.PENDING:
                return Reply(hm.current_prompts(state))
            since = datetime.fromisoformat(record.state.get("waiting_since") or now.isoformat())
            waiting = _transcript_of(record, state.recording) is None
            if waiting and now - since < self.config.transcript_wait:
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

    async def transcript(self, call_sid: str, text: str, ok: bool, recording: str = "") -> None:
        """A transcript of ``recording`` (its URL or id; "" = the call's latest recording)
        arrived from the carrier or the local engine: keep it with its recording (a caller
        who recorded again must not get the first take's words); when the message already
        went out without it, add it to the incident's timeline."""

        async def work(uow: UnitOfWork, now: datetime) -> None:
            record = await uow.conversations.get(call_sid, for_update=True)
            if record is None:
                return
            key = _key(recording or record.state["conversation"].get("recording") or "")
            transcripts = record.state.setdefault("transcripts", {})
            transcripts[key] = text if ok and text.strip() else ""
            record.updated_at = now
            await uow.conversations.save(record)
            incident_id = record.state.get("incident_id")
            sent = record.state.get("sent_recording")
            if incident_id is not None and record.state.get("late_transcript") and sent == key:
                incident = await uow.incidents.get(int(incident_id), for_update=True)
                if incident is not None:
                    detail = f"Transcript: {text}" if ok and text else "Transcription failed."
                    await self.paging.record(uow, incident, now, "transcript", detail)

        await self.paging.transact(work)

    # --- views ----------------------------------------------------------------------------

    async def menu(self) -> Menu:
        """The menu a call coming in now would hear. Raises ``Invalid`` when the line is not
        set up (e.g. actions that need groups, and no groups)."""
        async with self.paging.unit_of_work(read_only=True) as uow:
            return await self._menu(uow, self.paging.clock.now())

    async def recent_calls(self, limit: int = 50) -> list[RecentCall]:
        """The latest call-in calls, newest first, with what each one asked for."""
        async with self.paging.unit_of_work(read_only=True) as uow:
            records = await uow.conversations.recent(limit)
        return [_recent(record) for record in records]

    # --- internals ------------------------------------------------------------------------

    async def _feed(
        self,
        uow: UnitOfWork,
        record: CallRecord,
        menu: Menu,
        event: hm.Event,
        now: datetime,
        *,
        new: bool = False,
    ) -> Reply:
        """Feed ``event`` to the conversation, carry out its commands and store the result;
        ``new``: the record is not stored yet (one INSERT instead of an INSERT and an UPDATE)."""
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
        await (uow.conversations.add if new else uow.conversations.save)(record)
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
                # Keep the audio now: a local transcriber works on it while the caller waits.
                await self.links.link(uow, record, command.recording, now)
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
            transcript=_words(_transcript_of(record, state.recording)),
            recording=await self.links.link(uow, record, state.recording, now),
        )
        outcome: Handed
        try:
            if state.action is Action.INCIDENT:
                incident_id = await self.outcomes.incident(
                    uow, record, message, state.severity or 3, now
                )
                record.state["incident_id"] = incident_id
                if self.live_calls is not None and "live_call" in record.state:
                    await self.live_calls.incident_opened(uow, record, incident_id, now)
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
            record.state["sent_recording"] = _key(state.recording)
            record.state["late_transcript"] = _transcript_of(record, state.recording) is None
            if self.forwarder is not None and state.action is not None:
                await self.forwarder.forward(uow, state.action, message, state.severity, now)
        return outcome

    async def _menu_for(self, uow: UnitOfWork, record: CallRecord, now: datetime) -> Menu:
        """The menu of a call in progress: the groups (and who was reachable) as snapshotted
        when the call came in, so later webhooks read no directory data."""
        stored = record.state.get("groups")
        if stored is None:  # a conversation stored before snapshots existed
            return await self._menu(uow, now)
        return self._menu_with(tuple(MenuGroup(n, spoken, bool(up)) for n, spoken, up in stored))

    async def _menu(self, uow: UnitOfWork, now: datetime) -> Menu:
        """The menu as of ``now``: groups from configuration or the directory, each marked
        with whether anybody in it can be reached."""
        labels = await uow.directory.group_labels(self.config.groups or None)
        names = [n for n in self.config.groups if n in labels] or sorted(labels)[:9]
        reachable = await uow.directory.load_for_oncall(names, now) if names else None
        groups = tuple(
            MenuGroup(
                name=n,
                spoken=labels[n],
                on_call=bool(reachable and oncall(reachable, n, now)),
            )
            for n in names
        )
        return self._menu_with(groups)

    def _menu_with(self, groups: tuple[MenuGroup, ...]) -> Menu:
        return Menu(
            actions=self.config.actions,
            groups=groups,
            default_severity=self.config.default_severity,
            max_recording=self.config.max_recording,
            timeout=self.config.menu_timeout,
            phrases=self.config.phrases,
        )


def _groups(menu: Menu) -> list[list[object]]:
    return [[g.name, g.spoken, g.on_call] for g in menu.groups]


def _recent(record: CallRecord) -> RecentCall:
    talk = record.state.get("conversation", {})
    return RecentCall(
        call_sid=record.call_sid,
        caller=record.caller,
        person=record.person,
        at=record.created_at,
        stage=str(talk.get("stage", "")),
        action=talk.get("action"),
        group=talk.get("group"),
        reference=record.state.get("reference"),
    )


def _key(recording: str) -> str:
    """A recording's identity: the last part of its URL (the carrier's recording id)."""
    return recording.rstrip("/").rpartition("/")[2].removesuffix(".wav").removesuffix(".mp3")


def _transcript_of(record: CallRecord, recording: str | None) -> str | None:
    """The transcript of ``recording``: None while pending, "" when transcription failed."""
    transcripts: dict[str, str] = record.state.get("transcripts", {})
    return transcripts.get(_key(recording or ""))


def _words(transcript: str | None) -> str:
    if transcript is None:
        return TRANSCRIPT_PENDING
    return transcript or TRANSCRIPTION_FAILED
