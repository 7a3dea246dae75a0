"""ServiceNow inbound: a business rule posts new high-priority incidents here."""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from hotline.adapters.servicenow import verify_webhook_signature
from hotline.domain.errors import NotFound
from hotline.domain.incidents import Source
from hotline.services.inputs import IncidentIn
from hotline.services.paging import External
from hotline.web.errors import error_body

log = logging.getLogger("hotline.servicenow")
router = APIRouter(prefix="/integrations/servicenow", tags=["integrations"])


def _text(value: object) -> object:
    """ServiceNow sends display values as strings; numbers may arrive as "1"."""
    return value.strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_text)]


class ServiceNowIncident(BaseModel):
    sys_id: Text = Field(pattern=r"^[0-9a-f]{32}$")
    number: Text = Field(min_length=1, max_length=40)
    short_description: Text = Field(min_length=1, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    urgency: int | None = Field(None, ge=1, le=3)
    priority: int | None = Field(None, ge=1, le=5)
    assignment_group: str | None = Field(None, max_length=200)

    @property
    def severity(self) -> int:
        """ServiceNow priority 1-5 maps to severity 1-5; else urgency 1-3 to 1, 3, 5."""
        if self.priority is not None:
            return self.priority
        return {1: 1, 2: 3, 3: 5}.get(self.urgency or 2, 3)


@router.post("/incidents", summary="New incident from a ServiceNow business rule")
async def incidents(request: Request) -> Response:
    container = request.app.state.container
    secret = container.settings.servicenow_webhook_secret
    body = await request.body()
    if secret is None or not verify_webhook_signature(
        secret.get_secret_value(), body, request.headers.get("x-hotline-signature")
    ):
        log.warning("rejected ServiceNow webhook: bad or missing X-Hotline-Signature")
        raise HTTPException(401, "invalid or missing X-Hotline-Signature")
    try:
        payload = ServiceNowIncident.model_validate(json.loads(body))
    except (ValueError, ValidationError) as error:
        reason = _reason(error)
        return Response(
            json.dumps(error_body("invalid", reason)), 422, media_type="application/json"
        )
    settings = container.settings
    group = payload.assignment_group or ""
    policy = settings.servicenow_policies.get(group, settings.servicenow_default_policy)
    if policy != settings.servicenow_default_policy:
        try:
            await container.directory.get_policy(policy)
        except NotFound:  # a stale mapping must not lose an urgent incident
            log.error(
                "policy %r for assignment group %r does not exist; using %r",
                policy,
                group,
                settings.servicenow_default_policy,
            )
            policy = settings.servicenow_default_policy
    incident, created = await container.paging.open(
        IncidentIn(
            title=payload.short_description,
            description=payload.description,
            severity=payload.severity,
            policy=policy,
        ),
        External(Source.SERVICENOW, payload.sys_id, payload.number),
    )
    return Response(
        json.dumps({"id": incident.id, "status": incident.status.value, "created": created}),
        201 if created else 200,
        media_type="application/json",
    )


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors(include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return "the body is not valid JSON"
