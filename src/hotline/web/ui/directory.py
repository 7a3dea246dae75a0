"""The directory page: people, groups as trees, rotations, absences, who is on call now and
over the next seven days (each hand-off, per group). Read only; changes go through the REST
API or the CLI import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hotline.bootstrap import Container
from hotline.domain import directory as d
from hotline.services.accounts import Role
from hotline.services.oncall_schedule import schedule, snapshot
from hotline.web.ui import sessions
from hotline.web.ui.render import page

router = APIRouter(prefix="/ui", include_in_schema=False)
DAYS = 7


@dataclass
class Node:
    """One line of a group tree: a member, and for a nested group its own members."""

    kind: str
    label: str
    children: list[Node] = field(default_factory=list)


def tree(group: d.Group, groups: dict[str, d.Group], seen: frozenset[str] = frozenset()) -> Node:
    """``group`` with nested groups expanded (a group already on the path is not re-entered)."""
    node = Node("group", group.name)
    for member in group.members:
        if isinstance(member, d.PersonMember):
            node.children.append(Node("person", member.person))
        elif isinstance(member, d.RotationMember):
            node.children.append(Node("rotation", member.rotation))
        elif isinstance(member, d.GroupMember):
            inner = groups.get(member.group)
            if inner is None or member.group in seen | {group.name}:
                node.children.append(Node("group", member.group))
            else:
                node.children.append(tree(inner, groups, seen | {group.name}))
        else:
            label = getattr(member, "label", None)
            number = getattr(member, "number", "")
            node.children.append(Node("phone", f"{label} ({number})" if label else number))
    return node


@router.get("/directory", response_class=HTMLResponse)
async def directory_page(
    request: Request, _: Annotated[object, Depends(sessions.needs(Role.VIEWER))]
) -> Response:
    container: Container = request.app.state.container
    svc = container.directory
    now = container.clock.now()
    people = await svc.list_people()
    groups = await svc.list_groups()
    rotations = await svc.list_rotations()
    absences = await svc.list_absences()
    by_name = {g.name: g for g in groups}
    # One snapshot for the whole week: the same rules as paging (hotline.domain.oncall).
    directory = snapshot(people, groups, rotations, absences)
    until = now + timedelta(days=DAYS)
    oncall_now = {g.name: await svc.oncall(g.name, now) for g in groups}
    week = {g.name: schedule(directory, g.name, now, until) for g in groups}
    return await page(
        request,
        "directory.html",
        people=people,
        groups=groups,
        trees=[tree(g, by_name) for g in groups],
        rotations=rotations,
        absences=absences,
        policies=await svc.list_policies(),
        oncall_now=oncall_now,
        until=until,
        week=week,
    )
