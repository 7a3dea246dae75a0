"""``<Enqueue>``, ``<Leave>`` targets and ``<Dial><Queue>`` (spec §1.11, §2.2, §2.4).

A caller in a queue hears its ``waitUrl`` TwiML, re-requested each time it runs out (it
loops, unlike a conference's), with ``QueuePosition``, ``QueueSid``, ``QueueTime``,
``AvgQueueTime``, ``CurrentQueueSize`` and ``MaxQueueSize``. It leaves the queue when
``<Leave>`` runs (``QueueResult=leave``), when the wait TwiML hangs up or fails (``error``),
when it hangs up (``hangup``), or when a ``<Dial><Queue>`` takes it: the ``<Queue url>``
TwiML runs on it, the two are bridged, and when the bridge ends ``QueueResult=bridged``.
The ``<Enqueue action>`` then gets ``QueueResult``, ``QueueSid`` and ``QueueTime``;
without an action the next verb runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.simulator.documents import AppError, Document, log_error
from hotline.simulator.formats import whole_seconds
from hotline.simulator.line import HungUp
from hotline.simulator.modes import Mode, Outcome
from hotline.simulator.records import Call
from hotline.simulator.sids import new_sid
from hotline.simulator.twiml import Node

if TYPE_CHECKING:
    from hotline.simulator.interpreter import Run

DEFAULT_HOLD_MUSIC = "twilio:classical-hold-music"
MAX_SIZE = 1000
MIN_WAIT_LOOP = 1.0  # simulated seconds between two waitUrl requests, at least


def _future() -> asyncio.Future[object]:
    return asyncio.get_running_loop().create_future()


@dataclass(frozen=True)
class Dequeue:
    """Who took a queued caller, and the ``<Queue url>`` to run on the caller first."""

    call: Call
    url: str | None
    method: str


@dataclass(eq=False)
class Member:
    call: Call
    enqueued_at: float
    dequeued: asyncio.Future[object] = field(default_factory=_future)  # a Dequeue
    announced: asyncio.Future[object] = field(default_factory=_future)  # ready to bridge
    released: asyncio.Future[object] = field(default_factory=_future)  # the dequeuer left

    def waited(self) -> float:
        return self.call.line.now() - self.enqueued_at


@dataclass(eq=False)
class Queue:
    name: str
    sid: str = field(default_factory=lambda: new_sid("QU"))
    max_size: int = MAX_SIZE
    members: list[Member] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    _arrival: asyncio.Future[object] = field(default_factory=_future)

    def add(self, call: Call) -> Member:
        member = Member(call, call.line.now())
        self.members.append(member)
        if not self._arrival.done():
            self._arrival.set_result(None)
        return member

    def remove(self, member: Member) -> None:
        if member in self.members:
            self.members.remove(member)
            self.waits.append(member.waited())

    def arrival(self) -> asyncio.Future[object]:
        """Resolves when the next caller joins."""
        if self._arrival.done():
            self._arrival = _future()
        return self._arrival

    def average_wait(self) -> int:
        return whole_seconds(sum(self.waits) / len(self.waits)) if self.waits else 0


class Queues:
    """Queues by name, created on first ``<Enqueue>``."""

    def __init__(self) -> None:
        self.by_name: dict[str, Queue] = {}

    def open(self, name: str) -> Queue:
        return self.by_name.setdefault(name, Queue(name))


async def _after(run: Run, verb: Node, params: dict[str, str]) -> Document | None:
    run.call.note("queue", event="left", **params)
    action = verb.get("action")
    if not action:
        return None
    return await run.load(run.resolve(action), verb.method(), params, purpose="enqueue-action")


async def enqueue(run: Run, verb: Node) -> Document | None:
    engine, call = run.engine, run.call
    if not verb.text:
        return await _after(run, verb, {"QueueResult": "error"})
    queue = engine.queues.open(verb.text)
    if len(queue.members) >= queue.max_size:
        return await _after(run, verb, {"QueueResult": "queue-full"})
    member = queue.add(call)
    position = len(queue.members)
    call.note("queue", event="enqueue", name=queue.name, position=position)
    hold = engine.spawn(_hold(run, verb, queue, member), call)
    result = "hangup"
    try:
        await call.line.until(member.dequeued, hold)
        if member.dequeued.done():
            await _stop(hold)
            dequeue = member.dequeued.result()
            assert isinstance(dequeue, Dequeue)
            await _announce(run, queue, member, dequeue)
            member.announced.set_result(None)
            result = "bridged"
            call.note("bridge", to=dequeue.call.sid, queue=queue.name)
            await call.line.bridged(member.released, dequeue.call.line.ended, seconds=None)
        else:
            outcome = hold.result()
            if outcome is Outcome.HANGUP:
                call.line.hang_up("application")
                call.line.check()
            result = "leave" if outcome is Outcome.LEAVE else "error"
    except HungUp:
        params = {"QueueResult": result, "QueueSid": queue.sid}
        params["QueueTime"] = str(whole_seconds(member.waited()))
        with contextlib.suppress(AppError):
            await _after(run, verb, params)  # requested; its TwiML is ignored
        raise
    finally:
        await _stop(hold)
        queue.remove(member)
        if not member.announced.done():
            member.announced.set_result(None)
    params = {"QueueResult": result, "QueueSid": queue.sid}
    params["QueueTime"] = str(whole_seconds(member.waited()))
    return await _after(run, verb, params)


async def _stop(task: asyncio.Task[object]) -> None:
    task.cancel()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await task


async def _hold(run: Run, verb: Node, queue: Queue, member: Member) -> object:
    """The waitUrl loop; returns how it ended (``Outcome`` or ``"error"``)."""
    call = run.call
    wait_url = verb.get("waitUrl")
    if wait_url is None or not wait_url.strip():
        if wait_url is None:
            call.note("play", url=DEFAULT_HOLD_MUSIC, loop=0)
        while True:  # silence until dequeued, redirected or hung up
            await call.line.until()
    url, method = run.resolve(str(wait_url)), verb.method("waitUrlMethod")
    while True:
        started = call.line.now()
        params = {
            "AvgQueueTime": str(queue.average_wait()),
            "CurrentQueueSize": str(len(queue.members)),
            "MaxQueueSize": str(queue.max_size),
            "QueuePosition": str(queue.members.index(member) + 1),
            "QueueSid": queue.sid,
            "QueueTime": str(whole_seconds(member.waited())),
        }
        try:
            document = await run.load(url, method, params, purpose="wait-url")
            outcome = await run.execute(document, Mode.QUEUE_WAIT)
        except AppError as error:
            log_error(call, error)
            return "error"
        if outcome in (Outcome.LEAVE, Outcome.HANGUP):
            return outcome
        spent = call.line.now() - started
        if spent < MIN_WAIT_LOOP:
            await call.line.pause(MIN_WAIT_LOOP - spent)


async def _announce(run: Run, queue: Queue, member: Member, dequeue: Dequeue) -> None:
    """Run ``<Queue url>`` on the dequeued caller before the bridge."""
    if dequeue.url is None:
        return
    params = {
        "DequeingCallSid": dequeue.call.sid,
        "QueueSid": queue.sid,
        "QueueTime": str(whole_seconds(member.waited())),
    }
    try:
        document = await run.load(dequeue.url, dequeue.method, params, purpose="queue-url")
        await run.execute(document, Mode.ANNOUNCE)
    except AppError as error:
        log_error(run.call, error)


async def dequeue(run: Run, verb: Node, noun: Node) -> dict[str, str]:
    """``<Dial><Queue>``: take the first caller waiting (up to the Dial timeout), bridge."""
    call = run.call
    queue = run.engine.queues.by_name.get(noun.text)
    if queue is None:
        call.note("queue", event="unknown", name=noun.text)
        return {"DialBridged": "false", "DialCallStatus": "failed"}
    ring_seconds, started = verb.integer("timeout", 30), call.line.now()
    while not (waiting := [m for m in queue.members if not m.dequeued.done()]):
        left = ring_seconds - (call.line.now() - started)
        if left <= 0:
            return {"DialBridged": "false", "DialCallStatus": "no-answer", "QueueSid": queue.sid}
        await call.line.until(queue.arrival(), seconds=left)
    member = waiting[0]
    url = noun.get("url")
    member.dequeued.set_result(Dequeue(call, run.resolve(url) if url else None, noun.method()))
    queue_time = str(whole_seconds(member.waited()))
    queue.remove(member)
    try:
        await call.line.until(member.announced, member.call.line.ended)
        if member.call.line.ended.done():
            return {
                "DialBridged": "false",
                "DialCallSid": member.call.sid,
                "DialCallStatus": "completed",
                "QueueSid": queue.sid,
                "QueueTime": queue_time,
            }
        bridged_at = call.line.now()
        call.note("bridge", to=member.call.sid, queue=queue.name)
        how = await call.line.bridged(
            member.call.line.ended,
            seconds=verb.integer("timeLimit", 14400),
            hang_up_on_star=verb.flag("hangupOnStar", False),
        )
        call.note("unbridge", reason=how)
    finally:
        if not member.released.done():
            member.released.set_result(None)
    return {
        "DialBridged": "true",
        "DialCallDuration": str(whole_seconds(call.line.now() - bridged_at)),
        "DialCallSid": member.call.sid,
        "DialCallStatus": "completed",
        "QueueSid": queue.sid,
        "QueueTime": queue_time,
    }
