"""Unit tests for the response figures (``hotline.services.metrics``), the dashboard's SVG
charts (``hotline.web.ui.charts``) and their Prometheus export (parsed as Prometheus would,
with ``prometheus_client.parser``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from hotline.domain.incident import Attempt, Incident
from hotline.domain.incidents import IncidentStatus, Source
from hotline.services.metrics import Figures, PersonFigures, compute
from hotline.web.ui import charts
from hotline.web.ui.metrics import exposition

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 4, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"
_ids = count(1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def incident(
    created: datetime,
    status: IncidentStatus,
    accepted: datetime | None = None,
    resolved: datetime | None = None,
) -> Incident:
    return Incident(
        title="t",
        severity=2,
        source=Source.API,
        created_at=created,
        status=status,
        accepted_at=accepted,
        resolved_at=resolved,
        id=next(_ids),
    )


def call(name: str, outcome: str, answered: bool) -> Attempt:
    return Attempt(
        token=f"tok{next(_ids)}",
        incident_id=0,
        number=1,
        round=1,
        tier=0,
        position=0,
        name=name,
        phone="+12025550111",
        timeout=30,
        created_at=START,
        state="ended",
        outcome=outcome,
        answered_at=START if answered else None,
    )


ANN_ESCALATES = call("Ann", "escalated", True)
BOB_ACCEPTS = call("Bob", "accepted", True)


def items() -> list[tuple[Incident, list[Attempt]]]:
    """Four incidents in the period, one before it and one at its (exclusive) end."""
    return [
        (
            # accepted after 5 min, resolved after 1 h; Ann escalated to Bob
            incident(at(1, 10), IncidentStatus.RESOLVED, at(1, 10, 5), at(1, 11)),
            [ANN_ESCALATES, BOB_ACCEPTS],
        ),
        (
            # accepted after 1 min: Ann did not answer, Bob passed, Cat accepted
            incident(at(1, 20), IncidentStatus.ACCEPTED, at(1, 20, 1)),
            [
                call("Ann", "no-answer", False),
                call("Bob", "passed", True),
                call("Cat", "accepted", True),
            ],
        ),
        (
            incident(at(3, 8), IncidentStatus.UNANSWERED),
            [call("Ann", "no-answer", False), call("Ann", "no-answer", False)],
        ),
        # nobody was paged; resolved by hand after 30 min
        (incident(at(2, 9), IncidentStatus.RESOLVED, None, at(2, 9, 30)), []),
        (incident(START - timedelta(seconds=1), IncidentStatus.ACCEPTED, START), [BOB_ACCEPTS]),
        (incident(END, IncidentStatus.ACCEPTED, END), [BOB_ACCEPTS]),
    ]


def test_figures_by_hand() -> None:
    f = compute(items(), START, END)
    assert f.incidents == 4
    assert f.by_status == {"resolved": 2, "accepted": 1, "unanswered": 1}
    assert f.mtta == (300 + 60) / 2
    assert f.mttr == (3600 + 1800) / 2
    assert f.escalation_rate == pytest.approx(1 / 3)  # of the three incidents that were paged
    assert f.calls == 7
    assert f.calls_per_incident == 7 / 4
    assert f.people == [
        PersonFigures("Ann", calls=4, answered=1, accepted=0),
        PersonFigures("Bob", calls=2, answered=2, accepted=1),
        PersonFigures("Cat", calls=1, answered=1, accepted=1),
    ]
    assert [(p.answer_rate, p.accept_rate) for p in f.people] == [
        (0.25, 0.0),
        (1.0, 0.5),
        (1.0, 1.0),
    ]
    assert f.per_day == [(date(2026, 11, 1), 2), (date(2026, 11, 2), 1), (date(2026, 11, 3), 1)]


def test_an_empty_period_has_no_means_and_zero_rates() -> None:
    f = compute(items(), END + timedelta(days=1), END + timedelta(days=3))
    assert (f.incidents, f.mtta, f.mttr, f.escalation_rate, f.calls) == (0, None, None, 0.0, 0)
    assert f.calls_per_incident == 0.0 and f.people == []
    assert [n for _, n in f.per_day] == [0, 0]
    assert PersonFigures("Nobody", 0, 0, 0).answer_rate == 0.0


def test_a_period_that_ends_mid_day_still_lists_that_day() -> None:
    f = compute(items(), at(1, 12), at(3, 9))
    assert f.per_day == [(date(2026, 11, 1), 1), (date(2026, 11, 2), 1), (date(2026, 11, 3), 1)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 71), st.integers(0, 4), st.integers(0, 4)), max_size=20))
def test_rates_stay_between_zero_and_one_and_days_add_up(
    spec: list[tuple[int, int, int]],
) -> None:
    data = []
    for hours, answered, missed in spec:
        calls = [call("Ann", "accepted", True)] * answered + [call("Bob", "busy", False)] * missed
        data.append((incident(START + timedelta(hours=hours), IncidentStatus.PAGING), calls))
    f = compute(data, START, END)
    assert f.incidents == len(spec) == sum(n for _, n in f.per_day)
    assert f.calls == sum(a + m for _, a, m in spec)
    assert 0.0 <= f.escalation_rate <= 1.0
    for p in f.people:
        assert 0.0 <= p.accept_rate <= p.answer_rate <= 1.0


# --- SVG charts ------------------------------------------------------------------------------


def svg(text: str) -> ET.Element:
    root = ET.fromstring(text)  # noqa: S314 (our own chart) well-formed, or this raises
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{SVG}rect")


SPAN = charts.WIDTH - charts.LABEL - 60  # the width of a full horizontal bar


def test_horizontal_bars_scale_to_the_maximum_and_clamp() -> None:
    root = svg(charts.hbars([("Ann", 0.25), ("Bob", 1.0), ("Cat", 1.7), ("Dan", -0.2)]))
    widths = [float(r.get("width", "")) for r in bars(root)]
    assert widths == [SPAN / 4, SPAN, SPAN, 0.0]
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert texts[:2] == ["Ann", "25%"]
    assert bars(root)[0].find(f"{SVG}title").text == "Ann: 25%"  # type: ignore[union-attr]
    counts = svg(charts.hbars([("calls", 3), ("more", 6)], maximum=6, percent=False))
    assert [float(r.get("width", "")) for r in bars(counts)] == [SPAN / 2, SPAN]


def test_labels_are_escaped() -> None:
    root = svg(charts.hbars([('<script>alert("x")</script> & co', 0.5)]))
    assert root.findall(f".//{SVG}script") == []
    assert root.findall(f"{SVG}text")[0].text == '<script>alert("x")</script> & co'


def test_empty_charts_are_valid_and_say_so() -> None:
    root = svg(charts.hbars([]))
    assert bars(root) == []
    assert [t.text for t in root.findall(f"{SVG}text")] == ["no data in this period"]
    assert bars(svg(charts.vbars([]))) == []


def test_vertical_bars_scale_to_the_tallest() -> None:
    root = svg(charts.vbars([("11-01", 2), ("11-02", 0), ("11-03", 4)]))
    heights = [float(r.get("height", "")) for r in bars(root)]
    assert heights == [55.0, 0.0, 110.0]
    tops = [float(r.get("y", "")) + float(r.get("height", "")) for r in bars(root)]
    assert tops == [130.0] * 3  # every bar stands on the same baseline
    zeros = svg(charts.vbars([("a", 0), ("b", 0)]))
    assert [float(r.get("height", "")) for r in bars(zeros)] == [0.0, 0.0]


LABELS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(LABELS, st.floats(-2, 3)), max_size=15))
def test_any_rows_give_a_valid_chart_with_one_bar_each(rows: list[tuple[str, float]]) -> None:
    root = svg(charts.hbars(rows))
    widths = [float(r.get("width", "")) for r in bars(root)]
    assert len(widths) == len(rows)
    assert all(0.0 <= w <= SPAN for w in widths)
    columns = [(label, int(abs(v) * 10)) for label, v in rows]
    assert len(bars(svg(charts.vbars(columns)))) == len(columns)


# --- Prometheus ------------------------------------------------------------------------------


def families(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    parsed = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        assert family.documentation, family.name
        parsed[family.name] = {tuple(sorted(s.labels.items())): s.value for s in family.samples}
    return parsed


def test_the_export_parses_as_prometheus_text_with_every_figure() -> None:
    f = compute(items(), START, END)
    text = exposition(f, 3)
    got = families(text)
    w = (("window_days", "3"),)
    assert got["hotline_incidents"] == {w: 4}
    assert got["hotline_incidents_by_status"] == {
        (("status", s), *w): n for s, n in {"accepted": 1, "resolved": 2, "unanswered": 1}.items()
    }
    assert got["hotline_mtta_seconds"] == {w: 180}
    assert got["hotline_mttr_seconds"] == {w: 2700}
    assert got["hotline_escalation_ratio"][w] == pytest.approx(1 / 3)
    assert got["hotline_calls"] == {w: 7}
    assert got["hotline_calls_per_incident"] == {w: 1.75}
    assert got["hotline_person_calls"] == {
        (("person", "Ann"), *w): 4,
        (("person", "Bob"), *w): 2,
        (("person", "Cat"), *w): 1,
    }
    assert got["hotline_person_accepted"][(("person", "Bob"), *w)] == 1
    # The exposition format, line by line: HELP and TYPE before a family's samples.
    sample = re.compile(r'[a-z_]+\{window_days="3"(,[a-z]+="(?:[^"\\\n]|\\.)*")*\} [0-9.e+-]+')
    lines = text.splitlines()
    assert text.endswith("\n")
    for i, line in enumerate(lines):
        if line.startswith("# HELP "):
            name = line.split()[2]
            assert lines[i + 1] == f"# TYPE {name} gauge"
        elif not line.startswith("# TYPE "):
            assert sample.fullmatch(line), line


def test_no_incidents_exports_zeros_and_leaves_out_the_means() -> None:
    got = families(exposition(Figures(START, END), 30))
    assert got["hotline_incidents"] == {(("window_days", "30"),): 0}
    assert "hotline_mtta_seconds" not in got and "hotline_mttr_seconds" not in got
    assert got["hotline_person_calls"] == {}


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_any_person_name_survives_label_escaping(name: str) -> None:
    f = Figures(START, END, people=[PersonFigures(name, 3, 2, 1)])
    got = families(exposition(f, 7))
    assert got["hotline_person_answered"] == {(("person", name), ("window_days", "7")): 2}
