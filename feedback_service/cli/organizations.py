"""``create-org`` and ``demo``: a tenant with its first admin and key, or the demo shoe shop."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..accounts.organizations import create_organization
from ..core.database import commit
from ..demo.seed import ensure_demo, find_demo
from ..extensions import db
from ..models import Organization
from .common import print_credentials, require_schema


@click.command("create-org")
@click.argument("name")
@click.option("--admin-email", required=True, help="Email of the first admin.")
@click.option("--admin-password", default=None, help="Their password; generated when omitted.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@with_appcontext
def create_org(name: str, admin_email: str, admin_password: str | None, as_json: bool) -> None:
    """Create an organisation with an admin login and an admin API key."""
    require_schema()
    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="NAME")
    if len(name.strip()) > 200:
        raise click.BadParameter("use at most 200 characters", param_hint="NAME")
    try:
        validate_email(admin_email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="--admin-email") from None
    if admin_password is not None and len(admin_password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--admin-password")
    result = create_organization(name, admin_email, admin_password)
    commit()
    print_credentials(result, as_json)


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--if-empty", is_flag=True,
              help="Only create the demo in a database with no organisation yet (make run uses this).")
@with_appcontext
def demo(as_json: bool, if_empty: bool) -> None:
    """Create the demo shoe shop (once) and print its login and API key."""
    require_schema()
    if if_empty and find_demo() is None and db.session.scalar(select(func.count()).select_from(Organization)):
        click.echo("The database already has organisations; no demo was added (run 'demo' without --if-empty).")
        return
    result = ensure_demo()
    commit()
    print_credentials(result, as_json)
