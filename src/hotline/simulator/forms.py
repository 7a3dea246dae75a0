"""Form bodies of REST requests: repeated keys kept, typed reads that answer Twilio errors."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from hotline.simulator.asgi import TwilioError

INVALID_PARAMETER = 20001  # code used for malformed optional parameters ([U] in the spec)


class Form:
    """A form body with repeated keys."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    @classmethod
    async def read(cls, request: Request) -> Form:
        body = (await request.body()).decode("utf-8", errors="replace")
        return cls(parse_qsl(body, keep_blank_values=True))

    def get(self, name: str) -> str | None:
        values = self.all(name)
        return values[-1] if values else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def method(self, name: str) -> str:
        value = (self.get(name) or "POST").upper()
        if value not in ("GET", "POST"):
            raise TwilioError(400, INVALID_PARAMETER, f"{name} must be GET or POST")
        return value

    def url(self, name: str, code: int = INVALID_PARAMETER) -> str | None:
        value = self.get(name)
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TwilioError(400, code, f"{name} is not a valid URL: {value}")
        return value

    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise TwilioError(400, INVALID_PARAMETER, f"{name} must be {low} to {high}")
        return int(value)
