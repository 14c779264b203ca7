"""The supervisor starts an app of the manifest (the portal) as it starts a service: by its
name, on a port, with the services' addresses in its environment, logging to
``<app>-api.log``; it answers /ready and its sign-in page, and a SIGKILLed portal is
started again on the same port. No database, broker or service is needed for that."""

from __future__ import annotations

from pathlib import Path

import httpx
from oms_dev.devstack import free_port
from oms_dev.supervisor import Supervisor


def test_the_portal_starts_by_name_answers_and_comes_back_after_a_kill(tmp_path: Path) -> None:
    port = free_port()
    # Only a dev stack may sign the portal's cookies with its well-known key.
    with Supervisor({"OMS_DEV_STACK": "true"}, tmp_path / "logs") as supervisor:
        supervisor.start_all(["portal"], port=lambda _: port)
        assert supervisor.env["OMS_PORTAL_URL"] == f"http://127.0.0.1:{port}"
        assert supervisor.url("portal") == f"http://127.0.0.1:{port}"
        supervisor.wait_ready(["portal"], timeout=60)
        page = httpx.get(
            f"{supervisor.url('portal')}/", headers={"Accept-Language": "en"}, follow_redirects=True
        )
        assert page.status_code == 200 and ">Sign in</button>" in page.text, page.text[:500]
        assert (tmp_path / "logs" / "portal-api.log").is_file()

        killed = supervisor.processes[("portal", "api")].pid
        supervisor.restart("portal", "api")
        assert supervisor.processes[("portal", "api")].pid != killed
        supervisor.wait_ready(["portal"], timeout=60)
        assert httpx.get(f"{supervisor.url('portal')}/health").status_code == 200
