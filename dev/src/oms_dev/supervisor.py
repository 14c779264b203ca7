"""One process supervisor for the services on one machine, used by ``oms up``, the tests,
the bench and the reliability suite alike: start a service's processes (api and worker,
from the manifest) with the stack's environment and a port, wait until they answer,
stop them, SIGKILL one, restart it on the same port, and restart what dies, with back-off.
``start_all`` starts a set of services signed-in style: the orders service, which issues
the tokens, with the admin's password, and every service verifying with its keys. An app
of the manifest (the portal) is started the same way, by its name, after the services it
calls (``oms up`` does; the tests, the bench and the reliability suite name services only).

A service may run several worker processes (``workers``): the same module with the same
environment, keyed ``(service, "worker")``, ``(service, "worker-2")``, ... They share the
work through leases (oms_kit.leadership): one publishes, the others stand by and take over
when it dies. Workers bind no port; the API role does.

Each process runs in a session of its own (a SIGKILL reaches its children too) and
appends its output to ``<log_dir>/<service>-<role>.log`` (``orders-worker-2.log``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType

import httpx
from oms_dev.manifest import runnable

Key = tuple[str, str]

#: The service that signs users in and issues tokens; every service verifies them with the
#: public keys it publishes at JWKS_PATH (DESIGN section 9).
ISSUER = "orders"
JWKS_PATH = "/.well-known/jwks.json"

#: Restart back-off after a process dies: doubled each time, from 1 s up to 30 s.
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0


class ProcessExited(RuntimeError):
    pass


def worker_roles(workers: int) -> list[str]:
    """The keys of a service's worker processes: ``worker``, ``worker-2``, ..."""
    return ["worker", *(f"worker-{n}" for n in range(2, workers + 1))]


def role_of(key: str) -> str:
    """The manifest's role a process key runs: ``worker-2`` runs the worker."""
    return key.split("-", 1)[0]


def url_variable(name: str) -> str:
    """The setting that tells the other services where ``name`` answers."""
    return "OMS_" + name.upper().replace("-", "_") + "_URL"


