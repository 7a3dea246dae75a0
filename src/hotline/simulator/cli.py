"""``hotline simulator``: run the fake carrier standalone, or make it place a call.

    hotline simulator --port 8080 --number +15550000001 --voice-url http://127.0.0.1:8000/voice/incoming
    hotline simulator call --from +15557654321 --to +15550000001 --script caller.yaml

Credentials come from ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN`` (demo values when
unset); point Hotline at the simulator with ``TWILIO_API_BASE_URL``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from hotline.simulator.scripts import PhoneScript
from hotline.simulator.sids import demo_credentials
from hotline.simulator.simulator import Simulator

WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - listening everywhere: infer the URL

app = typer.Typer(
    help="Twilio-compatible fake carrier: REST API, TwiML, virtual phones.",
    add_completion=False,
    pretty_exceptions_enable=False,
)


def credentials() -> tuple[str, str]:
    """(account SID, auth token) from the environment, else the demo values."""
    demo_sid, demo_token = demo_credentials()
    return (
        os.environ.get("TWILIO_ACCOUNT_SID") or demo_sid,
        os.environ.get("TWILIO_AUTH_TOKEN") or demo_token,
    )


def _script(path: Path | None) -> PhoneScript | None:
    if path is None:
        return None
    try:
        return PhoneScript.load(path)
    except (OSError, ValueError) as error:
        typer.echo(f"hotline simulator: bad script {path}: {error}", err=True)
        raise typer.Exit(1) from None


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8080,
    number: Annotated[
        list[str] | None, typer.Option("--number", help="A number it owns (repeatable).")
    ] = None,
    voice_url: Annotated[
        str | None, typer.Option(help="Voice URL of the --number numbers.")
    ] = None,
    status_callback: Annotated[
        str | None, typer.Option(help="Status callback of the --number numbers.")
    ] = None,
    time_scale: Annotated[
        float, typer.Option(help="Multiplies every simulated wait.", min=0.0001)
    ] = 1.0,
    default_script: Annotated[
        Path | None, typer.Option(help="Script (YAML/JSON) of phones without their own.")
    ] = None,
) -> None:
    """Run the simulator (when no command is given)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    sid, token = credentials()
    sim = Simulator(
        sid,
        token,
        numbers=number or (),
        time_scale=time_scale,
        default_script=_script(default_script),
        public_base_url=None if host in WILDCARDS else f"http://{host}:{port}",
    )
    for owned in number or ():
        sim.configure_number(owned, voice_url=voice_url, status_callback=status_callback)
    typer.echo(f"Twilio simulator on http://{host}:{port} (TWILIO_API_BASE_URL)")
    typer.echo(f"  TWILIO_ACCOUNT_SID={sid}")
    typer.echo(f"  TWILIO_AUTH_TOKEN={token}")
    for owned in number or ():
        typer.echo(f"  number {owned} -> {voice_url or '(no voice URL)'}")

    class Server(uvicorn.Server):
        """Stops on SIGINT/SIGTERM and returns (uvicorn would re-raise the signal after
        its shutdown, skipping the simulator's own)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.handle_exit, sig, None)
            try:
                yield
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

    async def main() -> None:
        async with sim:
            config = uvicorn.Config(sim.asgi, host=host, port=port, lifespan="off", ws="none")
            await Server(config).serve()

    asyncio.run(main())


@app.command()
def call(
    from_: Annotated[str, typer.Option("--from", help="The calling virtual phone.")],
    to: Annotated[str, typer.Option("--to", help="A number the simulator owns.")],
    script: Annotated[Path | None, typer.Option(help="How the caller behaves (YAML/JSON).")] = None,
    simulator: Annotated[
        str, typer.Option(help="Base URL of the running simulator.")
    ] = "http://127.0.0.1:8080",
    wait: Annotated[float, typer.Option(help="Seconds to wait for the call to end.")] = 300.0,
) -> None:
    """Call a number of a running simulator, wait for the end, print the call log."""
    caller = _script(script)
    body: dict[str, Any] = {"from": from_, "to": to}
    if caller is not None:
        body["script"] = caller.to_mapping()
    try:
        with httpx.Client(base_url=simulator, auth=credentials(), timeout=30) as client:
            made = client.post("/_sim/inbound", json=body)
            _check(made)
            call_sid = made.json()["call_sid"]
            ended = client.get(
                f"/_sim/calls/{call_sid}/wait", params={"timeout": wait}, timeout=wait + 10
            )
            _check(ended)
            entries = client.get(f"/_sim/calls/{call_sid}/log").json()["entries"]
    except httpx.HTTPError as error:
        typer.echo(f"hotline simulator: cannot reach {simulator}: {error}", err=True)
        raise typer.Exit(1) from None
    for line in render(entries):
        typer.echo(line)
    result = ended.json()
    typer.echo(f"outcome: {result['status']}, {result['duration']} s")


def _check(response: httpx.Response) -> None:
    if response.status_code >= 400:
        try:
            message = response.json().get("message", response.text)
        except json.JSONDecodeError:
            message = response.text
        typer.echo(f"hotline simulator: {message}", err=True)
        raise typer.Exit(1)


def render(entries: list[dict[str, Any]]) -> list[str]:
    """A call log as lines a person reads: what was said, pressed, fetched, the outcome."""
    lines = []
    legs: dict[str, str] = {}
    for entry in entries:
        leg = legs.setdefault(entry["leg"], f"leg{len(legs) + 1}")
        text = _describe(entry)
        if text:
            lines.append(f"{entry['t']:8.1f}s  {leg:<5} {text}")
    return lines


def _describe(entry: dict[str, Any]) -> str | None:
    kind = entry["kind"]
    if kind == "leg":
        return f"{entry['direction']} call {entry['from']} -> {entry['to']} ({entry['leg']})"
    if kind == "status":
        return f"status {entry['status']}"
    if kind == "webhook":
        result = entry["status"] if entry["status"] is not None else entry.get("error")
        return f"{entry['purpose']}: {entry['method']} {entry['url']} -> {result}"
    if kind == "say":
        return f'says "{entry["text"]}"'
    if kind == "play":
        return f"plays {entry.get('url') or entry.get('digits')}"
    if kind in ("digits", "press"):
        return f"presses {entry['digits']}"
    if kind == "timeout":
        return f"no input at the {entry['prompt']}"
    if kind == "record":
        return f"recorded {entry['duration']} s ({entry['recording_sid']})"
    if kind == "transcription":
        return f'transcription {entry["status"]}: "{entry["text"]}"'
    if kind == "error":
        return f"application error {entry['code']}: {entry['message']}"
    if kind == "hangup":
        return f"hung up by {entry['by']}"
    if kind in ("dial", "bridge", "conference", "queue", "warning"):
        details = {k: v for k, v in entry.items() if k not in ("at", "t", "leg", "kind")}
        return f"{kind} {json.dumps(details)}"
    return None
