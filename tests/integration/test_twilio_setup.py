"""`hotline twilio configure-number` and `hotline twilio check`, against the simulator."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from twilio.rest import Client

from tests.conftest import API_TOKEN
from tests.support.carrier import HOTLINE_NUMBER, RunningCarrier, free_port, running_carrier

HOTLINE = str(Path(sys.executable).with_name("hotline"))


@pytest.fixture
async def carrier() -> AsyncIterator[RunningCarrier]:
    async with running_carrier() as running:
        yield running


def env(carrier: RunningCarrier, public_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HOTLINE_CARRIER": "twilio",
        "HOTLINE_PUBLIC_URL": public_url,
        "HOTLINE_API_TOKEN": API_TOKEN,
        "TWILIO_API_BASE_URL": carrier.url,
        "TWILIO_ACCOUNT_SID": carrier.account_sid,
        "TWILIO_AUTH_TOKEN": carrier.auth_token,
        "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER,
        **extra,
    }


async def hotline(*args: str, environ: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        HOTLINE,
        *args,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


def sdk(carrier: RunningCarrier) -> Client:
    client = Client(carrier.account_sid, carrier.auth_token)
    client.api.base_url = carrier.url
    return client


async def test_configure_number_points_the_number_at_hotline(carrier: RunningCarrier) -> None:
    public = "https://hotline.example.com"
    code, out = await hotline("twilio", "configure-number", environ=env(carrier, public))
    assert code == 0, out
    assert f"{HOTLINE_NUMBER}: incoming calls -> POST {public}/voice/incoming" in out
    number = await asyncio.to_thread(
        lambda: sdk(carrier).incoming_phone_numbers.list(phone_number=HOTLINE_NUMBER)[0]
    )
    assert number.voice_url == f"{public}/voice/incoming"
    assert number.voice_method == "POST"
    assert number.status_callback == f"{public}/voice/status"


async def test_check_reports_each_problem_in_plain_words(
    carrier: RunningCarrier, tmp_path: Path
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    code, out = await hotline("twilio", "check", environ=env(carrier, unreachable))
    assert code == 1
    assert "ok       credentials accepted" in out
    assert "PROBLEM  " in out and "hotline twilio configure-number" in out
    assert f"cannot reach HOTLINE_PUBLIC_URL {unreachable}" in out
    assert "warning  HOTLINE_PUBLIC_URL is not https" in out

    bad = env(carrier, unreachable, TWILIO_AUTH_TOKEN="0" * 32)
    code, out = await hotline("twilio", "check", environ=bad)
    assert code == 1
    assert "rejected the credentials" in out
    assert "0" * 32 not in out

    other = env(carrier, unreachable, TWILIO_PHONE_NUMBER="+12025550999")
    code, out = await hotline("twilio", "configure-number", environ=other)
    assert code == 1
    assert "+12025550999 (TWILIO_PHONE_NUMBER) is not a phone number of account" in out


async def test_check_passes_once_everything_is_right(
    carrier: RunningCarrier, tmp_path: Path
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    environ = env(carrier, public, HOTLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    assert (await hotline("db", "upgrade", environ=environ))[0] == 0
    server = await asyncio.create_subprocess_exec(
        HOTLINE,
        "serve",
        "--port",
        str(port),
        env=environ,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert (await hotline("twilio", "configure-number", environ=environ))[0] == 0
        for _ in range(200):
            code, out = await hotline("twilio", "check", environ=environ)
            if "reaches this Hotline" in out:
                break
            await asyncio.sleep(0.1)
        assert code == 0, out
        assert "ok       incoming calls go to" in out
        assert "PROBLEM" not in out
    finally:
        server.kill()
        await server.wait()
