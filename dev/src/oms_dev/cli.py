"""``oms``: run the whole system on one machine and operate it.

oms up                      PostgreSQL, the broker, an SMTP sink, a sandbox marketplace,
                            every service, the portal, the admin's password; Ctrl-C
                            stops all
oms status                  health, readiness, relay and projection lag per service; the
                            portal's health and readiness
oms replay SERVICE PROJ     drop a read model and rebuild it from the event store
oms republish SERVICE       publish stored events again (after a broker lost its data)
oms dlq list|redrive        dead letters: show them, send them back to be consumed
oms users create|list|disable   the orders service's users (signing in: DESIGN section 9)
oms demo                    order to cash through the routes, signed in as the admin, and
                            the sandbox marketplace's orders imported
oms mail list|show          the messages the dev stack's SMTP sink kept
"""

from __future__ import annotations

import asyncio
import getpass
import importlib
import json
import shutil
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any

import httpx
import psycopg
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from oms_contracts import dlq_topic
from oms_dev.client import TOKEN_PATH, SignIn, SignInFailed
from oms_dev.demo import DemoFailed, MarketplaceImport, run_demo, run_marketplace_import
from oms_dev.devstack import (
    create_service_databases,
    dev_stack,
    env_defaults,
    mail_sink,
    smtp_defaults,
)
from oms_dev.mailsink import DEFAULT_MAIL_FROM, KeptMessage, duplicates, read_mail
from oms_dev.manifest import APPS, SERVICES, entry
from oms_dev.marketplace import MarketplaceDouble
from oms_dev.sandbox import SANDBOX_PORT, SandboxMarketplace, connect, forget, running_double
from oms_dev.stack import (
    admin_password,
    admin_password_file,
    ensure_admin_password,
    load_service,
    mail_folder,
    read_stack,
    stack_file,
    state_dir,
    write_stack,
)
from oms_dev.supervisor import ISSUER, Supervisor
from oms_kit.context import metadata_scope
from oms_kit.domain import DomainError
from oms_kit.eventstore import app_name, events_table
from oms_kit.kafka import all_topics, ensure_topics, producer
from oms_kit.leadership import holders
from oms_kit.paging import MAX_LIMIT, PageRequest
from oms_kit.projection import ProjectionRunner
from oms_kit.relay import OutboxRelay
from oms_kit.settings import database_name
from psycopg import sql
from psycopg.conninfo import make_conninfo
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
dlq_app = typer.Typer(help="Dead-letter topics: list and redrive.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
users_app = typer.Typer(
    help="The orders service's users: create, list, disable.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
marketplace_app = typer.Typer(
    help="Marketplaces: import a seller account's orders.", no_args_is_help=True
)
app.add_typer(marketplace_app, name="marketplace")
mail_app = typer.Typer(
    help="The messages the dev stack's SMTP sink kept: list and show.", no_args_is_help=True
)
app.add_typer(mail_app, name="mail")
console = Console()

HEALTH_TIMEOUT_S = 60.0


@app.command()
def up(
    fresh: Annotated[bool, typer.Option(help="Start from empty event stores.")] = False,
    broker_port: Annotated[int, typer.Option(help="Port of the embedded broker.")] = 9092,
    smtp_port: Annotated[
        int, typer.Option(help="Port of the SMTP sink (a free one if it is taken).")
    ] = 1025,
    sandbox_marketplace: Annotated[
        bool,
        typer.Option(
            help="Run a sandbox Amazon seller account (the Selling Partner API double) with "
            "a few orders, connected to marketplace-ingest: oms demo imports them."
        ),
    ] = True,
    sandbox_port: Annotated[
        int, typer.Option(help="Port of the sandbox marketplace (a free one if it is taken).")
    ] = SANDBOX_PORT,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes per service: they share the relay, views and loops "
            "through leases, and take over from one that dies.",
        ),
    ] = 1,
) -> None:
    """Start PostgreSQL, the broker, an SMTP sink that keeps every message as a file
    (unless OMS_SMTP_HOST names a server), a sandbox marketplace, every service of the
    manifest and its apps (the portal, calling the services), and print where they are and
    the admin's password (OMS_ADMIN_PASSWORD, else the one stored in the state folder, else
    a new one stored there); Ctrl-C stops all."""
    home = state_dir()
    if fresh and (home / "pgdata").exists():
        shutil.rmtree(home / "pgdata")
    if fresh:
        forget()
    pg_dsn, kafka = env_defaults()
    smtp_host, smtp_port_given, mail_from = smtp_defaults()
    reused_data = not pg_dsn and (home / "pgdata" / "PG_VERSION").exists()
    started = time.monotonic()
    with (
        dev_stack(home, pg_dsn=pg_dsn, kafka_bootstrap=kafka, broker_port=broker_port) as (
            postgres,
            broker,
        ),
        mail_sink(mail_folder(), smtp_port, smtp_host) as sink,
        running_double(sandbox_port, sandbox_marketplace and MARKETPLACE in SERVICES) as double,
    ):
        create_service_databases(postgres.dsn, list(SERVICES))
        asyncio.run(ensure_topics(broker.bootstrap, 3, all_topics()))
        if broker.embedded:
            # A new in-memory broker has none of the events already stored: publish them
            # again; consumers drop what they had already applied (DESIGN section 2).
            _reset_relays(postgres.dsn)
        env = {
            "OMS_PG_DSN": postgres.dsn,
            "OMS_KAFKA_BOOTSTRAP": broker.bootstrap,
            # Only here are throw-away defaults accepted (orders' key password, ...).
            "OMS_DEV_STACK": "true",
            # The services' mail goes to the sink, unless the operator named a server.
            **(sink.env() if sink is not None else {}),
            "OMS_MAIL_FROM": mail_from or DEFAULT_MAIL_FROM,
        }
        password, kept = ensure_admin_password()
        supervisor = Supervisor(env, home / "logs", workers)
        # The apps last: they call the services, at the addresses start_all exports.
        supervisor.start_all([*SERVICES, *APPS], admin_password=password)
        stack_info: dict[str, Any] = {
            "pg_dsn": postgres.dsn,
            "kafka_bootstrap": broker.bootstrap,
            "services": {name: {"port": supervisor.ports[name]} for name in SERVICES},
            "apps": {name: {"port": supervisor.ports[name]} for name in APPS},
        }
        if sink is not None:
            stack_info["smtp"] = {"host": sink.host, "port": sink.port, "folder": str(sink.folder)}
        write_stack(stack_info)
        stopping = False

        def request_stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        def restarting(name: str, role: str, returncode: int, delay: float) -> None:
            console.print(
                f"[yellow]{name} {role} exited ({returncode}); "
                f"restarting in {delay:.0f} s (log: {supervisor.log_dir})[/yellow]"
            )

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            healthy = supervisor.answering(
                "/health", SERVICES, timeout=HEALTH_TIMEOUT_S, stopping=lambda: stopping
            )
            ready = supervisor.answering(
                "/ready", APPS, timeout=HEALTH_TIMEOUT_S, stopping=lambda: stopping
            )
            sandbox: SandboxMarketplace | str | None = None
            if double is not None:
                sandbox = _connect_sandbox(double, supervisor, password, lambda: stopping)
                if isinstance(sandbox, SandboxMarketplace):
                    stack_info["sandbox_marketplace"] = sandbox.stack_entry()
                    write_stack(stack_info)
            table = Table(title=f"OMS is up ({time.monotonic() - started:.1f} s)")
            table.add_column("what")
            table.add_column("where", overflow="fold")
            for name in APPS:
                state = "ready" if name in ready else "[red]not ready[/red]"
                table.add_row(f"{name} ({state})", supervisor.url(name))
            table.add_row("PostgreSQL" + (" (embedded)" if postgres.embedded else ""), postgres.dsn)
            table.add_row(
                "Kafka broker" + (" (tansu, memory)" if broker.embedded else ""), broker.bootstrap
            )
            for name in SERVICES:
                state = "healthy" if name in healthy else "[red]not healthy[/red]"
                table.add_row(f"{name} ({state})", f"{supervisor.url(name)}/docs")
            if sink is not None:
                table.add_row(
                    "SMTP sink (keeps every message)",
                    f"{sink.address}, messages in {sink.folder} (oms mail list)",
                )
            else:
                where = f"{smtp_host}:{smtp_port_given}" if smtp_port_given else f"{smtp_host}"
                table.add_row("SMTP server (OMS_SMTP_HOST)", where)
            if isinstance(sandbox, SandboxMarketplace):
                table.add_row(
                    "sandbox marketplace (Amazon.es, the Selling Partner API double)",
                    f"{sandbox.double.url}: {len(sandbox.double.orders)} orders, connection "
                    f"{sandbox.connection_id} (oms demo imports them)",
                )
            elif isinstance(sandbox, str):
                table.add_row("sandbox marketplace", Text(f"not connected: {sandbox}", "red"))
            table.add_row("logs", str(supervisor.log_dir))
            console.print(table)
            console.print(f"admin password: {password} ({kept})", markup=False, soft_wrap=True)
            if kept.startswith("new") and reused_data:
                console.print(
                    f"[yellow]The data in {home / 'pgdata'} is older than this password: an "
                    "admin made before keeps his own ('oms up --fresh' starts over).[/yellow]"
                )
            console.print(
                f"Sign in: curl -s -d grant_type=password -d username=admin "
                f"-d password=... {supervisor.url(ISSUER)}{TOKEN_PATH}",
                markup=False,
                soft_wrap=True,
            )
            console.print("Ctrl-C stops everything.")
            supervisor.watch(lambda: stopping, restarting)
        finally:
            console.print("stopping…")
            supervisor.stop()
            stack_file().unlink(missing_ok=True)


