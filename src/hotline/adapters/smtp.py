"""E-mail: the :class:`hotline.ports.Mailer` port over SMTP with ``aiosmtplib``."""

from __future__ import annotations

import email.message
import email.utils
import logging

import aiosmtplib

from hotline.ports import EmailMessage, MailError

_log = logging.getLogger("hotline.smtp")
_MAX_DETAIL = 200


class SmtpMailer:
    """Implements :class:`hotline.ports.Mailer`: one SMTP connection per message.

    ``sender`` is the From header (``hotline@example.com`` or ``Hotline <hotline@...>``);
    its address is also the envelope sender. ``starttls`` upgrades a plain connection
    (port 587); ``use_tls`` speaks TLS from the start (port 465). Certificates are always
    verified. The password never appears in logs or errors.

    Errors (:class:`MailError`): retryable when the server cannot be reached, drops the
    connection, times out or replies 4xx (including every recipient refused with 4xx);
    permanent on 5xx replies (every recipient refused, sender refused, message rejected),
    failed authentication, a capability the settings ask for and the server lacks
    (STARTTLS, AUTH), and an unusable message. When only some recipients are refused the
    others get the message and the refusals are logged, not raised.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        timeout: float = 10,
    ) -> None:
        if starttls and use_tls:
            raise ValueError("choose starttls or use_tls, not both")
        if (username is None) != (password is None):
            raise ValueError("username and password go together")
        address = email.utils.parseaddr(sender)[1]
        if "@" not in address:
            raise ValueError("sender must be an e-mail address")
        self._host = host
        self._port = port
        self._sender = sender
        self._envelope_sender = address
        self._domain = address.rpartition("@")[2]
        self._username = username
        self._password = password
        self._starttls = starttls
        self._use_tls = use_tls
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"SmtpMailer({self._host!r}, {self._port!r}, sender={self._sender!r})"

    def build(self, message: EmailMessage) -> email.message.EmailMessage:
        """The MIME message for ``message``: From, To, Subject, Date, Message-ID and a
        UTF-8 plain-text body. Raises :class:`MailError` (permanent) on an unusable message,
        such as no recipients or a line break in a header."""
        if not message.to:
            raise MailError("e-mail without recipients", retryable=False)
        mime = email.message.EmailMessage()
        try:
            mime["From"] = self._sender
            mime["To"] = ", ".join(message.to)
            mime["Subject"] = message.subject
            mime["Date"] = email.utils.formatdate(usegmt=True)
            mime["Message-ID"] = email.utils.make_msgid(domain=self._domain)
        except ValueError as error:  # header injection (CR/LF) or a malformed address
            raise MailError(f"e-mail not sent: bad header: {error}", retryable=False) from None
        mime.set_content(message.body, charset="utf-8", cte="quoted-printable")
        return mime

    async def send(self, message: EmailMessage) -> None:
        mime = self.build(message)
        try:
            errors, _ = await aiosmtplib.send(
                mime,
                sender=self._envelope_sender,
                recipients=list(message.to),
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._starttls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPException as error:
            raise self._error(error) from None
        except OSError as error:  # refused, unreachable, DNS, TLS handshake
            raise MailError(
                f"e-mail not sent: cannot reach {self._host}:{self._port}: {type(error).__name__}",
                retryable=True,
            ) from None
        if errors:
            # Some recipients refused, the others accepted: not retried (they would get a
            # second copy). Addresses are not secret; the reply text is the server's.
            _log.warning(
                "e-mail %s refused for %s",
                mime["Message-ID"],
                ", ".join(f"{rcpt} ({reply.code})" for rcpt, reply in errors.items()),
            )

    def _error(self, error: aiosmtplib.SMTPException) -> MailError:
        where = f"{self._host}:{self._port}"
        if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
            codes = [refused.code for refused in error.recipients]
            # Every recipient refused; only worth retrying if every refusal was temporary.
            retryable = bool(codes) and all(400 <= code < 500 for code in codes)
            return MailError(
                f"e-mail not sent: all recipients refused by {where} "
                f"({', '.join(str(code) for code in codes)})",
                retryable=retryable,
            )
        if isinstance(error, aiosmtplib.SMTPAuthenticationError):
            return MailError(
                f"e-mail not sent: authentication failed at {where} ({error.code})",
                retryable=False,
            )
        if isinstance(error, aiosmtplib.SMTPResponseException):
            return MailError(
                f"e-mail not sent: {where} replied {error.code} {self._redact(error.message)}",
                retryable=400 <= error.code < 500,
            )
        if isinstance(error, ConnectionError | TimeoutError):
            # SMTPConnectError, SMTPServerDisconnected, SMTPTimeoutError and subclasses.
            return MailError(
                f"e-mail not sent: {where}: {type(error).__name__}: {self._redact(error.message)}",
                retryable=True,
            )
        # The rest are capabilities the settings ask for and the server does not offer:
        # STARTTLS, AUTH, SMTPUTF8. Retrying will not help; the settings must change.
        return MailError(
            f"e-mail not sent: {where}: {self._redact(error.message)}", retryable=False
        )

    def _redact(self, value: object) -> str:
        text = str(value)
        if self._password:
            text = text.replace(self._password, "***")
        return text[:_MAX_DETAIL]
