"""The real Mailer: the standard library's smtplib (called from the sender's threads), with
STARTTLS and sign-in when configured. The server's answers are sorted: 4xx, no server or a
timeout are temporary (tried again), 5xx permanent (failed with the answer), except a
refused sign-in, which is this service's configuration, not the message's (tried again
until someone fixes it).

A connection is kept for the next message (SMTP allows many per session): connecting,
EHLO, STARTTLS's handshake and the sign-in were most of a message's cost. One the server
dropped meanwhile is found out by the first command of the next message, before anything
of it was sent, and that message goes over a new connection. Connections idle for
``REUSE_S`` are not used again, and ``close`` ends the idle ones (the sender does when
nothing is due)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time
from email.message import Message
from email.utils import getaddresses, parseaddr

from pydantic import SecretStr

from oms_notifications.sending.sender import PermanentMailError, TemporaryMailError, wire_bytes

#: A kept connection idle longer than this is closed instead of used (servers close idle
#: sessions after some minutes; RFC 5321 asks them to wait at least five).
REUSE_S = 60.0
#: "Service not available, closing transmission channel" (a server ending an idle session).
CLOSING = 421


def _answer(code: int, text: bytes | str) -> str:
    decoded = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {decoded}".strip()


def _refused(code: int, text: bytes | str, what: str) -> Exception:
    answer = f"{what}: {_answer(code, text)}"
    if 500 <= code < 600:
        return PermanentMailError(answer)
    return TemporaryMailError(answer)


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = False,
        timeout_s: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        #: Connections free for the next message, with when each was last used.
        self._idle: list[tuple[smtplib.SMTP, float]] = []

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self.host}:{self.port}, user={self.username!r})"

    def send(self, message: Message) -> str:
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses([str(message["To"])]) if address]
        data = wire_bytes(message)
        try:
            smtp = self._kept()
            if smtp is not None:
                try:
                    code, text = smtp.mail(sender)
                except (smtplib.SMTPServerDisconnected, OSError):
                    code, text = CLOSING, b""
                if code == CLOSING:  # dropped while idle: nothing of this message was sent
                    _quit(smtp)
                    smtp = None
            if smtp is None:
                smtp = self._connect()
                code, text = smtp.mail(sender)
            try:
                answer = self._transaction(smtp, code, text, recipients, data)
            except BaseException:
                _quit(smtp)
                raise
            self._keep(smtp)
            return answer
        except (PermanentMailError, TemporaryMailError):
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryMailError(
                f"sign-in refused: {_answer(exc.smtp_code, exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _refused(exc.smtp_code, exc.smtp_error, "the server") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryMailError(f"no SMTP server at {self.host}:{self.port}: {exc}") from exc

    def close(self) -> None:
        """End the kept connections (QUIT)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for smtp, _ in idle:
            _quit(smtp)

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                password = self.password.get_secret_value() if self.password else ""
                smtp.login(self.username, password)
        except BaseException:
            _quit(smtp)
            raise
        return smtp

    @staticmethod
    def _transaction(
        smtp: smtplib.SMTP, code: int, text: bytes, recipients: list[str], data: bytes
    ) -> str:
        """The rest of a message's transaction after MAIL FROM answered ``code``."""
        if code != 250:
            raise _refused(code, text, "MAIL FROM")
        for recipient in recipients:
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise _refused(code, text, f"RCPT TO {recipient}")
        # smtplib raises on a refused DATA command, not on a refused message.
        code, text = smtp.data(data)
        if code != 250:
            raise _refused(code, text, "DATA")
        return _answer(code, text)

    def _kept(self) -> smtplib.SMTP | None:
        """The most recently used kept connection; those idle too long are closed."""
        now = time.monotonic()
        with self._lock:
            stale = [smtp for smtp, since in self._idle if now - since > REUSE_S]
            self._idle = [(smtp, since) for smtp, since in self._idle if now - since <= REUSE_S]
            smtp = self._idle.pop()[0] if self._idle else None
        for old in stale:
            _quit(old)
        return smtp

    def _keep(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            self._idle.append((smtp, time.monotonic()))


def _quit(smtp: smtplib.SMTP) -> None:
    """End a session politely if it still answers; close it either way."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()
