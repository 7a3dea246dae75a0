"""``hotline simulator``: the standalone server and ``call`` against a running one."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from hotline.simulator import Simulator
from hotline.simulator.cli import app, render
from hotline.simulator.sids import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN

from .conftest import ACCOUNT_SID, AUTH_TOKEN, CALLER, NUMBER, TwimlApp, serve, stop

ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}


async def test_call_prints_what_happened(
    sim: Simulator, twiml_app: TwimlApp, tmp_path: Path
) -> None:
    sim.configure_number(
        NUMBER,
        voice_url=twiml_app.route(
            "/in",
            '<Response><Gather action="/got" numDigits="1"><Say>Welcome. Press 1.</Say>'
            "</Gather></Response>",
        ),
    )
    twiml_app.route("/got", "<Response><Say>Thanks</Say></Response>")
    script = tmp_path / "caller.yaml"
    script.write_text("digits: ['1']\n")
    server, task, base = await serve(sim.asgi)
    try:
        args = [
            "call",
            "--from",
            CALLER,
            "--to",
            NUMBER,
            "--script",
            str(script),
            "--simulator",
            base,
        ]
        result = await asyncio.to_thread(CliRunner().invoke, app, args, env=ENV)
        unknown = await asyncio.to_thread(
            CliRunner().invoke, app, [*args[:4], "+15550009999", *args[5:]], env=ENV
        )
    finally:
        await stop(server, task)
    assert result.exit_code == 0, result.output
    assert 'says "Welcome. Press 1."' in result.output
    assert "presses 1" in result.output
    assert 'says "Thanks"' in result.output
    assert result.output.rstrip().endswith("outcome: completed, 3 s")
    assert unknown.exit_code == 1 and "is not a number of this simulator" in unknown.output


def test_call_reports_an_unreachable_simulator_and_a_bad_script(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = ["call", "--from", CALLER, "--to", NUMBER, "--simulator", f"http://127.0.0.1:{port}"]
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == 1 and "cannot reach" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: sleepy\n")
    result = CliRunner().invoke(app, [*args, "--script", str(bad)], env=ENV)
    assert result.exit_code == 1 and "bad script" in result.output


def test_render_reads_like_a_transcript() -> None:
    entries = [
        {"t": 0.0, "leg": "CA1", "kind": "leg", "direction": "inbound", "from": "+1", "to": "+2"},
        {"t": 0.1, "leg": "CA1", "kind": "say", "text": "Hello"},
        {"t": 1.5, "leg": "CA1", "kind": "digits", "digits": "12"},
        {"t": 2.0, "leg": "CA2", "kind": "status", "status": "ringing"},
        {"t": 2.0, "leg": "CA2", "kind": "beep"},
    ]
    lines = render(entries)
    assert lines[1].split() == ["0.1s", "leg1", "says", '"Hello"']
    assert "presses 12" in lines[2]
    assert lines[3].split()[1] == "leg2"
    assert len(lines) == 4  # beeps are left out


def test_standalone_server_with_demo_credentials() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    code = "from hotline.simulator.cli import app; app()"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "--port",
            str(port),
            "--number",
            NUMBER,
            "--voice-url",
            "http://127.0.0.1:9/voice",
            "--time-scale",
            "0.01",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(
                    f"{base}/2010-04-01/Accounts/{DEMO_ACCOUNT_SID}/IncomingPhoneNumbers.json",
                    auth=(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN),
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        (number,) = response.json()["incoming_phone_numbers"]
        assert number["phone_number"] == NUMBER
        assert number["voice_url"] == "http://127.0.0.1:9/voice"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert f"TWILIO_ACCOUNT_SID={DEMO_ACCOUNT_SID}" in output
    assert f"TWILIO_AUTH_TOKEN={DEMO_AUTH_TOKEN}" in output
    assert len(DEMO_ACCOUNT_SID) == 34 and len(DEMO_AUTH_TOKEN) == 32
