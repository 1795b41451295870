"""``rescore``: score stored comments again, after the sentiment thresholds changed."""

from __future__ import annotations

import sys
from datetime import UTC

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Response, Touchpoint
from ..sentiment.jobs import rescore as rescore_batch
from ..sentiment.scoring import BATCH
from .common import ID, require_schema


@click.command("rescore")
@click.option("--touchpoint", "touchpoint_id", type=ID, default=None, help="Only this touchpoint's responses.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only responses created on or after this date (UTC).")
@with_appcontext
def rescore(touchpoint_id: int | None, since) -> None:
    """Score comments again, e.g. after changing the sentiment thresholds.

    Only comments whose sentiment changes (label, scores, or skipped or not)
    are written, and only they get a response.scored event, and so webhook
    deliveries; the others are left as they are, updated_at included.
    """
    require_schema()
    if touchpoint_id is not None and db.session.get(Touchpoint, touchpoint_id) is None:
        raise click.ClickException(f"No touchpoint with id {touchpoint_id}. List them with GET /api/v1/touchpoints.")
    query = select(Response.id).where(Response.comment.is_not(None)).order_by(Response.id)
    if touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == touchpoint_id)
    if since is not None:
        query = query.where(Response.created_at >= since.replace(tzinfo=UTC))
    ids = list(db.session.scalars(query))
    db.session.rollback()
    if not ids:
        click.echo("No comments match; nothing to re-score.")
        return
    changed = 0
    with click.progressbar(length=len(ids), label=f"Re-scoring {len(ids)} comments", file=sys.stderr) as bar:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            changed += rescore_batch(chunk)
            bar.update(len(chunk))
    click.echo(f"Checked {len(ids)} comments: {changed} changed (one response.scored event each), "
               f"{len(ids) - changed} unchanged.")
