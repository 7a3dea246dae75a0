"""The Carrier port on Twilio's REST API, through the official SDK."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from hotline.adapters.twilio.http import HttpxTwilioClient
from hotline.domain.voice import CallStatus
from hotline.ports import CallInfo, CallRequest, CarrierError, RecordingAudio

# Twilio error codes that mean "this will never work" although the HTTP status is 5xx-ish,
# and HTTP statuses worth retrying.
_RETRYABLE_HTTP = {408, 409, 425, 429}
_CALL_OVER = 21220  # "Call is not in-progress. Cannot redirect."
# A recording's media: its id is the last path segment of RecordingUrl (an extension such as
# .wav or .mp3 may follow); nothing else of that URL is used.
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
MAX_RECORDING_BYTES = 50 * 1024 * 1024  # ten minutes of 8 kHz WAV is under 10 MB


def make_client(
    account_sid: str, auth_token: str, base_url: str, http: httpx.AsyncClient
) -> Client:
    """A twilio ``Client`` whose REST calls go to ``base_url`` (Twilio or the simulator).

    Only ``api.base_url`` is set, never region/edge, which would rewrite the host.
    """
    client = Client(account_sid, auth_token, http_client=HttpxTwilioClient(http))
    client.api.base_url = base_url.rstrip("/")
    return client


def _recording_sid(recording_url: str, action: str) -> str:
    """The recording id (RE…) at the end of ``recording_url``; nothing else of it is used."""
    path = urlsplit(recording_url).path if recording_url else ""
    sid = path.rstrip("/").rpartition("/")[2].partition(".")[0]
    if not _RECORDING_SID.fullmatch(sid):
        raise CarrierError(f"{action}: the URL names no recording", retryable=False)
    return sid


def _error(action: str, error: Exception) -> CarrierError:
    if isinstance(error, TwilioRestException):
        retryable = error.status >= 500 or error.status in _RETRYABLE_HTTP
        message = f"{action}: Twilio error {error.code} (HTTP {error.status}): {error.msg}"
        return CarrierError(message, retryable=retryable, code=error.code)
    if isinstance(error, httpx.HTTPError):
        return CarrierError(f"{action}: {type(error).__name__}", retryable=True)
    status = getattr(error.args[1], "status_code", None) if len(error.args) > 1 else None
    if isinstance(status, int):  # a list page that failed: a bare TwilioException
        retryable = status >= 500 or status in _RETRYABLE_HTTP
        return CarrierError(f"{action}: HTTP {status}", retryable=retryable)
    return CarrierError(f"{action}: {error}", retryable=False)


class TwilioCarrier:
    """Implements :class:`hotline.ports.Carrier`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def place_call(self, request: CallRequest) -> str:
        try:
            call = await self._client.calls.create_async(
                to=request.to,
                from_=request.from_,
                url=request.url,
                method="POST",
                status_callback=request.status_callback,
                status_callback_method="POST",
                status_callback_event=list(request.status_events),
                timeout=request.timeout,
                machine_detection="Enable" if request.machine_detection else None,
            )
        except (TwilioException, httpx.HTTPError) as error:
            raise _error("place call", error) from None
        return str(call.sid)

    async def redirect_call(self, call_id: str, url: str) -> None:
        try:
            await self._client.calls(call_id).update_async(url=url, method="POST")
        except (TwilioException, httpx.HTTPError) as error:
            raise _error("redirect call", error) from None

    async def announce(self, conference_sid: str, url: str) -> None:
        try:
            await self._client.conferences(conference_sid).update_async(
                announce_url=url, announce_method="POST"
            )
        except (TwilioException, httpx.HTTPError) as error:
            raise _error("announce to conference", error) from None

    async def end_call(self, call_id: str) -> None:
        try:
            info = await self.fetch_call(call_id)
            if info.status.is_final:
                return
            early = info.status in (CallStatus.QUEUED, CallStatus.RINGING, CallStatus.INITIATED)
            status = "canceled" if early else "completed"
            await self._client.calls(call_id).update_async(status=status)
        except (TwilioException, httpx.HTTPError) as error:
            if isinstance(error, TwilioRestException) and error.code == _CALL_OVER:
                return
            raise _error("end call", error) from None

    async def fetch_call(self, call_id: str) -> CallInfo:
        try:
            call = await self._client.calls(call_id).fetch_async()
        except (TwilioException, httpx.HTTPError) as error:
            raise _error("fetch call", error) from None
        return _info(call)

    async def find_calls(self, to: str, from_: str, since: datetime) -> list[CallInfo]:
        try:
            calls = await self._client.calls.list_async(to=to, from_=from_, limit=50)
        except (TwilioException, httpx.HTTPError) as error:
            raise _error("list calls", error) from None
        found = [_info(call) for call in calls]
        return [c for c in found if c.created_at is None or c.created_at >= since]

    async def send_sms(self, to: str, from_: str, body: str) -> str:
        try:
            message = await self._client.messages.create_async(to=to, from_=from_, body=body)
        except (TwilioException, httpx.HTTPError) as error:
            raise _error("send SMS", error) from None
        return str(message.sid)

    async def delete_recording(self, recording_url: str) -> None:
        sid = _recording_sid(recording_url, "delete recording")
        try:
            await self._client.recordings(sid).delete_async()
        except (TwilioException, httpx.HTTPError) as error:
            if getattr(error, "status", None) == 404:  # either of Twilio's error formats
                return  # already gone: what was asked
            raise _error("delete recording", error) from None

    async def fetch_recording(self, recording_url: str) -> RecordingAudio:
        """The WAV media of a recording, from the configured API base with the account's
        Basic credentials: only the recording id is read from ``recording_url``, so the
        credentials never go to a host named by a request."""
        sid = _recording_sid(recording_url, "fetch recording")
        client = self._client
        http = client.http_client
        if not isinstance(http, HttpxTwilioClient):
            raise CarrierError("fetch recording: no HTTP transport", retryable=False)
        base = f"{client.api.base_url}/2010-04-01/Accounts/{client.account_sid}"
        try:
            status, content_type, data = await http.download(
                f"{base}/Recordings/{sid}.wav",
                (client.username, client.password),
                MAX_RECORDING_BYTES,
            )
        except httpx.HTTPError as error:
            raise _error("fetch recording", error) from None
        if status == 404:  # not downloadable yet right after the call; the job's deadline ends it
            raise CarrierError("fetch recording: not available (HTTP 404)", retryable=True)
        if not 200 <= status < 300:
            retryable = status >= 500 or status in _RETRYABLE_HTTP
            raise CarrierError(f"fetch recording: HTTP {status}", retryable=retryable)
        if len(data) > MAX_RECORDING_BYTES:
            raise CarrierError("fetch recording: larger than allowed", retryable=False)
        media_type = content_type.split(";")[0].strip().lower()
        if not media_type.startswith("audio/"):
            raise CarrierError("fetch recording: the answer is not audio", retryable=False)
        return RecordingAudio(data, media_type)


def _info(call: Any) -> CallInfo:
    created = call.date_created
    return CallInfo(
        sid=str(call.sid),
        status=CallStatus(str(call.status)),
        to=call.to or "",
        from_=call._from or "",
        duration=int(call.duration) if call.duration else None,
        answered_by=call.answered_by,
        created_at=created if isinstance(created, datetime) else None,
    )
