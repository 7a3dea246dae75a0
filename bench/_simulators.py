"""The benchmarks' Twilio simulator, in the server process or in one of its own.

One small interface to drive and read either (:class:`SimulatorControl`): the simulator
mounted in the server (:class:`InlineSimulator`, Hotline's demo shape), or ``hotline
simulator`` started as a child process (:func:`simulator_process`, the production shape: the
carrier is not inside Hotline's process) and driven over its test API
(:class:`SimulatorClient`). Run as a script, this file is the child process that waits for a
separate simulator's calls to end (see :meth:`SimulatorClient.wait_over`).

Importing this module needs the standard library only, as for ``bench/_common.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from hotline.simulator import PhoneScript, Simulator

# a call leg in one of these statuses is over (Twilio's final call statuses)
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
SimulatorMode = Literal["inline", "process"]


class SimulatorControl(Protocol):
    """What a bench does with the simulator, wherever it runs."""

    async def set_script(self, number: str, script: PhoneScript) -> None:
        """How the virtual phone ``number`` behaves from its next call on."""

    async def calls(self) -> list[dict[str, Any]]:
        """Every call leg, oldest first, in Twilio's REST JSON shape."""

    async def call_log(self, sid: str) -> list[dict[str, Any]]:
        """The call log of one leg (``at`` in ISO 8601 with ms, ``kind``, ...)."""

    async def wait_over(self, count: int, until: float) -> bool:
        """Wait (until the POSIX time ``until``) for ``count`` call legs to exist and all
        of them to be over; False when they were not by then."""


class InlineSimulator:
    """:class:`SimulatorControl` of the simulator mounted in the server process."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    async def set_script(self, number: str, script: PhoneScript) -> None:
        self.simulator.set_script(number, script)

    async def calls(self) -> list[dict[str, Any]]:
        return self.simulator.calls

    async def call_log(self, sid: str) -> list[dict[str, Any]]:
        return self.simulator.call_log(sid)

    async def wait_over(self, count: int, until: float) -> bool:
        # over: every leg ended and its final status callbacks were answered
        engine = self.simulator.engine
        while len(engine.calls) < count:
            if time.time() > until:
                return False
            await asyncio.sleep(0.05)
        try:
            await self.simulator.idle(timeout=max(until - time.time(), 0.1))
        except TimeoutError:
            return False
        return True


class SimulatorClient:
    """:class:`SimulatorControl` of a simulator in another process, over its test API
    (``/_sim``, Basic auth with the account SID and auth token)."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str) -> None:
        import httpx

        self.base_url = base_url
        self.auth = (account_sid, auth_token)
        self.http = httpx.AsyncClient(
            base_url=base_url,
            auth=self.auth,
            timeout=httpx.Timeout(30, pool=None),  # many requests at once queue for a slot
            limits=httpx.Limits(max_connections=8),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _get(self, path: str) -> Any:
        response = await self.http.get(path)
        response.raise_for_status()
        return response.json()

    async def set_script(self, number: str, script: PhoneScript) -> None:
        response = await self.http.put(f"/_sim/phones/{number}", json=script.to_mapping())
        response.raise_for_status()

    async def calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = (await self._get("/_sim/calls"))["calls"]
        return calls

    async def call_log(self, sid: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self._get(f"/_sim/calls/{sid}/log"))["entries"]
        return entries

    async def wait_over(self, count: int, until: float) -> bool:
        """Polls from a child process (this file run as a script), so the polling (a JSON
        list of every leg, megabytes at a thousand incidents) takes neither CPU time nor
        event-loop time from the process that runs the server."""
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "wait-over",
            self.base_url,
            str(count),
            repr(until),
            env={
                **os.environ,
                "TWILIO_ACCOUNT_SID": self.auth[0],
                "TWILIO_AUTH_TOKEN": self.auth[1],
            },
        )
        code = await child.wait()
        if code not in (0, 1):
            raise RuntimeError(f"waiting for the simulator's calls failed (exit status {code})")
        return code == 0


TAIL = 64  # legs few enough to wait for one by one


