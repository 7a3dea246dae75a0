"""SMS (spec §3.4): a message is created ``queued``, then the simulator sends and delivers
it (``sent``, ``delivered``), posting each status to its ``StatusCallback``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from hotline.simulator.asgi import TwilioError
from hotline.simulator.formats import utcnow
from hotline.simulator.forms import Form
from hotline.simulator.records import Message

if TYPE_CHECKING:
    from hotline.simulator.engine import Engine

SEND_SECONDS = 0.5
DELIVERY_SECONDS = 1.0


def send(engine: Engine, form: Form) -> Message:
    """Accept a ``POST /Messages.json`` form; raises ``TwilioError`` for a bad one."""
    to, from_, body = form.get("To"), form.get("From"), form.get("Body")
    if not to:
        raise TwilioError(400, 21604, "A 'To' phone number is required.")
    if not from_:
        raise TwilioError(400, 21603, "A 'From' phone number is required.")
    if not body and not form.all("MediaUrl"):
        raise TwilioError(400, 21602, "Message body is required.")
    message = Message(
        engine.account_sid, from_, to, body or "", status_callback=form.url("StatusCallback")
    )
    engine.messages[message.sid] = message
    engine.spawn(_deliver(engine, message))
    return message


async def _deliver(engine: Engine, message: Message) -> None:
    for status, seconds in (("sent", SEND_SECONDS), ("delivered", DELIVERY_SECONDS)):
        await asyncio.sleep(seconds * engine.time_scale)
        message.status = status
        message.date_updated = utcnow()
        if status == "sent":
            message.date_sent = message.date_updated
        if message.status_callback:
            params = {
                "AccountSid": engine.account_sid,
                "ApiVersion": "2010-04-01",
                "From": message.from_,
                "MessageSid": message.sid,
                "MessageStatus": status,
                "SmsSid": message.sid,
                "SmsStatus": status,
                "To": message.to,
            }
            exchange = await engine.webhooks.send(
                "POST", message.status_callback, params, purpose="message-status-callback"
            )
            message.callbacks.append(exchange.record())
