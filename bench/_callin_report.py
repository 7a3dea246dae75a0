"""What ``bench/callin.py`` measured, and its printed table with ratios and targets."""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field

import _callers as callers
from _common import percentile

TARGET_CALLERS, TARGET_RATIO, TARGET_P99 = 50, 0.5, 25.0


@dataclass
class Phase:
    """One phase (baseline or hotline, closed loop or paced) as callers and server saw it."""

    expected: int = 0  # calls the callers were to make
    rows: list[tuple[str, float, int]] = field(default_factory=list)  # step, ms, HTTP status
    wall: float = 0.0
    completed: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0
    lag: list[float] = field(default_factory=list)
    transactions: int = 0
    statements: int = 0
    held: list[float] = field(default_factory=list)
    lock_waits: list[float] = field(default_factory=list)

    def ms(self, step: str | None = None) -> list[float]:
        return [m for s, m, status in self.rows if status and (step is None or s == step)]

    @property
    def rate(self) -> float:
        return len(self.rows) / self.wall if self.wall else 0.0


@dataclass
class Run:
    database: str
    callers: int
    calls: int
    paced_calls: int
    pace: float
    closed_baseline: Phase = field(default_factory=Phase)
    closed_hotline: Phase = field(default_factory=Phase)
    paced_baseline: Phase = field(default_factory=Phase)
    paced_hotline: Phase = field(default_factory=Phase)
    incidents_ok: int = 0
    incident_errors: Counter[str] = field(default_factory=Counter)
    page_calls: int = 0  # page-out calls the simulator placed during the hotline phases
    log: Counter[str] = field(default_factory=Counter)
    took: float = 0.0

    @property
    def phases(self) -> dict[str, Phase]:
        return {
            "closed-loop hotline": self.closed_hotline,
            "closed-loop baseline": self.closed_baseline,
            "paced hotline": self.paced_hotline,
            "paced baseline": self.paced_baseline,
        }

    @property
    def failed(self) -> bool:
        """Something did not work (never a timing): an error, a call or incident missing."""
        made = self.closed_hotline.expected + self.paced_hotline.expected
        return (
            any(p.errors or len(p.completed) != p.expected for p in self.phases.values())
            or self.incidents_ok != made
            or bool(self.incident_errors)
        )


def stats(values: list[float]) -> str:
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    return f"{len(values):>6,} {p50:>8.1f} {p99:>8.1f} {max(values, default=math.nan):>8.1f}"


def row(name: str, p: Phase, step: str | None = None, rate: bool = True) -> str:
    return f"{name:<36} {stats(p.ms(step))}" + (f" {p.rate:>8.0f}" if rate else "")


def server_line(name: str, p: Phase, sqlite: bool, database: bool = True) -> str:
    requests = max(len(p.rows), 1)
    cpu = f"server, {name}: CPU {p.cpu / requests * 1000:.1f} ms per request"
    if not database:  # the baseline: its own work touches no database
        return f"{cpu} ({p.cpu / max(p.wall, 1e-9):.0%} of a core)"
    lock = (
        f", BEGIN IMMEDIATE wait p99 {percentile(p.lock_waits, 0.99):.1f} ms"
        if sqlite and p.lock_waits
        else ""
    )
    return (
        f"{cpu} ({p.cpu / max(p.wall, 1e-9):.0%} of a core); per request, page-outs included: "
        f"{p.transactions / requests:.2f} transactions, {p.statements / requests:.1f} "
        f"statements; transactions open p99 {percentile(p.held, 0.99):.1f} ms{lock}; "
        f"event-loop lag p99 {percentile(p.lag, 0.99):.1f} ms"
    )


def table(run: Run) -> str:
    ch, cb, ph, pb = run.closed_hotline, run.closed_baseline, run.paced_hotline, run.paced_baseline
    lines = [
        f"{run.database}, {run.callers} concurrent callers ({len(callers.WALK)} webhooks per call)",
        f"{'':<36} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8}",
        f"closed loop (no pause), {run.calls} call(s) per caller:",
        row("  hotline webhooks, all steps", ch),
        row("  baseline: signed, fixed TwiML", cb),
        f"paced (~{run.pace:g} s before each webhook), {run.paced_calls} call(s) per caller:",
        row("  hotline webhooks, all steps", ph),
    ]
    lines.extend(row(f"    {step}", ph, step, rate=False) for step, _ in callers.WALK)
    lines.append(row("  baseline: signed, fixed TwiML", pb))
    ratio = ch.rate / cb.rate if cb.rate else math.nan
    p99 = percentile(ph.ms(), 0.99)
    lines.append(
        f"hotline / baseline: closed-loop requests/s x{ratio:.2f}; paced p50 "
        f"x{percentile(ph.ms(), 0.5) / percentile(pb.ms(), 0.5):.2f}, p99 "
        f"x{p99 / percentile(pb.ms(), 0.99):.2f}"
    )
    scope = "" if run.callers == TARGET_CALLERS else f" (the targets are for {TARGET_CALLERS})"
    lines.append(
        f"targets{scope}: requests/s >= {TARGET_RATIO:g} x baseline: "
        f"{'MET' if ratio >= TARGET_RATIO else 'NOT MET'} ({ratio:.2f}); paced p99 < "
        f"{TARGET_P99:g} ms: {'MET' if p99 < TARGET_P99 else 'NOT MET'} ({p99:.1f} ms)"
    )
    done = len(ch.completed) + len(ph.completed)
    lines.append(
        f"hotline calls completed {done:,}/{ch.expected + ph.expected:,}, incidents as asked "
        f"{run.incidents_ok:,}; page-out calls they started {run.page_calls:,}"
    )
    for name, p in run.phases.items():
        lines.extend(f"  error ({name}): {k} x {what}" for what, k in p.errors.most_common())
        if len(p.completed) != p.expected and not p.errors:
            lines.append(f"  error ({name}): {p.expected - len(p.completed)} call(s) unfinished")
    lines.extend(f"  error (incidents): {k} x {w}" for w, k in run.incident_errors.most_common())
    lines.extend(f"  server log: {k} x {what}" for what, k in run.log.most_common(4))
    sqlite = run.database == "sqlite"
    lines.append(server_line("closed-loop baseline", cb, sqlite, database=False))
    lines.append(server_line("closed-loop hotline", ch, sqlite))
    lines.append(server_line("paced hotline", ph, sqlite))
    lines.append(
        f"machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; run with "
        f"set-up and checks {run.took:.1f} s"
    )
    return "\n".join(lines)
