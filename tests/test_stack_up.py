"""`oms up` from nothing: embedded PostgreSQL, the tansu broker, the SMTP sink, every
service of the manifest healthy and ready, the portal on port 8000 (first in the table)
showing its sign-in page and signing the admin in through orders; the admin's password
made, stored for this user
only and printed; the README's example gets a token with it and lists the orders, and
inventory and billing take the same token (and nothing without one); `oms status` sees
them; a message sent to the sink is in `oms mail list`; `oms demo` drives an order to cash
and imports the sandbox marketplace's orders; Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
from oms_dev.devstack import free_port
from oms_dev.manifest import APPS, SERVICES

OMS = [sys.executable, "-m", "oms_dev.cli"]
ROOT = Path(__file__).resolve().parents[1]
#: A list each service answers to a signed-in admin (and to nobody else).
LISTS = {"orders": "/orders", "inventory": "/stock", "billing": "/invoices"}
PORTAL = f"http://127.0.0.1:{APPS['portal'].port}"


def _all(path: str) -> bool:
    """Every service and app answers ``path`` with 200."""
    try:
        return all(
            httpx.get(f"http://127.0.0.1:{e.port}{path}", timeout=1).status_code == 200
            for e in [*SERVICES.values(), *APPS.values()]
        )
    except httpx.HTTPError:
        return False


def readme_example() -> str:
    """The README's first shell example after the two commands: sign in, list orders."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 2 and "/auth/token" in blocks[1], blocks[:2]
    return str(blocks[1])


def last_json(output: str) -> dict[str, object]:
    """The last of the JSON documents curl printed one after the other."""
    output = output.strip()
    decoder = json.JSONDecoder()
    documents: list[dict[str, object]] = []
    at = 0
    while at < len(output):
        document, at = decoder.raw_decode(output, at)
        documents.append(document)
        while at < len(output) and output[at].isspace():
            at += 1
    return documents[-1]


