"""The dev stack's SMTP sink: what a client sends with smtplib is kept as a file, byte for
byte, with its envelope; `oms mail list` shows it newest first and marks a Message-ID sent
before; `oms mail show N` prints its headers, its text and its attachments. The tests'
stack sends the services' mail to a sink of its own, which can refuse on purpose."""

from __future__ import annotations

import email.policy
import json
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from oms_dev import cli
from oms_dev.mailsink import MailSink
from oms_dev.stack import mail_folder
from oms_dev.testing import Stack
from typer.testing import CliRunner

PDF = b"%PDF-1.7\n" + b"0" * 1200 + b"\n%%EOF\n"
XML = b'<?xml version="1.0" encoding="UTF-8"?><cfdi:Comprobante Total="1234.56"/>\n'


def invoice_mail() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "OMS <no-reply@oms.localhost>"
    message["To"] = "João Araújo <joao@example.com>"
    message["Subject"] = "Fatura A-17 emitida: R$ 1.234,56"
    message["Message-ID"] = "<6f1c0e7a.1@oms.localhost>"
    message["X-OMS-Idempotency-Key"] = "invoice_stamped:A-17:billing:6f1c0e7a:3:customer"
    message.set_content("Olá João,\n\nsegue a fatura A-17, no valor de R$ 1.234,56.\n")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="A-17.pdf")
    message.add_attachment(XML, maintype="application", subtype="xml", filename="A-17.xml")
    return message


def order_mail() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "OMS <no-reply@oms.localhost>"
    message["To"] = "rep@example.com"
    message["Subject"] = "Order SO-9 confirmed"
    message["Message-ID"] = "<91aa.1@oms.localhost>"
    message.set_content("Your order SO-9 is confirmed.\n")
    return message


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("OMS_HOME", str(tmp_path / "home"))
    # A terminal wide enough for the table's cells to be read whole.
    monkeypatch.setattr(cli.console, "width", 240)
    return CliRunner()


def test_the_sink_keeps_each_message_and_oms_mail_lists_and_shows_it(runner: CliRunner) -> None:
    empty = runner.invoke(cli.app, ["mail", "list"])
    assert empty.exit_code == 0, empty.output
    assert "No messages in" in empty.output

    invoice = invoice_mail().as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as sent
    sender, to = "no-reply@oms.localhost", ["joao@example.com"]
    with MailSink(mail_folder()) as sink, smtplib.SMTP(sink.host, sink.port) as client:
        client.sendmail(sender, to, invoice)
        # A sender in doubt whether the first went out sends it again, same Message-ID.
        client.sendmail(sender, to, invoice)
        client.send_message(order_mail(), to_addrs=["rep@example.com", "boss@example.com"])

    kept = sorted(mail_folder().glob("*.eml"))
    numbers = [path.name.rsplit("-", 1)[1] for path in kept]
    assert numbers == ["000001.eml", "000002.eml", "000003.eml"]
    assert kept[0].read_bytes() == invoice  # byte for byte
    envelope = json.loads(kept[2].with_suffix(".json").read_text())
    assert envelope["mail_from"] == "no-reply@oms.localhost"
    assert envelope["rcpt_tos"] == ["rep@example.com", "boss@example.com"]

    listed = runner.invoke(cli.app, ["mail", "list"])
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "@oms.localhost>" in line]
    assert [row.split()[1] for row in rows] == ["3", "2", "1"], listed.output
    newest, again, first = rows
    assert "Order SO-9 confirmed" in newest and "<91aa.1@oms.localhost>" in newest
    assert "duplicate" not in newest and "duplicate" not in first
    for row in (again, first):
        assert "Fatura A-17 emitida: R$ 1.234,56" in row
        assert "João Araújo <joao@example.com>" in row
        assert "A-17.pdf, A-17.xml" in row
        assert "<6f1c0e7a.1@oms.localhost>" in row
    assert "duplicate of #1" in again
    assert "3 messages; 1 with a Message-ID sent before" in listed.output

    shown = runner.invoke(cli.app, ["mail", "show", "2"])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "envelope: MAIL FROM <no-reply@oms.localhost> RCPT TO <joao@example.com>" in out
    assert "duplicate of #1" in out
    assert "Subject: Fatura A-17 emitida: R$ 1.234,56" in out
    assert "X-OMS-Idempotency-Key: invoice_stamped:A-17:billing:6f1c0e7a:3:customer" in out
    assert "segue a fatura A-17, no valor de R$ 1.234,56." in out
    assert "2 attachments:" in out
    assert f"A-17.pdf  {len(PDF)} bytes" in out
    assert f"A-17.xml  {len(XML)} bytes" in out

    missing = runner.invoke(cli.app, ["mail", "show", "9"])
    assert missing.exit_code == 1
    assert "No message #9" in missing.output


def test_a_restarted_sink_goes_on_numbering(runner: CliRunner) -> None:
    for _ in range(2):
        with MailSink(mail_folder()) as sink, smtplib.SMTP(sink.host, sink.port) as client:
            client.send_message(order_mail())
    assert [message.number for message in MailSink(mail_folder()).messages()] == [1, 2]


def test_the_stack_sends_the_services_mail_to_its_sink(stack: Stack, smtp_sink: MailSink) -> None:
    env = stack.env()
    assert env["OMS_SMTP_HOST"] == "127.0.0.1"
    assert env["OMS_SMTP_PORT"] == str(smtp_sink.port)
    assert env["OMS_SMTP_STARTTLS"] == "false"
    assert env["OMS_MAIL_FROM"] == "OMS <no-reply@oms.localhost>"
    smtp_sink.refuse(1)
    with smtplib.SMTP(env["OMS_SMTP_HOST"], int(env["OMS_SMTP_PORT"])) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.send_message(order_mail())
        assert refused.value.smtp_code == 451
        client.send_message(order_mail())
    assert [message.subject for message in smtp_sink.messages()] == ["Order SO-9 confirmed"]
    assert smtp_sink.refused["451 4.3.0 Try again later"] == 1
