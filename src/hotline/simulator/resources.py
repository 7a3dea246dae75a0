"""REST JSON shapes of the 2010-04-01 API (spec §3.2 to §3.5) and list envelopes.

URIs are relative to the API's base URL (``/2010-04-01/Accounts/AC…/…``), which is what
twilio-python joins with ``client.api.base_url`` — so paging works wherever the simulator
is mounted. A list envelope has exactly one key outside twilio-python's ``META_KEYS``.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from hotline.simulator.formats import formatted, rfc2822
from hotline.simulator.records import Call, Message, PhoneNumber, Recording, Transcription

API = "/2010-04-01"
CALL_SUBRESOURCES = (
    "notifications",
    "recordings",
    "payments",
    "events",
    "siprec",
    "streams",
    "transcriptions",
    "user_defined_message_subscriptions",
    "user_defined_messages",
)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def account_uri(account_sid: str) -> str:
    return f"{API}/Accounts/{account_sid}"


def call_json(call: Call) -> dict[str, Any]:
    base = f"{account_uri(call.account_sid)}/Calls/{call.sid}"
    names = {
        "user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
        "user_defined_messages": "UserDefinedMessages",
    }
    return {
        "account_sid": call.account_sid,
        "annotation": None,
        "answered_by": call.answered_by,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": rfc2822(call.date_created),
        "date_updated": rfc2822(call.date_updated),
        "direction": call.direction,
        "duration": None if call.duration is None else str(call.duration),
        "end_time": rfc2822(call.end_time),
        "forwarded_from": None,
        "from": call.from_,
        "from_formatted": formatted(call.from_),
        "group_sid": None,
        "parent_call_sid": call.parent.sid if call.parent is not None else None,
        "phone_number_sid": call.phone_number_sid,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": call.sid,
        "start_time": rfc2822(call.start_time),
        "status": call.status,
        "subresource_uris": {
            name: f"{base}/{names.get(name, name.capitalize())}.json" for name in CALL_SUBRESOURCES
        },
        "to": call.to,
        "to_formatted": formatted(call.to),
        "trunk_sid": None,
        "uri": f"{base}.json",
    }


def segments(body: str) -> int:
    """SMS parts: one up to 160 characters, else 153 per part (GSM-7 concatenation)."""
    return 1 if len(body) <= 160 else math.ceil(len(body) / 153)


def message_json(message: Message) -> dict[str, Any]:
    base = f"{account_uri(message.account_sid)}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": "2010-04-01",
        "body": message.body,
        "date_created": rfc2822(message.date_created),
        "date_sent": rfc2822(message.date_sent),
        "date_updated": rfc2822(message.date_updated),
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": message.from_,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": str(segments(message.body)),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": message.to,
        "uri": f"{base}.json",
    }


def recording_json(recording: Recording, base_url: str) -> dict[str, Any]:
    base = f"{account_uri(recording.account_sid)}/Recordings/{recording.sid}"
    return {
        "account_sid": recording.account_sid,
        "api_version": "2010-04-01",
        "call_sid": recording.call_sid,
        "channels": 1,
        "conference_sid": None,
        "date_created": rfc2822(recording.date_created),
        "date_updated": rfc2822(recording.date_created),
        "duration": str(recording.duration),
        "encryption_details": None,
        "error_code": None,
        "media_url": f"{base_url}{base}",
        "price": None,
        "price_unit": "USD",
        "sid": recording.sid,
        "source": recording.source,
        "start_time": rfc2822(recording.start_time),
        "status": recording.status,
        "subresource_uris": {
            "add_on_results": f"{base}/AddOnResults.json",
            "transcriptions": f"{base}/Transcriptions.json",
        },
        "uri": f"{base}.json",
    }


def transcription_json(transcription: Transcription) -> dict[str, Any]:
    base = f"{account_uri(transcription.account_sid)}/Transcriptions/{transcription.sid}"
    return {
        "account_sid": transcription.account_sid,
        "api_version": "2010-04-01",
        "date_created": rfc2822(transcription.date_created),
        "date_updated": rfc2822(transcription.date_created),
        "duration": str(transcription.duration),
        "price": None,
        "price_unit": "USD",
        "recording_sid": transcription.recording_sid,
        "sid": transcription.sid,
        "status": transcription.status,
        "transcription_text": transcription.text,
        "type": "fast",
        "uri": f"{base}.json",
    }


def number_json(number: PhoneNumber) -> dict[str, Any]:
    return {
        "account_sid": number.account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": "2010-04-01",
        "beta": False,
        "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
        "date_created": rfc2822(number.date_created),
        "date_updated": rfc2822(number.date_updated),
        "friendly_name": number.friendly_name or formatted(number.phone_number),
        "origin": "twilio",
        "phone_number": number.phone_number,
        "sid": number.sid,
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": number.sms_method,
        "sms_url": number.sms_url or "",
        "status": "in-use",
        "status_callback": number.status_callback or "",
        "status_callback_method": number.status_callback_method,
        "uri": f"{account_uri(number.account_sid)}/IncomingPhoneNumbers/{number.sid}.json",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": number.voice_fallback_method,
        "voice_fallback_url": number.voice_fallback_url or "",
        "voice_method": number.voice_method,
        "voice_url": number.voice_url or "",
    }


def page(key: str, items: list[dict[str, Any]], uri: str, query: dict[str, str]) -> dict[str, Any]:
    """One page of ``items`` per ``PageSize``/``Page`` in ``query`` (filters are kept in
    the page URIs)."""
    try:
        size = min(max(int(query.get("PageSize", DEFAULT_PAGE_SIZE)), 1), MAX_PAGE_SIZE)
        number = max(int(query.get("Page", 0)), 0)
    except ValueError:
        size, number = DEFAULT_PAGE_SIZE, 0
    filters = {k: v for k, v in query.items() if k not in ("PageSize", "Page", "PageToken")}

    def link(n: int) -> str:
        return f"{uri}?{urlencode({**filters, 'PageSize': size, 'Page': n})}"

    start = number * size
    chunk = items[start : start + size]
    has_next = start + size < len(items)
    return {
        key: chunk,
        "end": start + max(len(chunk), 1) - 1,
        "first_page_uri": link(0),
        "next_page_uri": link(number + 1) if has_next else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": link(number - 1) if number > 0 else None,
        "start": start,
        "uri": link(number),
    }
