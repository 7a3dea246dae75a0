"""Smoke test: the call-in hotline benchmark runs end to end with two callers and prints its
table (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "callin.py"


def test_bench_callin_small_run_prints_table() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--callers",
            "2",
            "--calls",
            "1",
            "--paced-calls",
            "1",
            "--pace",
            "0.01",
            "--databases",
            "sqlite",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "sqlite, 2 concurrent callers (9 webhooks per call)" in out, out
    lines = out.splitlines()
    header = next((line for line in lines if "p50 ms" in line), "")
    assert header.split() == ["n", "p50", "ms", "p99", "ms", "max", "ms", "req/s"], out
    hotline = [x for x in lines if x.strip().startswith("hotline webhooks, all steps")]
    baseline = [x for x in lines if x.strip().startswith("baseline: signed, fixed TwiML")]
    assert len(hotline) == len(baseline) == 2, out  # closed loop and paced
    for line in hotline + baseline:
        assert line.split(",")[-1].split()[2] == "18", line  # 2 calls x 9 webhooks, all answered
    for step in ("incoming", "menu", "group", "severity", "recording", "wait", "status"):
        row = next((x for x in lines if x.split()[:1] == [step]), None)
        assert row is not None and row.split()[1] == "2", out
    assert "hotline calls completed 4/4, incidents as asked 4;" in out, out
    assert "error" not in out, out
    assert "requests/s >= 0.5 x baseline:" in out and "paced p99 < 25 ms:" in out, out