def test_oms_up_brings_every_service_up_and_ctrl_c_stops_them() -> None:
    with tempfile.TemporaryDirectory(prefix="oms-up-") as folder:
        os.chmod(folder, 0o755)
        home = Path(folder) / ".oms"  # the README's example reads .oms/admin-password
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("OMS_PG_DSN", "OMS_KAFKA_BOOTSTRAP", "OMS_ADMIN_PASSWORD")
            and not k.startswith("OMS_SMTP_")
        }
        env["OMS_HOME"] = str(home)
        env["COLUMNS"] = "250"  # the table's rows on one line each
        smtp_port, sandbox_port = free_port(), free_port()
        up = subprocess.Popen(
            [
                *OMS,
                "up",
                "--broker-port",
                str(free_port()),
                "--smtp-port",
                str(smtp_port),
                "--sandbox-port",
                str(sandbox_port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not _all("/ready"):
                assert up.poll() is None, up.stdout.read() if up.stdout else ""
                assert time.monotonic() < deadline, "services did not become ready"
                time.sleep(0.5)
            assert _all("/health")
            stored = home / "admin-password"
            assert stored.stat().st_mode & 0o777 == 0o600
            password = stored.read_text().strip()
            assert len(password) >= 16

            example = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", readme_example()],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert example.returncode == 0, example.stdout + example.stderr
            listed = last_json(example.stdout)
            assert listed["items"] == [] and "totals_by_status" in listed, listed

            signed_in = httpx.post(
                f"http://127.0.0.1:{SERVICES['orders'].port}/auth/token",
                data={"grant_type": "password", "username": "admin", "password": password},
                timeout=10,
            )
            assert signed_in.status_code == 200, signed_in.text
            assert signed_in.json()["token_type"] == "bearer"
            token = signed_in.json()["access_token"]
            for name, path in LISTS.items():
                url = f"http://127.0.0.1:{SERVICES[name].port}{path}"
                answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
                assert answer.status_code == 200, (url, answer.text)
                assert httpx.get(url, timeout=10).status_code == 401, url

            # The portal, with the services' addresses: its sign-in page, and signing in
            # through orders' POST /auth/token (the admin has no area of his own there).
            with httpx.Client(base_url=PORTAL, timeout=10) as browser:
                page = browser.get("/", headers={"Accept-Language": "en"}, follow_redirects=True)
                assert (page.status_code, str(page.url)) == (200, f"{PORTAL}/sign-in"), page.text
                assert ">Sign in</button>" in page.text, page.text
                code = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                assert code, page.text
                signed_in_portal = browser.post(
                    "/sign-in",
                    data={"username": "admin", "password": password, "csrf_token": code[1]},
                    headers={"Accept-Language": "en"},
                )
                # A wrong password would be the form again (400); orders said yes.
                assert signed_in_portal.status_code == 303, signed_in_portal.text
                assert not signed_in_portal.headers["location"].startswith("/sign-in")

            status = subprocess.run(
                [*OMS, "status"], env=env, capture_output=True, text=True, timeout=60
            )
            assert status.returncode == 0, status.stderr
            for name in [*SERVICES, *APPS]:
                assert name in status.stdout
            assert (home / "stack.json").exists()
            smtp = json.loads((home / "stack.json").read_text())["smtp"]
            assert smtp == {"host": "127.0.0.1", "port": smtp_port, "folder": str(home / "mail")}

            message = EmailMessage()
            message["From"], message["To"] = "OMS <no-reply@oms.localhost>", "a@example.com"
            message["Subject"], message["Message-ID"] = "Hello from the stack", "<1@oms.localhost>"
            message.set_content("kept")
            with smtplib.SMTP("127.0.0.1", smtp_port) as client:
                client.send_message(message)
            mail = subprocess.run(
                [*OMS, "mail", "list"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert mail.returncode == 0, mail.stderr
            assert "Hello from the stack" in mail.stdout and "<1@oms.localhost>" in mail.stdout

            # The sandbox marketplace's orders: the demo imports them after order to cash.
            sandbox = json.loads((home / "stack.json").read_text())["sandbox_marketplace"]
            assert sandbox["url"] == f"http://127.0.0.1:{sandbox_port}"
            demo = subprocess.run(
                [*OMS, "demo"], env=env, capture_output=True, text=True, timeout=300
            )
            assert demo.returncode == 0, demo.stdout + demo.stderr
            assert "order completed" in demo.stdout, demo.stdout
            assert f"connection {sandbox['connection_id']}" in demo.stdout, demo.stdout
            assert "imported 4, updated 0, skipped 1, failed 0" in demo.stdout, demo.stdout
            imported = re.findall(
                r"^  (\d{3}-\d{7}-\d{7}) -> order ([0-9a-f-]{36}): pending_approval, "
                r"[\d.]+ EUR, [^,]+, (\w+) \(imported\)$",
                demo.stdout,
                re.MULTILINE,
            )
            assert {city for _, _, city in imported} == {
                "Madrid",
                "Barcelona",
                "Valencia",
                "Sevilla",
            }, demo.stdout
            assert re.search(r"^  \d{3}-\d{7}-\d{7}: skipped: cancelled", demo.stdout, re.M)
            for _, order_id, _ in imported:
                answer = httpx.get(
                    f"http://127.0.0.1:{SERVICES['orders'].port}/orders/{order_id}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert answer.json()["origin"] == "marketplace", answer.text
        finally:
            up.send_signal(signal.SIGINT)
            output, _ = up.communicate(timeout=60)
        assert up.returncode == 0, output
        assert "OMS is up" in output
        rows = output[output.index("OMS is up") :].splitlines()
        first = next(row for row in rows if "│" in row and "where" not in row)
        assert re.search(rf"portal \(ready\)\s+│ {PORTAL}\s", first), output
        assert f"127.0.0.1:{smtp_port}, messages in {home / 'mail'}" in output
        assert f"admin password: {password} (new, stored in {stored.resolve()})" in output
        assert not _all("/health")
        assert not (home / "stack.json").exists()
