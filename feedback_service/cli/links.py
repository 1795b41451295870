"""``email-links``: one-click survey links for an email sent by hand or by another system."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..collection.tokens import email_links as make_links
from ..extensions import db
from ..models import Touchpoint
from .common import ID, require_schema


@click.command("email-links")
@click.argument("touchpoint_id", type=ID)
@click.option("--customer-id", default=None, help="Your id for the customer the email goes to.")
@click.option("--customer-email", default=None, help="The customer's email address.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@with_appcontext
def email_links(touchpoint_id: int, customer_id: str | None, customer_email: str | None, as_json: bool) -> None:
    """Print one-click survey links (one per score) to put in an email."""
    require_schema()
    touchpoint = db.session.get(Touchpoint, touchpoint_id)
    if touchpoint is None or touchpoint.archived_at is not None:
        raise click.ClickException(f"No touchpoint with id {touchpoint_id}. List them with GET /api/v1/touchpoints.")
    result = make_links(touchpoint, customer_id=customer_id, customer_email=customer_email)
    if as_json:
        click.echo(json.dumps({**result, "expires_at": result["expires_at"].isoformat()}))
        return
    click.echo(f"One-click links for {touchpoint.name!r} (valid until {result['expires_at']:%Y-%m-%d}):")
    for score, url in result["links"].items():
        click.echo(f"  {score:>2}  {url}")