class Supervisor:
    def __init__(self, env: Mapping[str, str], log_dir: Path, workers: int = 1) -> None:
        #: Worker processes per service (each service with a worker role).
        if workers < 1:
            raise ValueError(f"a service runs at least one worker, not {workers}")
        self.workers = workers
        #: Added to this process's environment for every service process.
        self.env = dict(env)
        self.log_dir = log_dir
        #: Added to that for one service's processes only.
        self.service_env: dict[str, dict[str, str]] = {}
        #: Added for one service's API process only (orders: the admin's password; one
        #: process makes the admin, and its workers never need it).
        self.api_env: dict[str, dict[str, str]] = {}
        self.ports: dict[str, int] = {}
        self.processes: dict[Key, subprocess.Popen[bytes]] = {}

    # --- start, stop, kill ---------------------------------------------------------------

    def start(
        self,
        name: str,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        api_env: Mapping[str, str] | None = None,
    ) -> None:
        """Start every role of a service, its API on ``port`` (default: the manifest's),
        with ``env`` added for its processes only, and ``api_env`` for its API only."""
        service = runnable(name)
        self.ports[name] = port if port is not None else service.port
        self.service_env[name] = dict(env or {})
        self.api_env[name] = dict(api_env or {})
        for role in service.roles:
            for key in worker_roles(self.workers) if role == "worker" else [role]:
                self.spawn(name, key)

    def start_all(
        self,
        names: Iterable[str],
        *,
        admin_password: str | None = None,
        port: Callable[[str], int | None] = lambda _: None,
    ) -> None:
        """Start the services ``names`` (each API on ``port(name)``, default the
        manifest's). With the token issuer among them: every service verifies tokens with
        its keys (``OMS_AUTH_JWKS_URL``), and it starts first, creating the user ``admin``
        with ``admin_password`` if there is none yet. Without it, tokens are verified as
        the environment says (the tests' throw-away issuer)."""
        names = list(names)
        ports = {name: port(name) for name in names}
        ports = {name: p if p is not None else runnable(name).port for name, p in ports.items()}
        # Where each started service answers (OMS_ORDERS_URL, OMS_BILLING_URL, ...): a
        # service that calls another's public routes (notifications fetching documents)
        # and the portal find it there.
        for name, where in ports.items():
            self.env[url_variable(name)] = f"http://127.0.0.1:{where}"
        if ISSUER in names:
            self.env["OMS_AUTH_JWKS_URL"] = f"http://127.0.0.1:{ports[ISSUER]}{JWKS_PATH}"
            admin = {"OMS_ADMIN_PASSWORD": admin_password} if admin_password else {}
            # The API makes the admin; with several workers, each would take the identity
            # lock and hash the password too while the others wait.
            self.start(ISSUER, ports[ISSUER], api_env=admin)
        for name in names:
            if name != ISSUER:
                self.start(name, ports[name])

    def spawn(self, name: str, role: str) -> subprocess.Popen[bytes]:
        """Start one process of a started service (again), on the service's port; ``role``
        is its key (``api``, ``worker``, ``worker-2``)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path(name, role).open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", runnable(name).module(role_of(role))],
                env={
                    **os.environ,
                    **self.env,
                    **self.service_env.get(name, {}),
                    **(self.api_env.get(name, {}) if role_of(role) == "api" else {}),
                    "OMS_HTTP_PORT": str(self.ports[name]),
                },
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[(name, role)] = process
        return process

    def kill(self, name: str, role: str) -> None:
        """SIGKILL one process (by its key): no shutdown code runs."""
        process = self.processes[(name, role)]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self, name: str, role: str) -> None:
        """SIGKILL one process and start it again, on the same port."""
        self.kill(name, role)
        self.spawn(name, role)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every process, then SIGKILL what has not exited after ``timeout``."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # --- where they are ------------------------------------------------------------------

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.ports}

    def log_path(self, name: str, role: str) -> Path:
        return self.log_dir / f"{name}-{role}.log"

    def log(self, name: str, role: str) -> str:
        path = self.log_path(name, role)
        return path.read_text(errors="replace") if path.exists() else ""

    # --- waiting -------------------------------------------------------------------------

    def answering(
        self,
        path: str = "/ready",
        names: Iterable[str] | None = None,
        timeout: float = 60.0,
        stopping: Callable[[], bool] = lambda: False,
        fail_on_exit: bool = False,
    ) -> set[str]:
        """Poll the APIs until each answers ``path`` with 200, ``timeout`` passes or
        ``stopping()``; return the services that answered. With ``fail_on_exit``, a process
        that exits meanwhile raises :class:`ProcessExited` with the end of its log."""
        waiting = [n for n in (names if names is not None else self.ports) if self._has_api(n)]
        answered: set[str] = set()
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while len(answered) < len(waiting) and not stopping():
                if fail_on_exit:
                    self._raise_if_exited()
                for name in waiting:
                    if name in answered:
                        continue
                    try:
                        if client.get(f"{self.url(name)}{path}").status_code == 200:
                            answered.add(name)
                    except httpx.HTTPError:
                        pass
                if len(answered) == len(waiting) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        return answered

    def wait_ready(self, names: Iterable[str] | None = None, timeout: float = 90.0) -> None:
        """Every API answers ``/ready``; raise if a process exits or ``timeout`` passes."""
        waiting = list(names if names is not None else self.ports)
        ready = self.answering("/ready", waiting, timeout, fail_on_exit=True)
        missing = [n for n in waiting if self._has_api(n) and n not in ready]
        if missing:
            raise TimeoutError(f"{', '.join(missing)} not ready after {timeout:.0f} s")

    def key_of(self, pid: int) -> Key | None:
        """The key of the running process ``pid`` (a lease holder's), if one of ours."""
        for key, process in self.processes.items():
            if process.pid == pid and process.poll() is None:
                return key
        return None

    def _raise_if_exited(self) -> None:
        for (name, role), process in self.processes.items():
            if process.poll() is not None:
                raise ProcessExited(f"{name} {role} exited:\n{self.log(name, role)[-3000:]}")

    def _has_api(self, name: str) -> bool:
        return "api" in runnable(name).roles

    # --- keeping them running ------------------------------------------------------------

    def watch(
        self,
        stopping: Callable[[], bool],
        on_exit: Callable[[str, str, int, float], None] = lambda *_: None,
        interval: float = 0.5,
    ) -> None:
        """Restart any process that dies, until ``stopping()``. One that keeps dying waits
        longer each time (``on_exit(service, role, returncode, delay)`` is told)."""
        delays: dict[Key, float] = {}
        due: dict[Key, float] = {}
        while not stopping():
            now = time.monotonic()
            for key, process in list(self.processes.items()):
                if process.poll() is None or stopping():
                    continue
                if key not in due:
                    delays[key] = min(MAX_DELAY_S, delays.get(key, FIRST_DELAY_S / 2) * 2)
                    due[key] = now + delays[key]
                    on_exit(*key, process.returncode, delays[key])
                elif now >= due[key]:
                    del due[key]
                    self.spawn(*key)
            time.sleep(interval)
