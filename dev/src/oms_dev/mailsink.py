"""A local SMTP server that accepts every message and keeps it as a file: where the dev
stack's services send e-mail (``oms up`` starts one unless ``OMS_SMTP_HOST`` names a real
server) and what the tests send to (the ``smtp_sink`` fixture). ``oms mail`` reads the
folder.

Each message is ``<folder>/<UTC time>-<number>.eml``, the bytes as the client sent them
after DATA, and beside it ``<same name>.json``, its envelope (MAIL FROM, RCPT TO, the
client's address, when it arrived): the message file is left exactly as received, so a
signature or an attachment can be checked byte for byte. Numbers go on from the highest
already in the folder, so a restarted sink never reuses one.

It can refuse on purpose, as a real server does now and then: ``refuse(2)`` answers the
next two messages ``451`` (try again later), ``refuse(1, "550 5.1.1 no such user")`` one
permanently.

    with MailSink(tmp_path / "mail") as sink:
        ... OMS_SMTP_HOST=sink.host OMS_SMTP_PORT=sink.port ...
        wait_until(lambda: sink.messages())
"""

from __future__ import annotations

import asyncio
import email.policy
import itertools
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

#: What the dev stack's services put in From when the operator names no sender.
DEFAULT_MAIL_FROM = "OMS <no-reply@oms.localhost>"
#: The sink's name in its greeting (a fixed one: looking up this machine's name can take
#: seconds where there is no DNS).
SERVER_NAME = "oms-mail-sink.localhost"
TRY_LATER = "451 4.3.0 Try again later"
ACCEPTED = "250 2.0.0 Kept"

_NAME = re.compile(r"^(?P<time>\d{8}T\d{6}\.\d{6}Z)-(?P<number>\d+)\.eml$")


@dataclass(frozen=True)
class KeptMessage:
    """A message the sink kept: its file, its envelope, and the parsed message."""

    number: int
    path: Path
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str

    @cached_property
    def raw(self) -> bytes:
        return self.path.read_bytes()

    @cached_property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=email.policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def header(self, name: str) -> str:
        value = self.message.get(name)
        return str(value) if value is not None else ""

    @property
    def subject(self) -> str:
        return self.header("Subject")

    @property
    def message_id(self) -> str:
        return self.header("Message-ID")

    @property
    def sender(self) -> str:
        """The From header, else the envelope's sender."""
        return self.header("From") or self.mail_from

    @property
    def recipients(self) -> str:
        """The To header, else the envelope's recipients."""
        return self.header("To") or ", ".join(self.rcpt_tos)

    @property
    def text(self) -> str:
        """The plain-text body (else the HTML one), or an empty string."""
        body = self.message.get_body(preferencelist=("plain", "html"))
        if body is None:
            return ""
        content = body.get_content()
        return content if isinstance(content, str) else ""

    @property
    def attachments(self) -> list[tuple[str, int]]:
        """Each attachment's file name and size in bytes (decoded)."""
        out = []
        for part in self.message.iter_attachments():
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            out.append((part.get_filename() or "(no name)", size))
        return out