#: The service that imports a marketplace's orders (the sandbox is connected to it).
MARKETPLACE = "marketplace-ingest"


def _connect_sandbox(
    double: MarketplaceDouble,
    supervisor: Supervisor,
    password: str,
    stopping: Callable[[], bool],
) -> SandboxMarketplace | str:
    """Connect marketplace-ingest to the sandbox, signed in as the admin, once orders and it
    are ready; what went wrong, if it could not."""
    names = [ISSUER, MARKETPLACE]
    ready = supervisor.answering("/ready", names, timeout=HEALTH_TIMEOUT_S, stopping=stopping)
    if set(names) - ready:
        return f"{', '.join(sorted(set(names) - ready))} not ready"
    admin = SignIn(supervisor.url(ISSUER), "admin", password)
    try:
        return connect(double, supervisor.url(ISSUER), supervisor.url(MARKETPLACE), admin)
    except (DemoFailed, SignInFailed, httpx.HTTPError) as exc:
        return str(exc)


#: Where the worker's relay got to: its row in the tracking table (oms_kit.eventstore.Positions
#: of an OutboxRelay of the default name).
RELAY_POSITION = "relay:kafka"


def _tracking_table(service: str) -> sql.Identifier:
    return sql.Identifier(f"{app_name(service)}_tracking")


