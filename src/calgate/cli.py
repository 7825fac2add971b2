# SPDX-License-Identifier: Apache-2.0
"""The ``calgate`` command: serve, migrate, run workers, manage applications; the long
operations (``import``, ``sync``) are in ``cli_operations``.

Settings come from ``CALGATE_*`` environment variables (see README, "Configuration").
"""

from __future__ import annotations

import json
import logging
import sys

import click

from calgate import gc_tuning, logs
from calgate.cli_operations import import_ics, sync_command
from calgate.config import Settings
from calgate.domain import applications, ids, model
from calgate.domain.access_modes import FEATURES
from calgate.domain.errors import ValidationFailed
from calgate.services import Services, create_services
from calgate.store.migrate import upgrade

CLI_OWNER = "cli@calgate.localhost"


def _services() -> Services:
    return create_services(Settings())


@click.group()
def main() -> None:
    """calgate: a self-hosted calendar connection service (Cronofy v1 compatible)."""


@main.command()
def migrate() -> None:
    """Upgrade the database to the newest schema."""
    services = _services()
    upgrade(services.db.engine)
    click.echo(f"database at {services.db.engine.url.render_as_string(hide_password=True)} is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="HTTP worker processes; more than one needs PostgreSQL.")
@click.option("--jobs/--no-jobs", "run_jobs", default=None,
              help="Run the job queue inside the server processes  [default: CALGATE_RUN_JOBS_IN_PROCESS, true]. "
                   "Use --no-jobs when separate `calgate worker` processes run the jobs.")
@click.option("--migrate/--no-migrate", "run_migrations", default=True, show_default=True, help="Upgrade the database first.")
def serve(host: str, port: int, workers: int, run_jobs: bool | None, run_migrations: bool) -> None:
    """Run the HTTP service (API, connect pages, dashboard) and, unless --no-jobs, the job runner."""
    import os

    import uvicorn

    from calgate.app import create_app

    if run_jobs is not None:  # worker processes build their settings from the environment
        os.environ["CALGATE_RUN_JOBS_IN_PROCESS"] = "true" if run_jobs else "false"
    settings = Settings()
    log_config = logs.configure(settings.log_format)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise click.UsageError("--workers above 1 needs PostgreSQL: set CALGATE_DATABASE_URL (see README, Production)")
    services = create_services(settings)
    if run_migrations:
        upgrade(services.db.engine)
    if settings.uses_dev_secret:
        logging.getLogger("calgate").warning("CALGATE_SECRET_KEY is not set; using the development key")
    jobs = "jobs in process" if settings.run_jobs_in_process else "no jobs (run `calgate worker`)"
    click.echo(f"calgate on http://{host}:{port}  ({workers} worker(s), {jobs}; dashboard: {settings.public_url}/dashboard)")
    if workers == 1:
        app = create_app(settings, services)
        gc_tuning.settle()
        uvicorn.run(app, host=host, port=port, log_config=log_config)
        return
    services.db.dispose()
    uvicorn.run("calgate.app:create_served_app", factory=True, host=host, port=port, workers=workers, log_config=log_config)


@main.command()
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds between looks at the queue while it is empty.")
def worker(poll: float) -> None:
    """Run queued jobs (mail, push notifications, syncs, writes to providers) until stopped.

    Any number of workers, on any number of machines, may share one PostgreSQL: each job is
    claimed by one of them (SELECT … FOR UPDATE SKIP LOCKED) under a lease; a job whose worker
    died is claimed again when its lease ends. SIGTERM or SIGINT stop it after the job in hand.
    """
    import signal
    import threading

    settings = Settings()
    logs.configure(settings.log_format)
    services = create_services(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    gc_tuning.settle()
    services.jobs.start(poll_seconds=poll)
    click.echo(f"calgate worker on {services.db.engine.url.render_as_string(hide_password=True)}")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        services.stop()
        services.db.dispose()
    click.echo("calgate worker stopped")


@main.command("inbound-smtp")
@click.option("--host", default=None, help="Address to listen on.  [default: CALGATE_INBOUND_HOST or 127.0.0.1]")
@click.option("--port", default=None, type=int, help="Port to listen on.  [default: CALGATE_INBOUND_PORT or 2525]")
def inbound_smtp(host: str | None, port: int | None) -> None:
    """Receive replies to invitations: an SMTP server for CALGATE_ORGANIZER_EMAIL.

    Point that address's MX (or a forwarding rule) here. Mail to any other address is refused
    with 550; every accepted message gets 250, and what cannot be applied is logged and dropped.
    """
    import signal
    import threading

    from calgate.mail.inbound import InboundServer

    settings = Settings()
    logs.configure(settings.log_format)
    services = create_services(settings)
    server = InboundServer(services.uow, settings.organizer_email, host or settings.inbound_host, port or settings.inbound_port)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    click.echo(f"calgate inbound SMTP on {server.host}:{server.port}, accepting replies to {settings.organizer_email}")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        services.db.dispose()
    click.echo("calgate inbound SMTP stopped")


@main.command("mcp")
@click.option("--http", "over_http", is_flag=True, help="Serve streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="With --http: address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="With --http: port to listen on.")
@click.option("--token", envvar="CALGATE_MCP_TOKEN", default=None, show_envvar=True,
              help="stdio: the access token (acts as that account) or API key (acts as the application) of every call.")
@click.option("--jobs/--no-jobs", "run_jobs", default=False, show_default=True,
              help="Run the job queue in this process too (when no `calgate serve` or `calgate worker` runs it).")
def mcp_command(over_http: bool, host: str, port: int, token: str | None, run_jobs: bool) -> None:
    """Serve calgate's MCP tools to AI assistants (docs/guide/mcp.md): over stdio with --token
    (or CALGATE_MCP_TOKEN), or with --http over streamable HTTP, each request with its own
    'Authorization: Bearer'. It uses the service's database; run it beside `calgate serve`."""
    from calgate.domain.errors import CalgateError
    from calgate.mcp_server import credentials, errors, server

    settings = Settings()
    log_config = logs.configure(settings.log_format)  # to stderr: over stdio, stdout is the protocol's
    services = create_services(settings)
    if over_http and token is not None:
        raise click.UsageError("--token is for stdio: over --http each request sends its own 'Authorization: Bearer'")
    if not over_http:
        if not token:
            raise click.UsageError("give the credential as --token or CALGATE_MCP_TOKEN (an access token or API key)")
        try:
            credentials.resolve(services, token)
        except CalgateError as exc:
            raise click.ClickException(errors.message(exc)) from None
    if run_jobs:
        services.jobs.start()
    try:
        if over_http:
            import uvicorn

            click.echo(f"calgate MCP on http://{host}:{port}{server.PATH}", err=True)
            uvicorn.run(server.http_app(services, host), host=host, port=port, log_config=log_config)
        else:
            server.build(services, token).run("stdio")
    finally:
        services.stop()
        services.db.dispose()


@main.group()
def apps() -> None:
    """Register and list applications."""


@apps.command("create")
@click.option("--name", required=True, help="Application name shown on the consent screen.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True, help="Registered redirect URI (repeatable).")
@click.option("--enable", "features", multiple=True, type=click.Choice(sorted(FEATURES)), help="Offer an extra access mode (repeatable).")
@click.option("--owner", default=CLI_OWNER, show_default=True, help="Email of the developer who owns it.")
def apps_create(name: str, redirect_uris: tuple[str, ...], features: tuple[str, ...], owner: str) -> None:
    """Create an application; prints its client_id and client_secret as JSON."""
    services = _services()
    with services.uow() as uow:
        developer = uow.developers.by_email(owner.lower())
        if developer is None:
            # "!" is no argon2 hash: nobody can sign in as this owner until they reset it.
            developer = model.Developer(id=ids.new_id("dev"), email=owner.lower(), password_hash="!")
            uow.developers.add(developer)
        try:
            app, secret = applications.create(uow, services.box, developer.id, name, list(redirect_uris), set(features))
        except ValidationFailed as exc:
            raise click.ClickException(str(exc)) from None
        uow.commit()
    click.echo(
        json.dumps(
            {
                "name": app.name,
                "client_id": app.client_id,
                "client_secret": secret,
                "redirect_uris": app.redirect_uris,
                "features": sorted(app.features),
            },
            indent=2,
        )
    )


@apps.command("list")
def apps_list() -> None:
    """List applications as JSON (never their secrets)."""
    services = _services()
    with services.uow() as uow:
        rows = [
            {
                "name": a.name,
                "client_id": a.client_id,
                "redirect_uris": a.redirect_uris,
                "features": sorted(a.features),
                "created_at": a.created_at.isoformat(),
            }
            for a in uow.applications.all()
        ]
    json.dump(rows, sys.stdout, indent=2)
    click.echo()


main.add_command(import_ics)
main.add_command(sync_command)
