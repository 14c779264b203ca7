"""The real Mailer: the standard library's smtplib (called from the sender's thread), with
STARTTLS and sign-in when configured. The server's answers are sorted: 4xx, no server or a
timeout are temporary (tried again), 5xx permanent (failed with the answer), except a
refused sign-in, which is this service's configuration, not the message's (tried again
until someone fixes it)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses, parseaddr

from pydantic import SecretStr

from oms_notifications.sending.sender import PermanentMailError, TemporaryMailError


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

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self.host}:{self.port}, user={self.username!r})"

    def send(self, message: EmailMessage) -> str:
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses([str(message["To"])]) if address]
        data = message.as_bytes(policy=SMTP)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    password = self.password.get_secret_value() if self.password else ""
                    smtp.login(self.username, password)
                code, text = smtp.mail(sender)
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
