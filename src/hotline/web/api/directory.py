"""Directory REST API: people (``/users``), groups, rotations, policies, absences, on-call.

No ``from __future__ import annotations`` here: FastAPI must see the real body model
classes in the generated CRUD handlers.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel

from hotline.ports import Saved
from hotline.services.directory import DirectoryService
from hotline.services.inputs import AbsenceIn, GroupIn, PersonIn, PolicyIn, RotationIn
from hotline.web.api.schemas import (
    AbsenceOut,
    ErrorOut,
    GroupOut,
    OnCallEntry,
    OnCallOut,
    PersonOut,
    PolicyOut,
    RotationOut,
)
from hotline.web.auth import require_token

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 404, 409, 422)
}
router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)], responses=ERRORS)


def service(request: Request) -> DirectoryService:
    svc: DirectoryService = request.app.state.container.directory
    return svc


Service = Annotated[DirectoryService, Depends(service)]


def _named_resource(
    path: str,
    kind: str,
    model_in: type[BaseModel],
    model_out: Any,
    ops: Callable[[DirectoryService], tuple[Callable[..., Awaitable[Any]], ...]],
) -> None:
    """Register list / create / get / put / delete for a resource keyed by name."""
    tag: list[str | Enum] = [path.strip("/")]

    @router.get(path, response_model=list[model_out], tags=tag, summary=f"List {kind}s")
    async def list_all(svc: Service) -> list[Any]:
        return [model_out.of(x) for x in await ops(svc)[0]()]

    @router.post(
        path, status_code=201, response_model=model_out, tags=tag, summary=f"Create a {kind}"
    )
    async def create(data: model_in, svc: Service) -> Any:  # type: ignore[valid-type]
        return model_out.of(await ops(svc)[1](data))

    @router.get(path + "/{name}", response_model=model_out, tags=tag, summary=f"Get a {kind}")
    async def get(name: str, svc: Service) -> Any:
        return model_out.of(await ops(svc)[2](name))

    @router.put(
        path + "/{name}",
        response_model=model_out,
        tags=tag,
        summary=f"Create or replace a {kind} (a different body name renames)",
    )
    async def put(name: str, data: model_in, svc: Service, response: Response) -> Any:  # type: ignore[valid-type]
        value, saved = await ops(svc)[3](name, data)
        response.status_code = 201 if saved is Saved.CREATED else 200
        return model_out.of(value)

    @router.delete(path + "/{name}", status_code=204, tags=tag, summary=f"Delete a {kind}")
    async def delete(name: str, svc: Service) -> Response:
        await ops(svc)[4](name)
        return Response(status_code=204)


_named_resource(
    "/users",
    "person",
    PersonIn,
    PersonOut,
    lambda s: (s.list_people, s.create_person, s.get_person, s.put_person, s.delete_person),
)
_named_resource(
    "/groups",
    "group",
    GroupIn,
    GroupOut,
    lambda s: (s.list_groups, s.create_group, s.get_group, s.put_group, s.delete_group),
)
_named_resource(
    "/rotations",
    "rotation",
    RotationIn,
    RotationOut,
    lambda s: (
        s.list_rotations,
        s.create_rotation,
        s.get_rotation,
        s.put_rotation,
        s.delete_rotation,
    ),
)
_named_resource(
    "/policies",
    "escalation policy",
    PolicyIn,
    PolicyOut,
    lambda s: (s.list_policies, s.create_policy, s.get_policy, s.put_policy, s.delete_policy),
)


@router.get(
    "/groups/{name}/oncall",
    response_model=OnCallOut,
    tags=["groups"],
    summary="Who is on call for a group, in calling order",
)
async def group_oncall(
    name: str,
    request: Request,
    svc: Service,
    at: Annotated[AwareDatetime | None, Query(description="ISO 8601 instant with offset")] = None,
) -> OnCallOut:
    when: datetime = at or request.app.state.container.clock.now()
    entries = await svc.oncall(name, when)
    return OnCallOut(group=name, at=when, oncall=[OnCallEntry.of(e) for e in entries])


@router.get("/absences", response_model=list[AbsenceOut], tags=["absences"])
async def list_absences(svc: Service, person: str | None = None) -> list[AbsenceOut]:
    return [AbsenceOut.of(a) for a in await svc.list_absences(person)]


@router.post("/absences", status_code=201, response_model=AbsenceOut, tags=["absences"])
async def create_absence(data: AbsenceIn, svc: Service) -> AbsenceOut:
    return AbsenceOut.of(await svc.create_absence(data))


@router.get("/absences/{absence_id}", response_model=AbsenceOut, tags=["absences"])
async def get_absence(absence_id: int, svc: Service) -> AbsenceOut:
    return AbsenceOut.of(await svc.get_absence(absence_id))


@router.put("/absences/{absence_id}", response_model=AbsenceOut, tags=["absences"])
async def put_absence(absence_id: int, data: AbsenceIn, svc: Service) -> AbsenceOut:
    return AbsenceOut.of(await svc.put_absence(absence_id, data))


@router.delete("/absences/{absence_id}", status_code=204, tags=["absences"])
async def delete_absence(absence_id: int, svc: Service) -> Response:
    await svc.delete_absence(absence_id)
    return Response(status_code=204)