def read_mail(folder: Path) -> list[KeptMessage]:
    """Every message kept in ``folder``, oldest first (by number)."""
    if not folder.is_dir():
        return []
    kept = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if not match:
            continue
        side = path.with_suffix(".json")
        envelope: dict[str, Any] = json.loads(side.read_text()) if side.exists() else {}
        received = datetime.strptime(match["time"], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        kept.append(
            KeptMessage(
                number=int(match["number"]),
                path=path,
                received_at=received,
                mail_from=str(envelope.get("mail_from", "")),
                rcpt_tos=tuple(envelope.get("rcpt_tos", ())),
                peer=str(envelope.get("peer", "")),
            )
        )
    return sorted(kept, key=lambda message: message.number)


def duplicates(messages: list[KeptMessage]) -> dict[int, int]:
    """For each message whose Message-ID an earlier one had: the number of the first (a
    message sent again after a crash left the sender in doubt carries the same id)."""
    first: dict[str, int] = {}
    out: dict[int, int] = {}
    for message in sorted(messages, key=lambda m: m.number):
        message_id = message.message_id
        if not message_id:
            continue
        if message_id in first:
            out[message.number] = first[message_id]
        else:
            first[message_id] = message.number
    return out


class MailSink:
    """An SMTP server on ``host`` (127.0.0.1) in a thread of this process, keeping what it
    accepts in ``folder``. ``port`` None or 0: one the system chooses, read back once it
    listens."""

    def __init__(self, folder: Path, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.folder = folder
        self.host = host
        self.port = port or 0
        self._lock = threading.Lock()
        self._numbers: itertools.count[int] | None = None
        self._refusals: list[str] = []
        #: How many messages were refused, by answer (``refuse``).
        self.refused: Counter[str] = Counter()
        self._controller: _Controller | None = None

    # --- what the services are told --------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The services' SMTP settings for this sink (plain SMTP, no login)."""
        return {
            "OMS_SMTP_HOST": self.host,
            "OMS_SMTP_PORT": str(self.port),
            "OMS_SMTP_STARTTLS": "false",
        }

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # --- what it received ------------------------------------------------------------------

    def messages(self) -> list[KeptMessage]:
        return read_mail(self.folder)

    def refuse(self, times: int, answer: str = TRY_LATER) -> None:
        """Answer the next ``times`` messages with ``answer`` instead of keeping them."""
        with self._lock:
            self._refusals.extend([answer] * times)

    # --- running ---------------------------------------------------------------------------

    def start(self) -> MailSink:
        self.folder.mkdir(parents=True, exist_ok=True)
        highest = max((message.number for message in read_mail(self.folder)), default=0)
        self._numbers = itertools.count(highest + 1)
        controller = _Controller(
            _Keeper(self),
            hostname=self.host,
            port=self.port,
            server_hostname=SERVER_NAME,
            ready_timeout=10.0,
        )
        controller.start()
        self._controller = controller
        self.port = controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the server's side -----------------------------------------------------------------

    def _refusal(self) -> str | None:
        with self._lock:
            if not self._refusals:
                return None
            answer = self._refusals.pop(0)
            self.refused[answer] += 1
            return answer

    def _keep(self, content: bytes, mail_from: str, rcpt_tos: list[str], peer: str) -> Path:
        with self._lock:
            assert self._numbers is not None
            number = next(self._numbers)
        received = datetime.now(UTC)
        stem = f"{received.strftime('%Y%m%dT%H%M%S.%fZ')}-{number:06d}"
        envelope = {
            "mail_from": mail_from,
            "rcpt_tos": rcpt_tos,
            "peer": peer,
            "received_at": received.isoformat(),
            "size": len(content),
        }
        # The envelope first, the message last and by a rename: a reader that sees the
        # message sees it whole, with its envelope.
        side = self.folder / f"{stem}.json"
        side.write_text(json.dumps(envelope, indent=2))
        partial = self.folder / f".{stem}.eml.part"
        partial.write_bytes(content)
        path = self.folder / f"{stem}.eml"
        partial.rename(path)
        return path


class _Keeper:
    """The aiosmtpd handler: keep the message (or refuse it, when told to)."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        refusal = self.sink._refusal()
        if refusal is not None:
            return refusal
        content = envelope.original_content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        peer = session.peer
        where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or "")
        self.sink._keep(content, envelope.mail_from or "", list(envelope.rcpt_tos), where)
        return ACCEPTED


class _Controller(Controller):
    """aiosmtpd's threaded controller, told to listen on port 0: the port the system
    chose is read back before the controller's first connection to itself."""

    def _trigger_server(self) -> None:
        server = self.server
        if isinstance(server, asyncio.Server) and server.sockets:
            self.port = int(server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]
