"""Set-up of the carrier account: point the Hotline number at us, and check everything.

Works on the twilio REST client, so it runs the same against real Twilio and the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from twilio.base.exceptions import TwilioException, TwilioRestException

AUTH_FAILED = 20003


class SetupProblem(Exception):
    """A plain-words explanation of what is wrong with the carrier set-up."""


@dataclass(frozen=True)
class Webhooks:
    voice_url: str
    status_callback: str

    @classmethod
    def for_public_url(cls, public_url: str) -> Webhooks:
        return cls(public_url + "/voice/incoming", public_url + "/voice/status")


@dataclass
class CheckReport:
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _http_status(error: Exception) -> int | None:
    """The HTTP status behind a twilio error (list calls raise a bare TwilioException
    carrying the response)."""
    if isinstance(error, TwilioRestException):
        return int(error.status)
    response = error.args[1] if len(error.args) > 1 else None
    return getattr(response, "status_code", None)


def _explain(error: Exception, api_url: str) -> str:
    status = _http_status(error)
    if isinstance(error, TwilioException) and status is not None:
        if status == 401 or getattr(error, "code", None) == AUTH_FAILED:
            return (
                "the carrier rejected the credentials: check TWILIO_ACCOUNT_SID and "
                "TWILIO_AUTH_TOKEN"
            )
        if isinstance(error, TwilioRestException):
            return f"the carrier answered with error {error.code}: {error.msg}"
        return f"the carrier answered HTTP {status}"
    return f"cannot reach the carrier API at {api_url} ({type(error).__name__})"


async def _find_number(twilio: Any, number: str, account_sid: str, api_url: str) -> Any:
    try:
        found = await twilio.incoming_phone_numbers.list_async(phone_number=number, limit=1)
    except (TwilioException, httpx.HTTPError) as error:
        raise SetupProblem(_explain(error, api_url)) from None
    if not found:
        raise SetupProblem(
            f"{number} (TWILIO_PHONE_NUMBER) is not a phone number of account {account_sid}"
        )
    return found[0]


async def configure_number(
    twilio: Any, number: str, account_sid: str, api_url: str, hooks: Webhooks
) -> None:
    """Set the number's voice URL (POST) and status callback to Hotline's."""
    resource = await _find_number(twilio, number, account_sid, api_url)
    try:
        await resource.update_async(
            voice_url=hooks.voice_url,
            voice_method="POST",
            status_callback=hooks.status_callback,
            status_callback_method="POST",
        )
    except (TwilioException, httpx.HTTPError) as error:
        raise SetupProblem(_explain(error, api_url)) from None


async def check(
    twilio: Any,
    http: httpx.AsyncClient,
    number: str,
    account_sid: str,
    api_url: str,
    public_url: str,
) -> CheckReport:
    """Credentials, the number, its webhooks, and that the public URL reaches Hotline."""
    report = CheckReport()
    hooks = Webhooks.for_public_url(public_url)
    try:
        resource = await _find_number(twilio, number, account_sid, api_url)
    except SetupProblem as problem:
        report.problems.append(str(problem))
        resource = None
    if resource is not None:
        report.passed.append(f"credentials accepted; {number} belongs to the account")
        if resource.voice_url != hooks.voice_url or (resource.voice_method or "POST") != "POST":
            report.problems.append(
                f"{number} sends incoming calls to {resource.voice_url or 'nowhere'} "
                f"instead of POST {hooks.voice_url}: run `hotline twilio configure-number`"
            )
        else:
            report.passed.append(f"incoming calls go to {hooks.voice_url}")
        if resource.status_callback != hooks.status_callback:
            report.warnings.append(
                f"the number's status callback is {resource.status_callback or 'unset'}, "
                f"not {hooks.status_callback}"
            )
    try:
        response = await http.get(public_url + "/healthz", timeout=10)
        if response.status_code == 200:
            report.passed.append(f"{public_url} reaches this Hotline")
        else:
            report.problems.append(
                f"{public_url}/healthz answered HTTP {response.status_code}: "
                "is HOTLINE_PUBLIC_URL pointing at this Hotline?"
            )
    except httpx.HTTPError as error:
        report.problems.append(
            f"cannot reach HOTLINE_PUBLIC_URL {public_url} ({type(error).__name__}): "
            "the carrier will not be able to reach it either"
        )
    if not public_url.startswith("https://"):
        report.warnings.append("HOTLINE_PUBLIC_URL is not https: use TLS in production")
    return report
