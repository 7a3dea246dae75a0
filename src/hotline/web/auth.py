"""Bearer-token check for the REST API. Fails closed: no configured token, no access."""

from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(auto_error=False, description="HOTLINE_API_TOKEN")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def require_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> None:
    expected = request.app.state.container.settings.api_token
    if expected is None:
        raise HTTPException(401, "the API is disabled: set HOTLINE_API_TOKEN", _CHALLENGE)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", _CHALLENGE)
    given = credentials.credentials.encode()
    if not hmac.compare_digest(given, expected.get_secret_value().encode()):
        raise HTTPException(401, "invalid bearer token", _CHALLENGE)
