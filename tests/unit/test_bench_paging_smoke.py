"""Smoke test: the page-out benchmark runs end to end on a few incidents and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "paging.py"


def test_bench_paging_small_run_prints_table() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "3", "--databases", "sqlite"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "sqlite, 3 concurrent incidents" in out, out
    header = next((line for line in out.splitlines() if "p50 ms" in line), "")
    assert header.split() == ["n", "p50", "ms", "p99", "ms", "p50/base", "p99/base"], out
    for row in (
        "(a) 201 received -> first call",
        "(a') POST sent -> first call",
        "(b) no-answer callback -> next call",
        "baseline GET /healthz",
    ):
        line = next((x for x in out.splitlines() if x.startswith(row)), None)
        assert line is not None, out
        assert line[len(row) :].split()[0] == "3", line  # every incident measured
    assert "accepted 3/3, errors 0" in out, out
