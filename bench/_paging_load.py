"""The load generator of ``bench/paging.py``: N concurrent requests, each on a connection
of its own with a minimal HTTP/1.1 client, timed on the wall clock. It runs in a child
process (this file run as a script, by :func:`run_client`) with the standard library only,
so it shares neither the server's event loop nor its CPU core."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

API_TOKEN = "bench-token-0123456789abcdef"  # noqa: S105 (a throw-away server's token)
POLICY = "bench"


async def _request(
    port: int, method: str, path: str, body: bytes | None
) -> tuple[float, float, int, str]:
    """One request on its own connection: (sent, answered, status, body or error)."""
    sent = time.time()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {API_TOKEN}\r\nConnection: close\r\n"
        )
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + (body or b""))
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        content = await reader.readexactly(length)
        answered = time.time()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return sent, answered, status, content.decode()
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
        return sent, time.time(), 0, f"{type(error).__name__}: {error}"


async def _timed(
    port: int, method: str, path: str, body: bytes | None, limit: float
) -> tuple[float, float, int, str]:
    sent = time.time()
    try:
        async with asyncio.timeout(limit):
            return await _request(port, method, path, body)
    except TimeoutError:
        return sent, time.time(), 0, f"no response within {limit:.0f} s"


async def load(mode: str, port: int, count: int, prefix: str, limit: float) -> list[list[Any]]:
    if mode == "healthz":
        jobs = [_timed(port, "GET", "/healthz", None, limit) for _ in range(count)]
    else:
        jobs = [
            _timed(
                port,
                "POST",
                "/api/v1/incidents",
                json.dumps(
                    {"title": f"{prefix} incident {i}", "severity": 1, "policy": POLICY}
                ).encode(),
                limit,
            )
            for i in range(count)
        ]
    rows: list[list[Any]] = []
    for sent, answered, status, content in await asyncio.gather(*jobs):
        ident = json.loads(content)["id"] if mode == "incidents" and status == 201 else None
        rows.append([sent, answered, status, ident, "" if status in (200, 201) else content])
    return rows


async def run_client(
    mode: str, port: int, count: int, prefix: str, limit: float
) -> list[list[Any]]:
    """N concurrent requests from a child process; the server keeps running meanwhile."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        mode,
        str(port),
        str(count),
        prefix,
        str(limit),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the load generator failed ({mode})")
    rows: list[list[Any]] = json.loads(out)
    return rows


if __name__ == "__main__":  # the child process of run_client
    from _common import run_loop

    mode, port, count, prefix, limit = sys.argv[1:]
    json.dump(run_loop(load(mode, int(port), int(count), prefix, float(limit))), sys.stdout)