def _reset_relays(pg_dsn: str) -> None:
    for service in SERVICES:
        dsn = make_conninfo(pg_dsn, dbname=database_name(service))
        with psycopg.connect(dsn, autocommit=True) as conn:
            exists = conn.execute("SELECT to_regclass(%s)", (f"{app_name(service)}_tracking",))
            row = exists.fetchone()
            if row and row[0]:
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE application_name = %s").format(
                        _tracking_table(service)
                    ),
                    (RELAY_POSITION,),
                )


def _stack() -> dict[str, Any]:
    info = read_stack()
    if not info.get("pg_dsn"):
        console.print(
            "[red]No running stack: start one with 'oms up' (or set OMS_PG_DSN and "
            "OMS_KAFKA_BOOTSTRAP).[/red]"
        )
        raise typer.Exit(2)
    return info


def _service(name: str, info: dict[str, Any]) -> Any:
    try:
        return load_service(
            name,
            pg_dsn=info["pg_dsn"],
            kafka_bootstrap=info.get("kafka_bootstrap", "127.0.0.1:9092"),
        )
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def status() -> None:
    """Health, readiness, and how far each relay and projection is behind its event store;
    which worker process (pid) holds the relay, the projection runners and the background
    loops; the apps' (the portal's) health and readiness."""
    info = _stack()
    table = Table(title="OMS status")
    table.add_column("service", no_wrap=True, min_width=max(len(n) for n in [*SERVICES, *APPS]))
    for col in ("health", "ready", "events stored", "relayed", "projections", "leases"):
        table.add_column(col)
    with httpx.Client(timeout=2.0) as client:
        for e in SERVICES.values():
            health, ready = _answers(client, e.port)
            stored, relayed, projections = _positions(info["pg_dsn"], e.name)
            leases = _leases(info["pg_dsn"], e.name)
            table.add_row(e.name, health, ready, str(stored), relayed, projections, leases)
        for a in APPS.values():
            # An app keeps no events: nothing stored, relayed or projected.
            table.add_row(f"{a.name} (app)", *_answers(client, a.port), "-", "-", "-", "-")
    console.print(table)


