"""What ``bench/paging.py`` measured (:class:`Run`), and its printed table with ratios."""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field

from _common import percentile


@dataclass
class Run:
    database: str
    size: int
    deadline: float
    expected: int = 0  # incidents created (201), each expected to reach (a) and (b)
    a_received: list[float] = field(default_factory=list)
    a_sent: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    b_ended: list[float] = field(default_factory=list)
    post: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    wall: float = 0.0
    accepted: int = 0
    settled: bool = True
    errors: Counter[str] = field(default_factory=Counter)
    log: Counter[str] = field(default_factory=Counter)
    lag: list[float] = field(default_factory=list)
    transactions: int = 0
    statements: int = 0
    firsts: int = 0  # incidents whose first call (agent 1) was placed
    seconds: int = 0  # incidents whose second call (agent 2) was placed
    legs: int = 0  # call legs of the measured incidents (each one a REST request)
    webhooks: int = 0  # webhooks and status callbacks those legs sent to the server
    lock_waits: list[float] = field(default_factory=list)
    held: list[float] = field(default_factory=list)
    cpu: float = 0.0  # CPU seconds of the server process (all its threads), incident phase
    phase: float = 0.0  # wall seconds of the incident phase
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    took: float = 0.0


def ms(value: float, deadline: float) -> str:
    return (
        f"{value:>9.1f}" if math.isfinite(value) else f"{'>' + format(deadline * 1000, '.0f'):>9}"
    )


def ratio(value: float, base: float) -> str:
    return f"{value / base:>9.2f}" if math.isfinite(value) else f"{'-':>9}"


def table(run: Run) -> str:
    base50, base99 = percentile(run.baseline, 0.5), percentile(run.baseline, 0.99)
    lines = [
        f"{run.database}, {run.size:,} concurrent incidents",
        f"{'':<38} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'p50/base':>9} {'p99/base':>9}",
    ]
    for name, values, expected in (
        ("(a) 201 received -> first call", run.a_received, run.expected),
        ("(a') POST sent -> first call", run.a_sent, run.expected),
        ("(b) no-answer callback -> next call", run.b, run.expected),
        ("(b') call over at carrier -> next call", run.b_ended, run.expected),
        ("POST /api/v1/incidents (201)", run.post, 0),
        ("baseline GET /healthz", run.baseline, 0),
    ):
        # what never happened by the deadline counts as slower than anything measured
        padded = [*values, *[math.inf] * max(expected - len(values), 0)]
        p50, p99 = percentile(padded, 0.5), percentile(padded, 0.99)
        lines.append(
            f"{name:<38} {len(values):>6,} {ms(p50, run.deadline)} {ms(p99, run.deadline)} "
            f"{ratio(p50, base50)} {ratio(p99, base99)}"
        )
    errors = sum(run.errors.values())
    if run.settled:
        wall = f"wall {run.wall:.2f} s (first POST sent -> last call over)"
        rate = run.accepted / run.wall if run.wall else 0.0
    else:
        wall = f"NOT all over by the deadline: stopped after {run.phase:.2f} s"
        rate = run.accepted / run.phase if run.phase else 0.0
    lines.append(
        f"{wall}, {rate:.1f} incidents/s, accepted {run.accepted:,}/{run.size:,}, "
        f"errors {errors}; calls placed: first {run.firsts:,}, second {run.seconds:,}"
    )
    early = sum(1 for x in run.b if x < 0)
    if early:
        lines.append(
            f"  note: for {early} incident(s) agent 2's call was requested before the final "
            "callback was sent: Hotline's own check of the call at the carrier found it over"
        )
    lines.extend(f"  error: {n} x {what}" for what, n in run.errors.most_common())
    lines.extend(f"  server log: {n} x {what}" for what, n in run.log.most_common(4))
    per, made = max(run.size, 1), max(run.expected, 1)
    if not run.settled:
        lines.append("(the work done by the deadline, divided by the number of incidents:)")
    lines.append(
        f"server: CPU {run.cpu:.1f} s in {run.phase:.1f} s ({run.cpu / run.phase:.0%} of a core),"
        f" {run.cpu / per * 1000:.0f} ms per incident; event-loop lag p50 "
        f"{percentile(run.lag, 0.5):.1f} / p99 {percentile(run.lag, 0.99):.1f} / max "
        f"{max(run.lag, default=math.nan):.0f} ms"
    )
    lines.append(
        f"per incident: {run.transactions / per:.1f} transactions, "
        f"{run.statements / per:.0f} SQL statements, {(run.legs + run.webhooks) / made + 1:.1f} "
        f"HTTP requests (the POST, {run.legs / made:.1f} to the carrier, "
        f"{run.webhooks / made:.1f} webhooks from it)"
    )
    lock = (
        f"; BEGIN IMMEDIATE waits for the lock p50 {percentile(run.lock_waits, 0.5):.1f} / p99 "
        f"{percentile(run.lock_waits, 0.99):.1f} ms"
        if run.database == "sqlite"
        else ""
    )
    lines.append(
        f"database: transactions open p50 {percentile(run.held, 0.5):.1f} / p99 "
        f"{percentile(run.held, 0.99):.1f} ms{lock}"
    )
    lines.append(
        f"machine: load average {run.load[0]:.1f} before, {run.load[1]:.1f} after, on "
        f"{os.cpu_count()} CPUs; run with set-up and checks {run.took:.1f} s"
    )
    return "\n".join(lines)
