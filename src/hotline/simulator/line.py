"""One call leg's line: its simulated clock, its hang-up and redirect signals, its keypad.

Every wait of a leg goes through its ``Line`` so that a hang-up (by the phone, the other
party, the REST API) or a REST redirect interrupts whatever the leg is doing: waits raise
``HungUp`` or ``Redirected``. Waits are simulated seconds multiplied by ``scale``.

Simulated time is exact for scripted behaviour: a wait that runs its full length counts
its nominal length, scripted input arrives at its scheduled simulated instant, and
hang-up deadlines (``hang_up_after``) end the wait that reaches them. Wall time spent on
the leg's own HTTP requests counts as itself; other wall time (waiting for another leg)
counts ``1/scale`` times.

Input (key presses, recorded speech, a hang-up request in a script) is accepted only while
a prompt listens (``listen``/``stop_listening``); anything else is dropped, as a real
carrier drops DTMF outside ``<Gather>``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Any


class Interrupt(Exception):
    """The leg must stop what it is doing."""


class HungUp(Interrupt):
    """The line is gone; ``reason`` says who ended it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Redirected(Interrupt):
    """The REST API gave the leg new TwiML; take it with ``Line.take_redirect``."""


@dataclass(frozen=True, slots=True)
class Keys:
    """DTMF keys pressed together."""

    keys: str


@dataclass(frozen=True, slots=True)
class Speech:
    """The phone spoke for ``duration`` simulated seconds; ``wav`` is what it said."""

    wav: bytes
    duration: float


@dataclass(frozen=True, slots=True)
class HangUpRequest:
    """A scripted phone hangs up when this input is read (ordered after other input)."""


Input = Keys | Speech | HangUpRequest
BRIDGE_PROMPT = -1  # the prompt number input goes to while bridged with hangupOnStar


