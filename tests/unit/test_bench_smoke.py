"""Smoke test: the on-call benchmark script runs and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "oncall.py"


def test_bench_quick_runs_and_prints_table() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(
        (line for line in lines if line.split()[:3] == ["people", "expanded", "returned"]), None
    )
    assert header is not None, done.stdout
    assert "median ms" in header
    assert "x floor" in header
    rows = [line for line in lines if line.split() and line.split()[0] in {"100", "1,000"}]
    assert len(rows) == 2, done.stdout
    assert "100-member expanded group: median" in done.stdout