def _leases(pg_dsn: str, service: str) -> str:
    """Who holds the service's leases: ``<pid>: relay, 2 views, 1 loop`` per worker."""
    try:
        held = holders(make_conninfo(pg_dsn, dbname=database_name(service)))
    except psycopg.Error:
        return "-"
    by_pid: dict[int, list[str]] = {}
    for name, pid in held.items():
        by_pid.setdefault(pid, []).append(name.partition(":")[0])
    described = []
    for pid, kinds in sorted(by_pid.items()):
        what = ["relay"] if "relay" in kinds else []
        for kind in ("view", "loop"):
            if count := kinds.count(kind):
                what.append(f"{count} {kind}{'s' if count > 1 else ''}")
        described.append(f"{pid}: {', '.join(what)}")
    return "; ".join(described) or "-"


def _answers(client: httpx.Client, port: int) -> tuple[str, str]:
    """What /health and /ready on ``port`` say: ok, failing / not ready, or down."""
    health = ready = "down"
    try:
        health = "ok" if client.get(f"http://127.0.0.1:{port}/health").is_success else "failing"
        ready = "ok" if client.get(f"http://127.0.0.1:{port}/ready").is_success else "not ready"
    except httpx.HTTPError:
        pass
    return health, ready


def _positions(pg_dsn: str, service: str) -> tuple[int, str, str]:
    try:
        with psycopg.connect(
            make_conninfo(pg_dsn, dbname=database_name(service)), connect_timeout=3
        ) as conn:
            stored = _scalar(conn, f"SELECT max(notification_id) FROM {events_table(service)}") or 0
            positions = sql.SQL(
                "SELECT application_name, max(notification_id) FROM {} "
                "WHERE application_name = %s OR application_name LIKE 'view:%%' "
                "GROUP BY application_name ORDER BY application_name"
            ).format(_tracking_table(service))
            rows: dict[str, int] = (
                dict(conn.execute(positions, (RELAY_POSITION,)).fetchall())
                if _scalar(conn, f"SELECT to_regclass('{app_name(service)}_tracking')")
                else {}
            )
    except psycopg.Error:
        return 0, "-", "-"
    relayed = rows.pop(RELAY_POSITION, None)
    behind = [f"{name.removeprefix('view:')} {stored - pos} behind" for name, pos in rows.items()]
    projections = ", ".join(behind) or "-"
    return (
        stored,
        f"{relayed} ({stored - (relayed or 0)} behind)" if relayed is not None else "-",
        projections,
    )


def _scalar(conn: psycopg.Connection[Any], query: str) -> Any:
    try:
        with conn.transaction():
            row = conn.execute(query).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


@app.command()
def replay(service: str, projection: str) -> None:
    """Drop a projection's read model and rebuild it from the service's event store."""
    svc = _service(service, _stack())
    try:
        runner = ProjectionRunner(svc.app, svc.view(projection), svc.settings.projection_batch_size)
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    total = svc.app.recorder.max_notification_id() or 0
    with Progress(console=console) as bar:
        task = bar.add_task(f"replaying {service}/{projection}", total=total)
        read = runner.rebuild(progress=lambda n: bar.advance(task, n))
    console.print(f"{service}/{projection}: rebuilt from {read} events")


@app.command()
def republish(
    service: str,
    from_: Annotated[int, typer.Option("--from", help="Publish events after this position.")] = 0,
) -> None:
    """Publish a service's stored events again (consumers drop what they already applied)."""
    svc = _service(service, _stack())
    relay = OutboxRelay(svc.app, svc.settings, svc.outbound)
    total = max(0, (svc.app.recorder.max_notification_id() or 0) - from_)
    with Progress(console=console) as bar:
        task = bar.add_task(f"republishing {service}", total=total)
        sent = asyncio.run(relay.republish(from_, progress=lambda n: bar.advance(task, n)))
    console.print(f"{service}: republished {sent} events after position {from_}")


