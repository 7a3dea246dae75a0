"""The SMTP Mailer adapter against a real local SMTP sink (aiosmtpd)."""

from __future__ import annotations

import email.utils
import socket
from collections.abc import Iterator

import pytest

from hotline.adapters.smtp import SmtpMailer
from hotline.ports import EmailMessage, MailError
from tests.support.smtp_sink import SmtpSink

SENDER = "Hotline <hotline@example.com>"


@pytest.fixture(scope="module")
def sink_server() -> Iterator[SmtpSink]:
    with SmtpSink(credentials=("hotline", "smtp-Pa55word!")) as server:
        yield server


@pytest.fixture
def sink(sink_server: SmtpSink) -> SmtpSink:
    sink_server.reset()
    return sink_server


def mailer(sink: SmtpSink, **kwargs: object) -> SmtpMailer:
    return SmtpMailer(sink.host, sink.port, SENDER, timeout=2, **kwargs)  # type: ignore[arg-type]


async def test_message_is_delivered_with_headers_and_utf8_body(sink: SmtpSink) -> None:
    body = "Incident INC0010001 — « disque plein » sur db-1.\nNobody accepted. ✆ 🚨\n"
    await mailer(sink).send(
        EmailMessage(
            to=("ada@example.com", "grace@example.org"),
            subject="Nobody accepted INC0010001 — Müller's DB",
            body=body,
        )
    )
    [received] = sink.received
    assert received.mail_from == "hotline@example.com"
    assert received.rcpt_tos == ("ada@example.com", "grace@example.org")
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "ada@example.com, grace@example.org"
    assert message["Subject"] == "Nobody accepted INC0010001 — Müller's DB"
    date = email.utils.parsedate_to_datetime(message["Date"])
    assert date.tzinfo is not None
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@example.com>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == body
    assert received.raw.isascii()  # headers RFC 2047, body quoted-printable: 7-bit safe


async def test_each_message_has_its_own_message_id(sink: SmtpSink) -> None:
    for n in range(3):
        await mailer(sink).send(EmailMessage(to=("ada@example.com",), subject=f"#{n}", body="x"))
    messages = await sink.wait_for(3)
    assert [m["Subject"] for m in messages] == ["#0", "#1", "#2"]
    assert len({m["Message-ID"] for m in messages}) == 3


async def test_login_with_credentials(sink: SmtpSink) -> None:
    await mailer(sink, username="hotline", password="smtp-Pa55word!").send(
        EmailMessage(to=("ada@example.com",), subject="authenticated", body="x")
    )
    [message] = await sink.wait_for(1)
    assert message["Subject"] == "authenticated"


async def test_wrong_credentials_are_permanent(sink: SmtpSink) -> None:
    password = "wrong-smtp-Pa55word"
    with pytest.raises(MailError) as caught:
        await mailer(sink, username="hotline", password=password).send(
            EmailMessage(to=("ada@example.com",), subject="x", body="x")
        )
    assert caught.value.retryable is False
    assert "authentication failed" in str(caught.value)
    assert password not in str(caught.value)
    assert sink.messages == []


async def test_refused_recipient_is_permanent(sink: SmtpSink) -> None:
    sink.refuse("nobody@example.com")
    with pytest.raises(MailError) as caught:
        await mailer(sink).send(EmailMessage(to=("nobody@example.com",), subject="x", body="x"))
    assert caught.value.retryable is False
    assert "550" in str(caught.value)
    assert sink.messages == []


async def test_temporarily_refused_recipient_is_retryable(sink: SmtpSink) -> None:
    sink.refuse("busy@example.com", code=450)
    with pytest.raises(MailError) as caught:
        await mailer(sink).send(EmailMessage(to=("busy@example.com",), subject="x", body="x"))
    assert caught.value.retryable is True


async def test_partly_refused_recipients_deliver_to_the_others(
    sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    sink.refuse("nobody@example.com")
    await mailer(sink).send(
        EmailMessage(to=("nobody@example.com", "ada@example.com"), subject="x", body="x")
    )
    [received] = sink.received
    assert received.rcpt_tos == ("ada@example.com",)
    assert "nobody@example.com (550)" in caplog.text


async def test_unreachable_server_is_retryable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    password = "unreachable-Pa55word"
    smtp = SmtpMailer("127.0.0.1", port, SENDER, "u", password, timeout=2)
    with pytest.raises(MailError) as caught:
        await smtp.send(EmailMessage(to=("ada@example.com",), subject="x", body="x"))
    assert caught.value.retryable is True
    assert password not in str(caught.value)
    assert password not in repr(smtp)


async def test_starttls_not_offered_is_permanent(sink: SmtpSink) -> None:
    with pytest.raises(MailError) as caught:
        await mailer(sink, starttls=True).send(
            EmailMessage(to=("ada@example.com",), subject="x", body="x")
        )
    assert caught.value.retryable is False


async def test_silent_server_times_out_as_retryable() -> None:
    """A server that accepts the connection and never greets."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        smtp = SmtpMailer("127.0.0.1", port, SENDER, timeout=0.2)
        with pytest.raises(MailError) as caught:
            await smtp.send(EmailMessage(to=("ada@example.com",), subject="x", body="x"))
    assert caught.value.retryable is True


@pytest.mark.parametrize(
    "message",
    [
        EmailMessage(to=(), subject="x", body="x"),
        EmailMessage(to=("ada@example.com",), subject="x\r\nBcc: eve@example.com", body="x"),
        EmailMessage(to=("ada@example.com\r\nBcc: eve@example.com",), subject="x", body="x"),
    ],
)
async def test_unusable_message_is_permanent_and_not_sent(
    sink: SmtpSink, message: EmailMessage
) -> None:
    with pytest.raises(MailError) as caught:
        await mailer(sink).send(message)
    assert caught.value.retryable is False
    assert sink.messages == []


def test_settings_mistakes_are_refused() -> None:
    with pytest.raises(ValueError, match="starttls or use_tls"):
        SmtpMailer("h", 25, "a@example.com", starttls=True, use_tls=True)
    with pytest.raises(ValueError, match="go together"):
        SmtpMailer("h", 25, "a@example.com", username="u")
    with pytest.raises(ValueError, match="e-mail address"):
        SmtpMailer("h", 25, "Hotline")


async def test_sink_works_as_async_context_manager() -> None:
    async with SmtpSink() as sink:
        await mailer(sink).send(EmailMessage(to=("ada@example.com",), subject="x", body="x"))
        [message] = await sink.wait_for(1)
    assert message["Subject"] == "x"
