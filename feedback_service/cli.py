"""``flask --app wsgi …`` commands: tenants, demo data, the worker."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect

from .database import commit
from .extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_org)
    app.cli.add_command(demo)
    app.cli.add_command(worker)


def _require_schema() -> None:
    if not inspect(db.engine).has_table("organization"):
        raise click.ClickException(
            "The database has no tables yet. Run 'flask --app wsgi db upgrade' first."
        )


def _print_credentials(result, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo(f"Organisation  {result.organization.name} (id {result.organization.id})")
    click.echo(f"API key       {result.api_key}   (shown once; keep it secret)")
    click.echo(f"Admin login   {result.admin.email} / {result.admin_password}")


@click.command("create-org")
@click.argument("name")
@click.option("--admin-email", required=True, help="Email of the first admin.")
@click.option("--admin-password", default=None, help="Their password; generated when omitted.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@with_appcontext
def create_org(name: str, admin_email: str, admin_password: str | None, as_json: bool) -> None:
    """Create an organisation with an admin login and an admin API key."""
    from email_validator import EmailNotValidError, validate_email

    from .services.organizations import create_organization

    _require_schema()
    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="NAME")
    try:
        validate_email(admin_email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="--admin-email") from None
    if admin_password is not None and len(admin_password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--admin-password")
    result = create_organization(name, admin_email, admin_password)
    commit()
    _print_credentials(result, as_json)


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@with_appcontext
def demo(as_json: bool) -> None:
    """Create the demo shoe shop (once) and print its login and API key."""
    from .services.demo import ensure_demo

    _require_schema()
    result = ensure_demo()
    commit()
    _print_credentials(result, as_json)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Sweep once, drain the queues, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker, with its scheduler, on every queue of the app."""
    from .worker import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set. Without Redis, jobs already run in-process after each "
            "request; set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to use a worker."
        )
    sys.exit(run_worker(burst=burst))
