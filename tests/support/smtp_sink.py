"""A real SMTP server that keeps every message it accepts (aiosmtpd, background thread).

::

    with SmtpSink() as sink:               # or: async with SmtpSink() as sink
        ... SmtpMailer(sink.host, sink.port, "hotline@example.com") ...
        [message] = await sink.wait_for(1)
        assert message["Subject"] == "..."

``refuse(address, code)`` makes RCPT TO fail for one address (550 permanent by default,
450 for a temporary refusal); ``credentials=(user, password)`` enables AUTH PLAIN/LOGIN
(without TLS, which is fine on 127.0.0.1) and refuses wrong credentials with 535.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import socket
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: email.message.EmailMessage
    raw: bytes


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        code = self._sink._refused.get(address.lower())
        if code is not None:
            kind = "4.2.1 Mailbox busy, try later" if code < 500 else "5.1.1 User unknown"
            return f"{code} {kind}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        # Parsed with \n line ends (SMTP sends \r\n), so bodies compare as written.
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        received = Received(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=parsed,
            raw=raw,
        )
        with self._sink._lock:
            self._sink._received.append(received)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's threaded controller, listening on a socket bound beforehand (port 0)."""

    def __init__(self, handler: _Handler, sock: socket.socket, **smtp: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **smtp)
        self._sock = sock

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class SmtpSink:
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self._credentials = credentials
        self._refused: dict[str, int] = {}
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: _Controller | None = None

    @property
    def received(self) -> list[Received]:
        """Accepted messages with their envelopes, in arrival order."""
        with self._lock:
            return list(self._received)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """Accepted messages, parsed, in arrival order."""
        return [item.message for item in self.received]

    def reset(self) -> None:
        """Forget received messages and refusals (to share one sink between tests)."""
        with self._lock:
            self._received.clear()
            self._refused.clear()

    def refuse(self, address: str, code: int = 550) -> None:
        """Refuse RCPT TO ``address`` with ``code`` (5xx permanent, 4xx temporary)."""
        self._refused[address.lower()] = code

    async def wait_for(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 (plain seconds read better in tests)
    ) -> list[email.message.EmailMessage]:
        """Wait until at least ``count`` messages arrived; all messages so far."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} e-mails after {timeout}s")
            await asyncio.sleep(0.01)
        return self.messages

    def wait_for_blocking(
        self, count: int, timeout: float = 5.0
    ) -> list[email.message.EmailMessage]:
        """:meth:`wait_for` for synchronous code."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} e-mails after {timeout}s")
            time.sleep(0.01)
        return self.messages

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if self._credentials is None or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = self._credentials
        ok = data.login == user.encode() and data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    def start(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen()
        self.port = sock.getsockname()[1]
        smtp: dict[str, Any] = {"ready_timeout": 5.0}
        if self._credentials is not None:
            # AUTH offered on a plain connection; not *required*, so aiosmtpd does not warn.
            smtp.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = _Controller(_Handler(self), sock, **smtp)
        try:
            self._controller.start()
        except BaseException:
            sock.close()
            self._controller = None
            raise
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller._sock.close()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)
