"""The metrics page (figures and SVG charts over a chosen period) and ``GET /metrics``
(the same figures in Prometheus' text format, behind the API bearer token)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from hotline.bootstrap import Container
from hotline.services import metrics as m
from hotline.services.accounts import Role
from hotline.web.auth import require_token
from hotline.web.ui import charts, sessions
from hotline.web.ui.render import page

router = APIRouter(prefix="/ui", include_in_schema=False)
prometheus = APIRouter(tags=["metrics"])
Days = Annotated[int, Query(ge=1, le=366, description="period: the last N days")]


async def _figures(request: Request, days: int) -> m.Figures:
    container: Container = request.app.state.container
    end = container.clock.now()
    return await m.gather(container.paging, end - timedelta(days=days), end)


@router.get("/metrics", response_class=HTMLResponse)
async def metrics_page(
    request: Request,
    _: Annotated[object, Depends(sessions.needs(Role.VIEWER))],
    days: Days = 7,
) -> Response:
    figures = await _figures(request, days)
    return await page(
        request,
        "metrics.html",
        days=days,
        f=figures,
        answer_chart=charts.hbars([(p.name, p.answer_rate) for p in figures.people]),
        accept_chart=charts.hbars([(p.name, p.accept_rate) for p in figures.people]),
        day_chart=charts.vbars([(d.strftime("%m-%d"), n) for d, n in figures.per_day[-31:]]),
    )


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def exposition(f: m.Figures, days: int) -> str:
    """Prometheus text format (0.0.4) of ``f``; every series carries the window in days."""
    w = f'window_days="{days}"'
    lines: list[str] = []

    def gauge(name: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            lines.append(f"{name}{{{w}{labels}}} {value:g}")

    gauge("hotline_incidents", "Incidents created in the window.", [("", f.incidents)])
    gauge(
        "hotline_incidents_by_status",
        "Incidents created in the window, by current status.",
        [(f',status="{_label(s)}"', n) for s, n in sorted(f.by_status.items())],
    )
    if f.mtta is not None:
        gauge("hotline_mtta_seconds", "Mean time from created to accepted.", [("", f.mtta)])
    if f.mttr is not None:
        gauge("hotline_mttr_seconds", "Mean time from created to resolved.", [("", f.mttr)])
    gauge(
        "hotline_escalation_ratio",
        "Share of paged incidents escalated to a next tier.",
        [("", f.escalation_rate)],
    )
    gauge("hotline_calls", "Page-out calls placed in the window.", [("", f.calls)])
    gauge("hotline_calls_per_incident", "Mean calls per incident.", [("", f.calls_per_incident)])
    for name, help_, attr in (
        ("hotline_person_calls", "Page-out calls to a person.", "calls"),
        ("hotline_person_answered", "Page-out calls a person answered.", "answered"),
        ("hotline_person_accepted", "Incidents a person accepted by phone.", "accepted"),
    ):
        gauge(
            name,
            help_,
            [(f',person="{_label(p.name)}"', float(getattr(p, attr))) for p in f.people],
        )
    return "\n".join(lines) + "\n"


@prometheus.get(
    "/metrics",
    dependencies=[Depends(require_token)],
    response_class=PlainTextResponse,
    summary="Response figures in Prometheus format (bearer token)",
)
async def metrics_export(request: Request, days: Days = 30) -> Response:
    text = exposition(await _figures(request, days), days)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")
