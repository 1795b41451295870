"""``rollups rebuild``: count the answers into the rollups again, with a progress bar."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..models import Customer, Organization
from ..rollups import steps
from ..rollups.rebuild import rebuild, touchpoints_to_rebuild
from .common import ID, require_schema


@click.group("rollups")
def rollups() -> None:
    """The per-day counts the reports read."""


@rollups.command("rebuild")
@click.option("--organization", "organization_id", type=ID, default=None, help="Only this organisation's touchpoints.")
@with_appcontext
def rebuild_command(organization_id: int | None) -> None:
    """Recount every touchpoint's rollups from its answers, and every customer's steps between
    touchpoints (safe while the service runs; run it after restoring a backup, loading answers
    straight into the database, or changing ANALYTICS_TRANSITION_DAYS)."""
    require_schema()
    if organization_id is not None and db.session.get(Organization, organization_id) is None:
        raise click.ClickException(f"No organisation with id {organization_id}.")
    todo = touchpoints_to_rebuild(organization_id)
    answers = sum(n for _, n in todo)
    db.session.rollback()
    if not todo:
        click.echo("No touchpoints; nothing to count.")
        return
    with click.progressbar(length=answers, label=f"Counting {answers} answers at {len(todo)} touchpoints",
                           file=sys.stderr) as bar:
        counted = rebuild(organization_id, progress=bar.update)
    query = db.select(db.func.count(Customer.id))
    if organization_id is not None:
        query = query.where(Customer.organization_id == organization_id)
    customers = db.session.scalar(query)
    db.session.rollback()
    with click.progressbar(length=customers, label=f"Following {customers} customers", file=sys.stderr) as bar:
        walked = steps.rebuild(organization_id, progress=bar.update)
    click.echo(f"Rollups rebuilt: {counted} answers at {len(todo)} touchpoints; "
               f"{walked} steps of {customers} customers between them.")
