"""Smoke test: the simulator benchmark runs 20 concurrent calls without error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "simulator.py"


def test_bench_with_20_calls_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--calls", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["run", "calls"])
    for column in ("wall s", "calls/s", "p50 ms", "p99 ms", "KiB/call", "errors"):
        assert column in header
    rows = {
        line.split()[0]: line.split()
        for line in lines
        if line.split()[:1] in (["baseline"], ["load"]) and len(line.split()) == 9
    }
    assert rows["load"][1:3] == ["20", "20"]
    assert rows["load"][-1] == "0" and rows["baseline"][-1] == "0"
    assert any(line.startswith("load / baseline: throughput x") for line in lines)