@app.command()
def demo(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each step.")] = 30.0,
) -> None:
    """Drive a full order-to-cash flow through the running services and print it."""
    info = _stack()
    urls = {e.name: f"http://127.0.0.1:{e.port}" for e in SERVICES.values()}
    for name, svc in info.get("services", {}).items():
        urls[name] = f"http://127.0.0.1:{svc['port']}"
    password = admin_password()
    if password is None:
        console.print(
            "[red]No admin password: 'oms up' stores it in "
            f"{admin_password_file()}; or set OMS_ADMIN_PASSWORD.[/red]"
        )
        raise typer.Exit(2)
    console.print("[bold]OMS demo: order to cash[/bold] (signed in as admin)")
    try:
        timeline = run_demo(
            urls["orders"],
            urls["inventory"],
            urls["billing"],
            SignIn(urls["orders"], "admin", password),
            timeout=timeout,
            on_step=lambda t, what: console.print(f"{t:7.2f} s  {what}"),
        )
    except (DemoFailed, SignInFailed, httpx.HTTPError) as exc:
        console.print(f"[red]demo failed: {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"done in {timeline.seconds:.2f} s; the order's history: "
        f"GET {urls['orders']}/orders/{timeline.order_id}/history"
    )
    sandbox = info.get("sandbox_marketplace")
    if not sandbox or MARKETPLACE not in urls:
        return
    console.print(
        f"[bold]The sandbox marketplace's orders[/bold] ({sandbox['url']}, connection "
        f"{sandbox['connection_id']})"
    )
    try:
        run = run_marketplace_import(
            urls["orders"],
            urls[MARKETPLACE],
            SignIn(urls["orders"], "admin", password),
            sandbox["connection_id"],
            sandbox["created_from"],
            timeout=timeout,
            on_step=lambda what: console.print(f"  {what}", markup=False),
        )
    except (DemoFailed, SignInFailed, httpx.HTTPError) as exc:
        console.print(f"[red]import failed: {exc}[/red]")
        raise typer.Exit(1) from exc
    _print_import(run)
    if run.status != "completed" or run.failed:
        raise typer.Exit(1)


#: How an import run's outcomes read in the demo.
OUTCOMES = {"unchanged": "imported before"}


def _print_import(run: MarketplaceImport) -> None:
    say = partial(console.print, markup=False, soft_wrap=True)
    say(
        f"import {run.run_id}: {run.status}; imported {run.imported}, updated {run.updated}, "
        f"skipped {run.skipped}, failed {run.failed}"
    )
    for order in run.orders:
        outcome = OUTCOMES.get(order.outcome, order.outcome)
        if order.status:
            say(
                f"  {order.external_order_id} -> order {order.order_id}: {order.status}, "
                f"{order.total} {order.currency}, {order.buyer} ({outcome})"
            )
        else:
            reason = f": {order.reason}" if order.reason else ""
            say(f"  {order.external_order_id}: {outcome}{reason}")


def _urls() -> dict[str, str]:
    """Each running service's address: the stack file of ``oms up``, else the manifest."""
    urls = {e.name: f"http://127.0.0.1:{e.port}" for e in SERVICES.values()}
    for name, svc in read_stack().get("services", {}).items():
        urls[name] = f"http://127.0.0.1:{svc['port']}"
    return urls


#: How times may be given on the command line.
TIMES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]


