"""The hotline page: the call-in menu as a caller hears it now; live calls, conference bridges,
recent calls and the incidents they raised (that part updates live, :mod:`.live`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hotline.bootstrap import Container
from hotline.domain.errors import Invalid
from hotline.domain.incidents import Source
from hotline.services.accounts import Role
from hotline.web.ui import calls, sessions
from hotline.web.ui.render import fragment, page

router = APIRouter(prefix="/ui", include_in_schema=False)
RECENT = 200


@router.get("/hotline", response_class=HTMLResponse)
async def hotline_page(
    request: Request, _: Annotated[object, Depends(sessions.needs(Role.VIEWER))]
) -> Response:
    container: Container = request.app.state.container
    problem = None
    script: list[tuple[str, str]] = []
    try:
        menu = await container.hotline_calls.menu()
    except Invalid as error:  # e.g. actions that need groups, and no groups exist
        problem = str(error)
    else:
        p = menu.phrases
        script.append(("Main menu", menu.menu_text()))
        for digit, action in menu.action_digits.items():
            heading = f"After {digit}: {p.for_action(action).label}"
            if action.needs_group:
                script.append((heading, menu.group_text(action)))
            if action.needs_recording:
                script.append((f"{heading}, recording", p.record))
        if menu.default_severity is None:
            script.append(("Severity (incidents)", menu.severity_text()))
        script.append(("After the recording", p.confirm))
    return await page(
        request,
        "hotline.html",
        number=container.account.phone_number,
        script=script,
        problem=problem,
        live=(await live_html(request))[1],
        settings=container.settings,
    )


async def live_html(request: Request) -> tuple[str, str]:
    """The page's live part (hunts, bridges, recent calls), as key and as HTML."""
    container: Container = request.app.state.container
    recent = await container.paging.recent(limit=RECENT)
    html = fragment(
        "hotline_live.html",
        live_calls=await calls.live_calls(container),
        bridges=await calls.bridges(container),
        calls=await container.hotline_calls.recent_calls(50),
        recent=[i for i in recent if i.source is Source.HOTLINE][:50],
    )
    return html, html