class Line:
    """Signals and clock of one leg; create it inside the running event loop."""

    def __init__(self, scale: float, origin: float = 0.0) -> None:
        if scale <= 0:
            raise ValueError("time scale must be > 0")
        self.scale = scale
        self.origin = origin  # simulated time of the call tree at which this line began
        self.follow: list[Line] = []  # lines whose time a wait they end carries over
        self._loop = asyncio.get_running_loop()
        self._wake: asyncio.Future[None] = self._loop.create_future()
        self.ended: asyncio.Future[str] = self._loop.create_future()
        self.hangup_reason: str | None = None
        self._hung_up_at: float | None = None
        self._redirect: Any = None
        self._deadlines: list[tuple[float, str]] = []
        self._inputs: deque[Input] = deque()
        self._scheduled: list[tuple[float, Input]] = []
        self._waiter: asyncio.Future[None] | None = None
        self.prompt: int | None = None
        self._elapsed = 0.0  # simulated time at the last event (the anchor)
        self._anchor = 0.0  # wall clock of the last event, while waits are in progress
        self._waits = 0  # waits in progress (hold music can wait beside the main verb)

    # -- clock ---------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated seconds since the line was created.

        Time passes only while the leg waits. When a wait runs its full length, the time
        becomes exactly its start plus its length; a wait ended by another leg (a future
        of one of ``follow``, or a hang-up ``at`` a time) takes that leg's time; otherwise
        the wall time since the last event counts ``1/scale`` times. The leg's own HTTP
        requests count their wall time. Processing counts nothing.
        """
        if self._waits:
            return self._elapsed + (time.monotonic() - self._anchor) / self.scale
        return self._elapsed

    def absolute(self) -> float:
        """Simulated time in the call tree (``origin`` + ``now``)."""
        return self.origin + self.now()

    def committed(self) -> float:
        """Call-tree time of this line's last event (what other legs follow)."""
        return self.origin + self._elapsed

    def add_http(self, seconds: float) -> None:
        """Count ``seconds`` of wall time spent on this leg's HTTP (unscaled)."""
        self._elapsed = self.now() + seconds
        self._anchor = time.monotonic()

    def hang_up_after(self, seconds: float, reason: str) -> None:
        """Hang up with ``reason`` once ``seconds`` more simulated seconds have passed."""
        self._deadlines.append((self.now() + seconds, reason))
        self._deadlines.sort()

    # -- interrupts ----------------------------------------------------------------------

    def hang_up(self, reason: str, at: float | None = None) -> None:
        """End the line (idempotent: the first reason wins). Another leg ending it gives
        ``at``, its call-tree time, which a wait this ends takes as its end."""
        if self.hangup_reason is not None:
            return
        self.hangup_reason = reason
        self._hung_up_at = at
        self.ended.set_result(reason)
        self._signal()

    def redirect(self, target: Any) -> None:
        """Ask the leg to drop its current TwiML for ``target`` (ignored once hung up)."""
        if self.hangup_reason is None:
            self._redirect = target
            self._signal()

    def take_redirect(self) -> Any:
        """The pending redirect target, cleared; the line can be waited on again."""
        target, self._redirect = self._redirect, None
        if self._wake.done() and self.hangup_reason is None:
            self._wake = self._loop.create_future()
        return target

    def check(self) -> None:
        """Raise ``HungUp`` or ``Redirected`` if the leg was interrupted."""
        if self.hangup_reason is None and self._deadlines and self._deadlines[0][0] <= self.now():
            self.hang_up(self._deadlines[0][1])
        if self.hangup_reason is not None:
            raise HungUp(self.hangup_reason)
        if self._redirect is not None:
            raise Redirected()

    def _signal(self) -> None:
        if not self._wake.done():
            self._wake.set_result(None)

    # -- waits ---------------------------------------------------------------------------

    async def _wait(self, futures: set[asyncio.Future[Any]], seconds: float | None) -> bool:
        """Wait for one of ``futures`` at most ``seconds``; True if the time ran out.

        A hang-up deadline that comes first ends the wait with ``HungUp``.
        """
        self.check()
        if any(f.done() for f in futures):
            return False
        begin = self._begin_wait()
        ended_at, by_another_leg = None, False
        try:
            limit, reason = seconds, None
            if self._deadlines:
                left = max(0.0, self._deadlines[0][0] - begin)
                if limit is None or left < limit:
                    limit, reason = left, self._deadlines[0][1]
            timeout = None if limit is None else limit * self.scale
            done, _ = await asyncio.wait(
                {*futures, self._wake}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            timed_out = not done
            ended_at = begin + limit if timed_out and limit is not None else None
            by_another_leg = bool(done - {self._wake})
        finally:
            self._end_wait(ended_at, by_another_leg)
        if timed_out and reason is not None:
            self.hang_up(reason)
        self.check()
        return timed_out

    def _begin_wait(self) -> float:
        """Start a wait; its simulated start time."""
        if self._waits == 0:
            self._anchor = time.monotonic()
        self._waits += 1
        return self.now()

    def _end_wait(self, ended_at: float | None, by_another_leg: bool) -> None:
        """Close a wait. ``ended_at``: its exact end, when it ran its full length;
        ``by_another_leg``: one of its futures ended it (then ``follow`` gives the time)."""
        if ended_at is not None:
            self._elapsed = max(self._elapsed, ended_at)
        elif by_another_leg and self.follow:
            followed = max(line.committed() for line in self.follow) - self.origin
            self._elapsed = max(self._elapsed, followed)
        elif self._hung_up_at is not None:
            self._elapsed = max(self._elapsed, self._hung_up_at - self.origin)
        else:
            self._elapsed = self.now()
        self._anchor = time.monotonic()
        self._waits -= 1

    async def pause(self, seconds: float, *, barge_in: bool = False) -> bool:
        """Wait ``seconds``; with ``barge_in``, return True early when input arrives."""
        self.check()
        if barge_in and self._inputs:
            return True
        if seconds > 0:
            await self._wait({self._input_waiter()} if barge_in else set(), seconds)
        return barge_in and bool(self._inputs)

    async def until(self, *futures: asyncio.Future[Any], seconds: float | None = None) -> bool:
        """Wait until one of ``futures`` is done, at most ``seconds`` (None: no limit).

        True if one is done; a wait with no future only ends by timeout or interrupt.
        """
        await self._wait(set(futures), seconds)
        return any(f.done() for f in futures)

    async def bridged(
        self,
        *ends: asyncio.Future[Any],
        seconds: float | None,
        hang_up_on_star: bool = False,
    ) -> str:
        """Stay connected to another party until one of ``ends`` is done (``"ended"``),
        ``seconds`` pass (``"time-limit"``) or, with ``hang_up_on_star``, the phone
        presses ``*`` (``"star"``)."""
        started = self.now()
        if hang_up_on_star:
            self.listen(BRIDGE_PROMPT)
        try:
            while True:
                left = None if seconds is None else seconds - (self.now() - started)
                if left is not None and left <= 0:
                    return "time-limit"
                waiter = {self._input_waiter()} if hang_up_on_star else set()
                await self._wait({*ends, *waiter}, left)
                if any(end.done() for end in ends):
                    return "ended"
                while self._inputs:
                    item = self._inputs.popleft()
                    if isinstance(item, Keys) and "*" in item.keys:
                        return "star"
        finally:
            if hang_up_on_star:
                self.stop_listening()

    async def read(self, seconds: float | None) -> Input | None:
        """The next input, waiting at most ``seconds``; None when nothing came."""
        self.check()
        if self._inputs:
            return self._inputs.popleft()
        if self._scheduled:
            due, item = self._scheduled[0]
            delay = max(0.0, due - self.now())
            if seconds is None or delay <= seconds:
                if await self._wait({self._input_waiter()}, delay) or not self._inputs:
                    self._scheduled.pop(0)
                    return item
                return self._inputs.popleft()
        if seconds is not None and seconds <= 0:
            return None
        await self._wait({self._input_waiter()}, seconds)
        return self._inputs.popleft() if self._inputs else None

    # -- input ---------------------------------------------------------------------------

    def listen(self, prompt: int) -> None:
        """Accept input for ``prompt`` from now on."""
        self.prompt = prompt
        self._inputs.clear()
        self._scheduled.clear()

    def stop_listening(self) -> None:
        """Drop pending input and refuse more until the next ``listen``."""
        self.prompt = None
        self._inputs.clear()
        self._scheduled.clear()

    def push(self, item: Input, prompt: int | None = None) -> bool:
        """Deliver input for ``prompt`` (None: whatever prompt listens); False if dropped."""
        if self.hangup_reason is not None or self.prompt is None:
            return False
        if prompt is not None and prompt != self.prompt:
            return False
        self._inputs.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return True

    def schedule(self, seconds: float, item: Input, prompt: int) -> None:
        """Deliver ``item`` to ``prompt`` after ``seconds`` of simulated time (scripts)."""
        if self.hangup_reason is None and prompt == self.prompt:
            self._scheduled.append((self.now() + seconds, item))
            self._scheduled.sort(key=lambda entry: entry[0])

    def _input_waiter(self) -> asyncio.Future[None]:
        if self._waiter is None or self._waiter.done():
            self._waiter = self._loop.create_future()
        return self._waiter