def _aware(value: datetime, option: str) -> datetime:
    """A time given without an offset is UTC (Amazon's API refuses local offsets anyway)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.utcoffset() != timedelta(0):
        raise typer.BadParameter("give the time in UTC (Z or +00:00)", param_hint=option)
    return value


@marketplace_app.command("import")
def marketplace_import(
    connection: Annotated[str, typer.Argument(help="The connection's id (POST /connections).")],
    created_from: Annotated[
        datetime, typer.Option("--from", help="Orders created from (UTC).", formats=TIMES)
    ],
    created_to: Annotated[
        datetime | None,
        typer.Option("--to", help="Orders created until (UTC; default: now).", formats=TIMES),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the run.")] = 1800.0,
) -> None:
    """Import the orders a marketplace account created in a period, with a progress bar;
    an order already imported is not imported again."""
    start = _aware(created_from, "--from")
    end = _aware(created_to, "--to") if created_to else None
    if end is not None and end <= start:
        raise typer.BadParameter("must be after --from", param_hint="--to")
    password = admin_password()
    if password is None:
        console.print(
            f"[red]No admin password: set OMS_ADMIN_PASSWORD ({admin_password_file()}).[/red]"
        )
        raise typer.Exit(2)
    urls = _urls()
    body: dict[str, str] = {"created_from": start.isoformat()}
    if end is not None:
        body["created_to"] = end.isoformat()
    auth = SignIn(urls["orders"], "admin", password).auth
    with httpx.Client(base_url=urls["marketplace-ingest"], auth=auth, timeout=30) as client:
        answer = client.post(f"/connections/{connection}/imports", json=body)
        if answer.status_code != 202:
            console.print(f"[red]{answer.status_code}: {answer.text}[/red]")
            raise typer.Exit(1)
        run_id = answer.json()["import_run_id"]
        run = _follow_import(client, run_id, timeout)
    console.print(
        f"import {run_id}: {run['status']}; imported {run['imported']}, updated "
        f"{run['updated']}, skipped {run['skipped']}, failed {run['failed']}"
    )
    for order in run["orders"]:
        if order["status"] not in ("imported", "updated", "skipped"):
            console.print(f"  {order['external_order_id']}: {order['status']}")
    if run["status"] != "completed":
        raise typer.Exit(1)


def _follow_import(client: httpx.Client, run_id: str, timeout: float) -> dict[str, Any]:
    """Poll the run until it is no longer running, showing what it has done so far."""
    deadline = time.monotonic() + timeout
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("importing", total=None)
        while True:
            run: dict[str, Any] = client.get(f"/imports/{run_id}").raise_for_status().json()
            done = run["imported"] + run["updated"] + run["skipped"] + run["failed"]
            bar.update(task, description=f"importing: {done} orders read, {run['failed']} failed")
            if run["status"] != "running":
                return run
            if time.monotonic() > deadline:
                console.print(
                    f"[red]still running after {timeout:.0f} s: GET /imports/{run_id}[/red]"
                )
                raise typer.Exit(1)
            time.sleep(1.0)


@dlq_app.command("list")
def dlq_list(service: Annotated[str | None, typer.Argument()] = None) -> None:
    """Show the dead letters of one service, or of all."""
    info = _stack()
    names = [entry(service).name] if service else list(SERVICES)
    letters = asyncio.run(_read_dlq(info["kafka_bootstrap"], names))
    table = Table(title="dead letters")
    for col in ("topic", "partition/offset", "failed at", "from", "error"):
        table.add_column(col)
    for topic, partition, offset, headers, _value in letters:
        table.add_row(
            topic,
            f"{partition}/{offset}",
            headers.get("oms-failed-at", ""),
            headers.get("oms-source-topic", ""),
            headers.get("oms-error", ""),
        )
    console.print(table)
    console.print(f"{len(letters)} dead letters")


DeadLetterRecord = tuple[str, int, int, dict[str, str], bytes]


async def _read_dlq(bootstrap: str, services: list[str]) -> list[DeadLetterRecord]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = await _assign(consumer, services)
        if not parts:
            return []
        await consumer.seek_to_beginning(*parts)
        return await _drain(consumer)
    finally:
        await consumer.stop()


async def _assign(consumer: AIOKafkaConsumer, services: list[str]) -> list[TopicPartition]:
    await consumer.topics()  # refreshes metadata for every topic
    parts = [
        TopicPartition(dlq_topic(s), p)
        for s in services
        for p in sorted(consumer.partitions_for_topic(dlq_topic(s)) or ())
    ]
    consumer.assign(parts)
    return parts


async def _drain(consumer: AIOKafkaConsumer, idle_ms: int = 1500) -> list[DeadLetterRecord]:
    """Every record from the assigned positions until the topics are quiet. (The dev
    broker's end offsets are not reliable after multi-record batches, so no end_offsets.)"""
    out: list[DeadLetterRecord] = []
    while batch := await consumer.getmany(timeout_ms=idle_ms):
        for tp, records in batch.items():
            for record in records:
                headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
                out.append((tp.topic, tp.partition, record.offset, headers, record.value or b""))
    return sorted(out, key=lambda r: (r[0], r[1], r[2]))


@dlq_app.command("redrive")
def dlq_redrive(service: str) -> None:
    """Send a service's new dead letters back to the topics they came from."""
    info = _stack()
    name = entry(service).name
    sent = asyncio.run(_redrive(info["kafka_bootstrap"], name))
    console.print(f"{name}: redrove {sent} dead letters")


async def _redrive(bootstrap: str, service: str) -> int:
    """Send new dead letters back to their source topics. A consumer group of its own
    remembers which were redriven; its offsets move only after the producer's acks."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"oms-dlq-redrive.{service}", enable_auto_commit=False
    )
    prod = producer(bootstrap)
    await consumer.start()
    await prod.start()
    try:
        parts = await _assign(consumer, [service])
        for tp in parts:
            consumer.seek(tp, await consumer.committed(tp) or 0)
        letters = await _drain(consumer) if parts else []
        acks = []
        for _topic, _partition, _offset, headers, value in letters:
            target = headers.get("oms-source-topic")
            if not target:
                continue
            kept = [(k, v.encode()) for k, v in headers.items() if not k.startswith("oms-")]
            key = json.loads(value).get("aggregate_id") if _is_json(value) else None
            acks.append(
                await prod.send(
                    target,
                    value=value,
                    headers=kept,
                    key=key.encode() if isinstance(key, str) else None,
                )
            )
        await asyncio.gather(*acks)
        done: dict[TopicPartition, int] = {}
        for topic, partition, offset, _headers, _value in letters:
            tp = TopicPartition(topic, partition)
            done[tp] = max(done.get(tp, 0), offset + 1)
        if done:
            await consumer.commit(done)
        return len(acks)
    finally:
        await prod.stop()
        await consumer.stop()


def _is_json(value: bytes) -> bool:
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False


# --- oms mail: what the dev stack's SMTP sink kept ----------------------------------------


def _kept_mail() -> list[KeptMessage]:
    messages = read_mail(mail_folder())
    if not messages:
        console.print(
            f"No messages in {mail_folder()}: 'oms up' keeps there what the services send "
            "(unless OMS_SMTP_HOST names a server of your own).",
            markup=False,
        )
    return messages


def _when(message: KeptMessage) -> str:
    return message.received_at.strftime("%Y-%m-%d %H:%M:%SZ")


@mail_app.command("list")
def mail_list(
    limit: Annotated[int, typer.Option(help="Show the newest LIMIT messages.")] = 50,
) -> None:
    """The messages kept, newest first: number, time, from, to, subject, attachments and
    Message-ID; a Message-ID seen before is marked (a message sent again because the sender
    could not tell whether the first had gone out)."""
    messages = _kept_mail()
    if not messages:
        return
    again = duplicates(messages)
    table = Table(title=f"mail kept in {mail_folder()}")
    table.add_column("#", no_wrap=True)
    for column in ("time (UTC)", "from", "to", "subject", "attachments", "Message-ID"):
        table.add_column(column, overflow="fold")
    for message in list(reversed(messages))[:limit]:
        message_id = Text(message.message_id)
        if message.number in again:
            message_id.append(f" duplicate of #{again[message.number]}", style="bold yellow")
        table.add_row(
            str(message.number),
            _when(message),
            Text(message.sender),
            Text(message.recipients),
            Text(message.subject),
            Text(", ".join(name for name, _ in message.attachments)),
            message_id,
        )
    console.print(table)
    shown = min(limit, len(messages))
    summary = f"{len(messages)} messages" + (
        f", newest {shown} shown" if shown < len(messages) else ""
    )
    if again:
        summary += f"; {len(again)} with a Message-ID sent before"
    console.print(summary)


def _say(text: str) -> None:
    """Print text as it is (a subject or a body is no markup)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@mail_app.command("show")
def mail_show(
    number: Annotated[int, typer.Argument(help="The message's # in oms mail list.")],
) -> None:
    """One message: its envelope, headers, text and its attachments' names and sizes."""
    messages = _kept_mail()
    message = next((m for m in messages if m.number == number), None)
    if message is None:
        if messages:
            console.print(
                f"No message #{number} in {mail_folder()} (oms mail list).",
                style="red",
                markup=False,
            )
        raise typer.Exit(1)
    again = duplicates(messages)
    _say(f"#{message.number}, received {_when(message)} from {message.peer or 'unknown'}")
    _say(
        f"envelope: MAIL FROM <{message.mail_from}> RCPT TO "
        + ", ".join(f"<{r}>" for r in message.rcpt_tos)
    )
    _say(f"file: {message.path}")
    if message.number in again:
        console.print(
            f"[bold yellow]duplicate of #{again[message.number]}[/bold yellow] "
            "(the same Message-ID: sent again)"
        )
    _say("")
    for name, value in message.message.items():
        _say(f"{name}: {value}")
    _say("")
    _say(message.text.replace("\r\n", "\n").rstrip("\n"))
    attachments = message.attachments
    _say("")
    _say(f"{len(attachments)} attachments" + (":" if attachments else ""))
    for name, size in attachments:
        _say(f"  {name}  {size} bytes")


# --- oms users: the orders service's users, through its Application in this process ------

#: The service that keeps the users (and signs them in).
USERS_SERVICE = "orders"


def _operator() -> str:
    """The actor of what an operator's command stores (a person at this machine)."""
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):
        return "operator"


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[
        str,
        typer.Option(help="admin, back_office, warehouse, sales_rep, customer or partner."),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    sales_rep_id: Annotated[
        str | None, typer.Option(help="The sales rep a sales_rep user is.")
    ] = None,
    customer_id: Annotated[
        str | None, typer.Option(help="The customer a customer user stands for.")
    ] = None,
    partner_id: Annotated[
        str | None, typer.Option(help="The partner a partner user stands for.")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="pt, es, pl, en or de (default: the company's).")
    ] = None,
) -> None:
    """Create a user who signs in with USERNAME and a password (asked for, or read from
    standard input with --password-stdin); the password is never printed."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    svc = _service(USERS_SERVICE, _stack())
    try:
        with metadata_scope(actor=_operator()):
            user = svc.app.register_user(
                username=username,
                password=password,
                role=role,
                sales_rep_id=sales_rep_id,
                customer_id=customer_id,
                partner_id=partner_id,
                language=language,
            )
    except DomainError as exc:
        console.print(f"{exc.field or 'error'}: {exc.message}", style="red", markup=False)
        raise typer.Exit(1) from exc
    finally:
        svc.app.close()
    console.print(f"created user {user.username} ({user.role}), id {user.user_id}", markup=False)


@users_app.command("list")
def users_list(
    role: Annotated[str | None, typer.Option(help="Only users of this role.")] = None,
) -> None:
    """Every user (no password or hash is shown), by username."""
    svc = _service(USERS_SERVICE, _stack())
    try:
        view = svc.view("user_list")
        ProjectionRunner(svc.app, view).catch_up()  # what the worker may not have applied yet
        table = Table(title="users")
        for column in ("username", "role", "stands for", "language", "enabled", "id"):
            table.add_column(column)
        count, cursor = 0, None
        while True:
            page = view.list_users(_user_filter(role), PageRequest(limit=MAX_LIMIT, cursor=cursor))
            for user in page.items:
                stands_for = user.sales_rep_id or user.customer_id or user.partner_id or ""
                table.add_row(
                    user.username,
                    user.role,
                    stands_for,
                    user.language,
                    "yes" if user.enabled else "no",
                    user.user_id,
                )
                count += 1
            cursor = page.next_cursor
            if cursor is None:
                break
    finally:
        svc.app.close()
    console.print(table)
    console.print(f"{count} users")


def _user_filter(role: str | None) -> Any:
    """The user list's filter (the orders package is loaded by name, as its service is)."""
    module = importlib.import_module(f"{entry(USERS_SERVICE).package}.projections.user_list")
    return module.UserFilter(role=role)


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: he can no longer sign in (the tokens he holds expire within their
    short life)."""
    svc = _service(USERS_SERVICE, _stack())
    try:
        user = svc.app.find_user(username)
        if user is None:
            console.print(f"no user {username}", style="red", markup=False)
            raise typer.Exit(1)
        with metadata_scope(actor=_operator()):
            svc.app.disable_user(user.user_id)
    except DomainError as exc:
        console.print(exc.message, style="red", markup=False)
        raise typer.Exit(1) from exc
    finally:
        svc.app.close()
    console.print(f"disabled user {user.username}", markup=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