async def poll_over(client: Any, count: int, until: float) -> bool:
    """:meth:`SimulatorClient.wait_over` with an ``httpx.AsyncClient`` of the test API.

    Over: ``count`` legs exist and each one is in a final status. The list of every leg
    (megabytes at a thousand incidents, 0.1 s of the simulator's time for 2,000 legs) is
    asked for less often as it grows. Once at most ``TAIL`` legs are not over, or turned
    over since the previous look, those are waited for one by one (``/wait``), which also
    waits for their final status callbacks to be answered, as the in-process simulator's
    ``idle`` does for every leg, so the call logs read next are complete. (Not waited for:
    a leg seen over at an earlier look whose final callback still queues behind others'.
    The simulator's webhook slots are first come, first served, so that callback was most
    likely answered before those of the legs waited for last.)
    """

    async def ended(sid: str) -> None:
        left = max(until - time.time(), 0.1)
        waited = await client.get(
            f"/_sim/calls/{sid}/wait", params={"timeout": left}, timeout=left + 10
        )
        if waited.status_code == 408:  # not over within the time left
            raise TimeoutError
        waited.raise_for_status()

    recent: set[str] | None = None  # legs not over at the previous look (None: no look yet)
    try:
        async with asyncio.timeout(max(until - time.time(), 0.0)):
            while True:
                response = await client.get("/_sim/calls")
                response.raise_for_status()
                legs = response.json()["calls"]
                sids = {c["sid"] for c in legs}
                running = {c["sid"] for c in legs if c["status"] not in FINAL_STATUSES}
                suspects = running | (sids if recent is None else recent & sids)
                if len(legs) >= count and len(suspects) <= TAIL:
                    if not suspects:
                        return True
                    await asyncio.gather(*(ended(sid) for sid in suspects))
                    recent = set()  # all of them over, callbacks answered: look again
                    continue
                recent = running
                await asyncio.sleep(min(max(len(legs) / 4000, 0.05), 0.5))
    except TimeoutError:
        return False


def _wait_over_main(base_url: str, count: int, until: float) -> int:
    import httpx

    async def run() -> bool:
        auth = (os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
        async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=30) as client:
            return await poll_over(client, count, until)

    from _common import run_loop  # not at import: _common imports this module

    return 0 if run_loop(run()) else 1


@contextlib.asynccontextmanager
async def simulator_process(
    *,
    port: int,
    number: str,
    time_scale: float,
    account_sid: str,
    auth_token: str,
    public_url: str,
    launcher: Sequence[str] = (),
) -> AsyncIterator[SimulatorClient]:
    """``hotline simulator`` in a child process on loopback ``port``, owning ``number``
    (its inbound calls go to the Hotline at ``public_url``); stopped (SIGTERM, then SIGKILL
    after 10 s) on the way out. Its output goes to a temporary file, shown if it fails to
    start. ``launcher``: the command that takes ``hotline simulator``'s arguments, when not
    ``hotline simulator`` itself (a bench's variant of the simulator)."""
    command = list(launcher) or [str(Path(sys.prefix) / "bin" / "hotline"), "simulator"]
    with tempfile.TemporaryFile() as output:
        child = await asyncio.create_subprocess_exec(
            *command,
            "--port",
            str(port),
            "--number",
            number,
            "--time-scale",
            repr(time_scale),
            "--voice-url",
            f"{public_url}/voice/incoming",
            "--status-callback",
            f"{public_url}/voice/status",
            env={**os.environ, "TWILIO_ACCOUNT_SID": account_sid, "TWILIO_AUTH_TOKEN": auth_token},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
        client = SimulatorClient(f"http://127.0.0.1:{port}", account_sid, auth_token)
        try:
            await _answering(child, client, output)
            yield client
        finally:
            await client.aclose()
            if child.returncode is None:
                child.terminate()
                try:
                    await asyncio.wait_for(child.wait(), 10)
                except TimeoutError:
                    child.kill()
                    await child.wait()


async def _answering(
    child: asyncio.subprocess.Process, client: SimulatorClient, output: Any
) -> None:
    """Wait until the simulator answers its test API (30 s at most)."""
    import httpx

    started = time.monotonic()
    while True:
        if child.returncode is not None or time.monotonic() - started > 30:
            output.seek(0)
            said = output.read().decode(errors="replace").strip()
            state = (
                f"exited with status {child.returncode}"
                if child.returncode is not None
                else "did not answer within 30 s"
            )
            raise RuntimeError(f"the simulator {state}:\n{said}")
        try:
            await client.calls()
            return
        except httpx.TransportError:
            await asyncio.sleep(0.05)


if __name__ == "__main__":  # the child process of SimulatorClient.wait_over
    if len(sys.argv) != 5 or sys.argv[1] != "wait-over":
        sys.exit("usage: _simulators.py wait-over SIMULATOR_URL COUNT UNTIL (credentials in env)")
    sys.exit(_wait_over_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
